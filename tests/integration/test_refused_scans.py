"""Refused scans are kept with their reason, caller and time, and shown on the session page."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, RefusedScan, Registration, Role
from tests.builders import PASSWORD, Api


def _scan(api: Api, session_id: int, code: str):  # type: ignore[no-untyped-def]
    return api.post("/scans", {"session_id": session_id, "code": code, "nonce": uuid.uuid4().hex})


def _refused(app) -> list[RefusedScan]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(select(RefusedScan).order_by(RefusedScan.id)))


def _page(app, email: str, session_id: int) -> str:  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    response = client.get(f"/sessions/{session_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_refusal_is_kept_with_its_reason_caller_and_participant(app, make, today: date):
    trainer = make.user(Role.TRAINER, email="trainer@example.org")
    open_session = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    later_session = make.session(
        today + timedelta(days=1), time(9, 0), time(12, 0), trainer_id=trainer
    )
    enrolled, stranger = make.participant(), make.participant()
    make.enrol(open_session, enrolled)
    make.enrol(later_session, enrolled)
    api = Api(app.test_client(), make.token(trainer))

    assert _scan(api, open_session, make.code(stranger)).status_code == 422  # not enrolled
    assert _scan(api, later_session, make.code(enrolled)).status_code == 422  # too early
    assert _scan(api, open_session, "AZ1.forged").status_code == 422  # not a code
    assert _scan(api, 2_000_000, make.code(enrolled)).status_code == 404  # no such session
    assert _scan(api, open_session, make.code(enrolled)).status_code == 200  # accepted

    kept = _refused(app)
    assert [(r.reason, r.session_id, r.participant_id) for r in kept] == [
        ("not_enrolled", open_session, stranger),
        ("too_early", later_session, enrolled),
        ("invalid_code", open_session, None),
        ("unknown_session", None, enrolled),
    ]
    with app.app_context():
        token_ids = set(db.session.scalars(select(ApiToken.id).where(ApiToken.user_id == trainer)))
        registrations = db.session.scalars(select(Registration)).all()
    assert all(r.user_id == trainer and r.token_id in token_ids for r in kept)
    assert all(r.received_at is not None for r in kept)
    # Refused, so nothing else of those scans was written; the accepted one was.
    assert [(r.session_id, r.participant_id) for r in registrations] == [(open_session, enrolled)]


def test_the_session_page_counts_the_refused_scans_per_reason(app, make, today: date):
    trainer = make.user(Role.TRAINER, email="trainer@example.org")
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    api = Api(app.test_client(), make.token(trainer))
    for _ in range(2):
        assert _scan(api, session_id, make.code(make.participant())).status_code == 422
    assert _scan(api, session_id, "AZ1.forged").status_code == 422

    page = _page(app, "trainer@example.org", session_id)
    assert 'data-refused-scans="3"' in page
    assert "3 geweigerde scans: 2 niet ingeschreven, 1 geen geldige code" in page


def test_no_refusal_no_line(app, make, today: date):
    trainer = make.user(Role.TRAINER, email="trainer@example.org")
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    assert "data-refused-scans" not in _page(app, "trainer@example.org", session_id)


def test_another_branch_does_not_see_the_sessions_refusals(app, make, today: date):
    trainer = make.user(Role.TRAINER, email="trainer@example.org")
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    api = Api(app.test_client(), make.token(trainer))
    assert _scan(api, session_id, "AZ1.forged").status_code == 422
    make.user(Role.PROMOTOR, "Brugge", email="brugge@example.org")
    client = app.test_client()
    client.post("/login", data={"email": "brugge@example.org", "password": PASSWORD})
    assert client.get(f"/sessions/{session_id}").status_code == 404
