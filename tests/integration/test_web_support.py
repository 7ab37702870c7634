"""Support pages beyond the basics: local administrators, form errors, the outbox's retry and mail view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditRecord, Branch, OutboxMail, Role, User

# Closure days may not lie in the past: one that stays in the future.
CHRISTMAS_EVE = f"{datetime.now(UTC).year + 1}-12-24"


def branch_id(app, name: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(Branch.id).where(Branch.name == name))


def new_user(branch: int, email: str = "new@example.org", password: str = "long enough pw") -> dict:
    return {
        "email": email,
        "name": "Nieuw",
        "role": "trainer",
        "branch": str(branch),
        "password": password,
    }


def test_user_form_errors_are_shown_next_to_the_fields(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    response = client.post(
        "/admin/users", data={"email": "nope", "role": "boss", "branch": "99", "password": "short"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for field in ("email", "role", "branch", "password"):
        assert f'id="{field}-errors"' in page, field
    assert "at least 12 characters" in page
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "nope")) is None


def test_a_local_administrator_manages_only_their_own_branch(app, make, auth):
    brugge_user = make.user(Role.TRAINER, "Brugge", email="bruno@example.org")
    gent_user = make.user(Role.TRAINER, "Gent", email="greet@example.org")
    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "greet@example.org" in page and "bruno@example.org" not in page
    assert "(all branches" not in page  # cannot make central users

    response = client.post("/admin/users", data=new_user(branch_id(app, "Brugge")))
    assert response.status_code == 200  # Brugge is not a choice
    response = client.post("/admin/users", data=new_user(branch_id(app, "Gent")))
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalars(select(User).where(User.email == "new@example.org")).one()
        assert created.branch.name == "Gent" and created.role == Role.TRAINER

    assert (
        client.post(
            f"/admin/users/{brugge_user}", data={"role": "admin", "branch": "0"}
        ).status_code
        == 404
    )
    assert client.post(f"/admin/users/{brugge_user}/active/0").status_code == 404
    page = client.post(
        f"/admin/users/{gent_user}", data={"role": "promotor", "branch": "0"}, follow_redirects=True
    ).get_data(as_text=True)
    assert 'class="flash error"' in page
    with app.app_context():
        assert db.session.get(User, gent_user).role == Role.TRAINER
        assert db.session.get(User, brugge_user).active

    assert client.post("/admin/branches", data={"name": "Kortrijk"}).status_code == 200
    assert branch_id(app, "Kortrijk") is None
    assert client.post("/admin/closure-days", data={"day": CHRISTMAS_EVE}).status_code == 200


def test_changes_to_users_are_audited_and_support_cannot_lock_itself_out(app, make):
    me = make.user(Role.ADMIN, None, email="boss@example.org")
    other = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    client = app.test_client()
    from tests.builders import PASSWORD

    client.post("/login", data={"email": "boss@example.org", "password": PASSWORD})
    client.post("/language/en", data={"next": "/"})
    page = client.post(f"/admin/users/{me}/active/0", follow_redirects=True).get_data(as_text=True)
    assert "cannot deactivate your own account" in page
    page = client.post(
        f"/admin/users/{me}", data={"role": "trainer", "branch": "0"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "cannot take away your own admin role" in page
    client.post(f"/admin/users/{other}/active/0")
    client.post(f"/admin/users/{other}/active/1")
    with app.app_context():
        actions = db.session.scalars(
            select(AuditRecord.action).where(AuditRecord.object_type == "users")
        ).all()
        assert db.session.get(User, me).active and db.session.get(User, me).role == Role.ADMIN
    assert "user.deactivate" in actions and "user.activate" in actions


def test_branch_and_closure_day_errors(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    client.post("/admin/branches", data={"name": "Brugge"})
    page = client.post("/admin/branches", data={"name": "Brugge"}).get_data(as_text=True)
    assert 'id="name-errors"' in page and "already exists" in page
    page = client.post("/admin/closure-days", data={"day": "31/31/2026"}).get_data(as_text=True)
    assert 'id="day-errors"' in page
    client.post("/admin/closure-days", data={"day": CHRISTMAS_EVE, "label": "Kerstavond"})
    page = client.post("/admin/closure-days", data={"day": CHRISTMAS_EVE}).get_data(as_text=True)
    assert "already a closure day" in page and "Kerstavond" in page


@pytest.fixture
def mail(app, make, today):  # type: ignore[no-untyped-def]
    session_id = make.session(today)
    person = make.participant(name="An Peeters", email="an@example.org")
    make.enrol(session_id, person)
    with app.app_context():
        return db.session.scalar(select(OutboxMail.id))


def test_the_mail_view_shows_headers_text_and_the_qr_image(app, make, mail, auth):
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = client.get(f"/admin/outbox/{mail}").get_data(as_text=True)
    assert "an@example.org" in page and "noreply@aanwezig.local" in page
    assert "Subject" in page and "Beste An Peeters" in page
    assert f"/admin/outbox/{mail}/image.png" in page
    image = client.get(f"/admin/outbox/{mail}/image.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert client.get("/admin/outbox/999999").status_code == 404
    assert client.get("/admin/outbox/999999/image.png").status_code == 404
    trainer = auth.as_role(Role.TRAINER)
    assert trainer.get(f"/admin/outbox/{mail}").status_code == 403


class TestRetry:
    @pytest.fixture
    def app_config(self) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": 9}

    def test_retry_now_makes_an_unsent_mail_due(self, app, make, mail, auth):
        with app.app_context():
            job = db.session.get(OutboxMail, mail).job
            job.due_at = datetime.now(UTC) + timedelta(hours=1)
            job.attempts, job.last_error = 3, "ConnectionRefusedError: [Errno 111]"
            db.session.commit()
        client = auth.as_role(Role.PROMOTOR, english=True)
        page = client.get("/admin/outbox").get_data(as_text=True)
        assert "Retry now" in page and "ConnectionRefusedError" in page
        assert "next attempt" in page and "1 mail waits to be sent" in page
        response = client.post(f"/admin/outbox/{mail}/retry", data={"back": "list"})
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/admin/outbox"
        )
        with app.app_context():
            assert db.session.get(OutboxMail, mail).job.due_at <= datetime.now(UTC)
            assert (
                db.session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()[-1]
                == "mail.retry"
            )
            db.session.get(OutboxMail, mail).sent_at = datetime.now(UTC)
            db.session.commit()
        page = client.post(f"/admin/outbox/{mail}/retry", follow_redirects=True).get_data(
            as_text=True
        )
        assert "already sent" in page
        other = auth.as_role(Role.PROMOTOR, branch="Brugge")
        assert other.post(f"/admin/outbox/{mail}/retry").status_code == 404


def test_without_a_mail_server_there_is_nothing_to_retry(app, make, mail, auth):
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "No mail server is configured" in page and "Retry now" not in page
    page = client.post(f"/admin/outbox/{mail}/retry", follow_redirects=True).get_data(as_text=True)
    assert "the mail stays in the outbox" in page
