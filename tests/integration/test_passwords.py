"""Staff passwords: changing one's own (current one required), a reset link by mail (real SMTP,
once, expiring), support sending a link without seeing it, the first-login change, and every
other session ending when the password changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditRecord, OutboxMail, PasswordReset, Role, User
from tests.builders import PASSWORD
from tests.helpers.mail import MAIL_TO_INBOX, Inbox, deliver

NEW = "fiets gracht tulp molen"
RESET = re.compile(r"https?://[^/\s]+(/password/reset/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def app_config() -> dict:
    return MAIL_TO_INBOX


def reset_path(app, inbox: Inbox, email: str) -> str:  # type: ignore[no-untyped-def]
    inbox.messages.clear()
    deliver(app)
    [message] = [m for m in inbox.messages if m["To"] == email]
    [path] = RESET.findall(message.get_body(preferencelist=("plain",)).get_content())
    return path


def login(app, email: str, password: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    return client, client.post("/login", data={"email": email, "password": password})


def test_changing_ones_password_needs_the_current_one_and_ends_the_other_sessions(app, make):
    make.user(Role.PROMOTOR, email="petra@example.org")
    here, _ = login(app, "petra@example.org", PASSWORD)
    elsewhere, _ = login(app, "petra@example.org", PASSWORD)
    wrong = here.post("/password", data={"current": "nope", "password": NEW, "confirm": NEW})
    assert "Het huidige wachtwoord klopt niet." in wrong.get_data(as_text=True)
    weak = here.post(
        "/password",
        data={"current": PASSWORD, "password": "password1234", "confirm": "password1234"},
    )
    assert "te makkelijk te raden" in weak.get_data(as_text=True)
    short = here.post(
        "/password", data={"current": PASSWORD, "password": "kort", "confirm": "kort"}
    )
    assert "minstens 12 tekens" in short.get_data(as_text=True)
    done = here.post("/password", data={"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert here.get("/").status_code == 200  # this session was logged in again
    assert elsewhere.get("/").status_code == 302  # the other one ended
    assert login(app, "petra@example.org", PASSWORD)[1].status_code == 200  # refused
    assert login(app, "petra@example.org", NEW)[1].status_code == 302


def test_a_forgotten_password_gets_a_link_by_mail_that_works_once(app, make, inbox):
    make.user(Role.TRAINER, email="tom@example.org")
    other_session, _ = login(app, "tom@example.org", PASSWORD)
    client = app.test_client()

    def page(email: str) -> str:
        answer = client.post("/password/forgotten", data={"email": email})
        text = answer.get_data(as_text=True).replace(email, "X")
        return re.sub(r'name="csrf_token" value="[^"]*"', "", text)  # time-stamped

    assert page("tom@example.org") == page("nobody@example.org")
    path = reset_path(app, inbox, "tom@example.org")
    assert [m["To"] for m in inbox.messages] == ["tom@example.org"]
    assert "Kies een nieuw wachtwoord" in client.get(path).get_data(as_text=True)
    done = client.post(path, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # signed in with the new password
    assert other_session.get("/").status_code == 302  # every other session ended
    again = app.test_client().post(path, data={"password": NEW + "x", "confirm": NEW + "x"})
    assert again.status_code == 410 and "al gebruikt" in again.get_data(as_text=True)
    assert login(app, "tom@example.org", NEW)[1].status_code == 302


def test_an_expired_reset_link_is_refused(app, make, inbox, monkeypatch):
    make.user(Role.TRAINER, email="tom@example.org")
    client = app.test_client()
    client.post("/password/forgotten", data={"email": "tom@example.org"})
    path = reset_path(app, inbox, "tom@example.org")
    import itsdangerous.timed

    later = datetime.now(UTC).timestamp() + 61 * 60
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    refused = client.post(path, data={"password": NEW, "confirm": NEW})
    assert refused.status_code == 410 and "verlopen" in refused.get_data(as_text=True)
    assert login(app, "tom@example.org", PASSWORD)[1].status_code == 302  # unchanged


def test_a_new_password_voids_the_reset_links_not_used_yet(app, make, inbox):
    make.user(Role.TRAINER, email="tom@example.org")
    client = app.test_client()
    client.post("/password/forgotten", data={"email": "tom@example.org"})
    path = reset_path(app, inbox, "tom@example.org")
    here, _ = login(app, "tom@example.org", PASSWORD)
    here.post("/password", data={"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert client.get(path).status_code == 410


def test_support_mails_a_reset_link_and_never_sees_it(app, make, inbox, auth):
    user_id = make.user(Role.TRAINER, email="tom@example.org")
    support = auth.as_role(Role.ADMIN, branch=None)
    answer = support.post(f"/admin/users/{user_id}/reset-link", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "tom@example.org" in page and "/password/reset/" not in page
    path = reset_path(app, inbox, "tom@example.org")
    with app.app_context():
        reset = db.session.scalars(select(PasswordReset)).one()
        assert reset.requested_by_id is not None
        assert (
            db.session.scalars(
                select(AuditRecord).where(AuditRecord.action == "user.password_reset_link")
            )
            .one()
            .after["by_support"]
        )
    client = app.test_client()
    assert client.post(path, data={"password": NEW, "confirm": NEW}).status_code == 302


def test_a_user_created_with_an_initial_password_chooses_their_own_first(app, make, auth):
    support = auth.as_role(Role.ADMIN, branch=None)
    initial = "tijdelijk wachtwoord 7"
    with app.app_context():
        from app.models import Branch

        branch = db.session.scalars(select(Branch)).first()
        branch_id = branch.id if branch else 0
    created = support.post(
        "/admin/users",
        data={
            "email": "nieuw@example.org",
            "name": "Nieuw",
            "role": "trainer",
            "branch": str(branch_id),
            "password": initial,
        },
    )
    assert created.status_code == 302
    client, answer = login(app, "nieuw@example.org", initial)
    assert answer.headers["Location"].endswith("/password")
    for page in ("/", "/archive", "/tokens"):
        assert client.get(page).headers["Location"].endswith("/password"), page
    assert "Kies je eigen wachtwoord" in client.get("/password").get_data(as_text=True)
    client.post("/password", data={"current": initial, "password": NEW, "confirm": NEW})
    assert client.get("/").status_code == 200
    with app.app_context():
        assert (
            not db.session.scalars(select(User).where(User.email == "nieuw@example.org"))
            .one()
            .must_change_password
        )


def test_the_api_is_not_held_back_by_the_first_login_change(app, make):
    with app.app_context():
        from app.audit import Actor
        from app.auth.operations import create_user, issue_token

        user = create_user(Actor(None), "api@example.org", Role.PROMOTOR, "een lang begin 42")
        token = issue_token(Actor(None), user)
        db.session.commit()
    answer = app.test_client().get("/api/v1/projects", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


class TestLimits:
    @pytest.fixture
    def app_config(self) -> dict:
        return {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_LINK_ADDRESS": "2 per hour",
        }

    def test_reset_requests_are_limited_per_address(self, app, make):
        make.user(Role.TRAINER, email="tom@example.org")
        client = app.test_client()
        answers = [
            client.post("/password/forgotten", data={"email": "tom@example.org"}).status_code
            for _ in range(3)
        ]
        assert answers == [200, 200, 429]
        deliver(app)  # the worker makes the mails asked for (no mail server: they wait)
        with app.app_context():
            assert len(db.session.scalars(select(OutboxMail)).all()) == 2
