"""Support pages: users, branches, closure days, and the outbox where the demo reads its mail."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Branch, ClosureDay, OutboxMail, Role, User
from tests.builders import PASSWORD, future_monday


def test_support_creates_changes_and_deactivates_a_user(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch=None)
    make.user(Role.PROMOTOR, "Gent")  # makes the branch
    with app.app_context():
        gent = db.session.scalar(select(Branch.id).where(Branch.name == "Gent"))
    response = client.post(
        "/admin/users",
        data={
            "email": "new@example.org",
            "name": "Nieuw",
            "role": "trainer",
            "branch": str(gent),
            "password": "long enough pw",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "new@example.org"))
    client.post(f"/admin/users/{user_id}", data={"role": "promotor", "branch": "0"})
    client.post(f"/admin/users/{user_id}/active/0")
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.role == Role.PROMOTOR and user.branch_id is None and not user.active
    refused = app.test_client().post(
        "/login", data={"email": "new@example.org", "password": "long enough pw"}
    )
    assert refused.status_code == 200  # a deactivated user cannot log in


def test_only_support_manages_users(app, make, auth):
    client = auth.as_role(Role.PROMOTOR)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/closure-days").status_code == 403


def test_a_duplicate_user_is_refused_on_the_form(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch=None, email="boss@example.org")
    response = client.post(
        "/admin/users",
        data={
            "email": "boss@example.org",
            "role": "admin",
            "branch": "0",
            "password": "long enough pw",
        },
    )
    assert response.status_code == 200 and "bestaat al" in response.get_data(as_text=True)


def test_branches_and_closure_days(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch=None)
    client.post("/admin/branches", data={"name": "Brugge"})
    monday = future_monday()
    tuesday = monday + timedelta(days=1)
    client.post("/admin/closure-days", data={"day": tuesday.isoformat(), "label": "Teambuilding"})
    with app.app_context():
        assert db.session.scalar(select(Branch.id).where(Branch.name == "Brugge"))
        assert db.session.scalar(select(ClosureDay.day)) == tuesday
    session_id = make.session(monday, time(9), time(12))
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert (monday + timedelta(days=2)).strftime("%d/%m/%Y") + " 10:00" in page


def test_the_outbox_shows_the_mail_and_its_qr_code(app, make, today, auth):
    session_id = make.session(today)
    participant = make.participant(email="an@example.org")
    make.enrol(session_id, participant)
    client = auth.as_role(Role.PROMOTOR)
    assert "an@example.org" in client.get("/admin/outbox").get_data(as_text=True)
    with app.app_context():
        mail_id = db.session.scalar(select(OutboxMail.id))
    page = client.get(f"/admin/outbox/{mail_id}").get_data(as_text=True)
    assert "Je lessen" in page
    image = client.get(f"/admin/outbox/{mail_id}/image.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    other = auth.as_role(Role.PROMOTOR, branch="Brugge")
    assert other.get(f"/admin/outbox/{mail_id}").status_code == 404


def test_a_trainer_makes_and_revokes_a_scanner_token(app, make):
    make.user(Role.TRAINER, "Gent", email="tom@example.org")
    client = app.test_client()
    client.post("/login", data={"email": "tom@example.org", "password": PASSWORD})
    page = client.post("/tokens", data={"label": "laptop"}).get_data(as_text=True)
    token = page.split('id="new-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/sessions", headers=headers).status_code == 200
    from app.models import ApiToken

    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    client.post(f"/tokens/{token_id}/revoke")
    assert client.get("/api/v1/sessions", headers=headers).status_code == 401
