"""Logging in, scanning and reopening sessions through the app, for the integration tests."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from app.audit import Actor
from app.extensions import db
from app.models import Role, Session
from app.planning.operations import reopen_session
from tests.builders import PASSWORD, Api

PAST = date(2026, 1, 5)  # a Monday, long locked: reopened by support where a test writes to it


def reopen(app, session_id: int) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        reopen_session(
            Actor(None), db.session.get(Session, session_id), "test data", datetime.now(UTC)
        )
        db.session.commit()


def scan(api: Api, session_id: int, code: str, at: datetime, direction: str = "auto") -> None:
    response = api.post(
        "/scans",
        {
            "session_id": session_id,
            "code": code,
            "nonce": uuid.uuid4().hex,
            "scanned_at": at.isoformat(),
            "direction": direction,
        },
    )
    assert response.status_code == 200, response.get_json()


def log_in(  # type: ignore[no-untyped-def]
    app, role: Role, make, branch: str | None = "Gent", email: str | None = None, english=False
):
    """A test client logged in as a new user; ``english`` switches the interface to English."""
    user_id = make.user(role, branch, email=email)
    client = app.test_client()
    with app.app_context():
        from app.models import User

        address = db.session.get(User, user_id).email
    response = client.post("/login", data={"email": address, "password": PASSWORD})
    assert response.status_code == 302
    if english:
        client.post("/language/en", data={"next": "/"})
    return client


class Auth:
    """Logged-in test clients for the web admin, behind the ``auth`` fixture.

    ``auth.as_role(Role.PROMOTOR)`` makes a new user of that role (in Gent unless ``branch`` says
    otherwise; ``branch=None`` for a national one) and returns a client logged in as them;
    ``auth.log_in(email)`` logs in a user a test already made.
    """

    def __init__(self, app, make) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.make = make

    def as_role(  # type: ignore[no-untyped-def]
        self, role: Role, branch: str | None = "Gent", email: str | None = None, english=False
    ):
        return log_in(self.app, role, self.make, branch, email, english)

    def log_in(self, email: str, password: str = PASSWORD, english: bool = False):  # type: ignore[no-untyped-def]
        client = self.app.test_client()
        form = {"email": email, "password": password}
        if self.app.config.get("WTF_CSRF_ENABLED", True):
            page = client.get("/login").get_data(as_text=True)
            form["csrf_token"] = page.split('name="csrf_token" type="hidden" value="')[1].split(
                '"'
            )[0]
        response = client.post("/login", data=form)
        assert response.status_code == 302, f"{email} could not log in"
        if english:
            client.post("/language/en", data={"next": "/"})
        return client
