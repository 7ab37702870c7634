"""The scan API end to end: in, out, repeat, nonce replay, and every refusal code."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.domain.cutoff import BRUSSELS
from app.models import Role


def nonce() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def setup(make, today: date):
    trainer = make.user(Role.TRAINER)
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    participant = make.participant(name="An Peeters")
    make.enrol(session_id, participant)
    return {
        "api": make.api(Role.PROMOTOR),
        "trainer_api": __import__("tests.builders", fromlist=["Api"]).Api(
            make.app.test_client(), make.token(trainer)
        ),
        "session": session_id,
        "participant": participant,
        "code": make.code(participant),
    }


def scan(api, session_id, code, **extra):  # type: ignore[no-untyped-def]
    return api.post("/scans", {"session_id": session_id, "code": code, "nonce": nonce(), **extra})


def registrations(api, session_id):  # type: ignore[no-untyped-def]
    return api.get(f"/sessions/{session_id}/registrations").get_json()["items"]


def test_first_scan_checks_in_and_names_the_participant(setup):
    response = scan(setup["trainer_api"], setup["session"], setup["code"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["direction"] == "in"
    assert body["repeat"] is False
    assert body["participant"] == {"id": setup["participant"], "name": "An Peeters"}
    [registration] = registrations(setup["api"], setup["session"])
    assert registration["kind"] == "in" and registration["source"] == "scan"


def test_a_repeat_within_the_interval_records_nothing(setup):
    scan(setup["api"], setup["session"], setup["code"])
    again = scan(setup["api"], setup["session"], setup["code"]).get_json()
    assert again["repeat"] is True and again["direction"] == "in"
    assert len(registrations(setup["api"], setup["session"])) == 1


def test_a_scan_after_the_interval_checks_out(setup):
    now = datetime.now(UTC)
    first = scan(
        setup["api"],
        setup["session"],
        setup["code"],
        scanned_at=(now - timedelta(minutes=10)).isoformat(),
    )
    assert first.status_code == 200, first.get_json()
    second = scan(setup["api"], setup["session"], setup["code"]).get_json()
    assert second["direction"] == "out" and second["repeat"] is False
    kinds = [r["kind"] for r in registrations(setup["api"], setup["session"])]
    assert kinds == ["in", "out"]


def test_the_same_nonce_again_returns_the_same_answer_and_records_nothing(setup):
    payload = {"session_id": setup["session"], "code": setup["code"], "nonce": nonce()}
    first = setup["api"].post("/scans", payload).get_json()
    second = setup["api"].post("/scans", payload).get_json()
    assert first == second
    assert len(registrations(setup["api"], setup["session"])) == 1


def test_an_offline_scan_keeps_the_time_it_was_made_beside_the_time_received(setup):
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    scan(setup["api"], setup["session"], setup["code"], scanned_at=made.isoformat())
    [registration] = registrations(setup["api"], setup["session"])
    assert datetime.fromisoformat(registration["at"]) == made
    assert datetime.fromisoformat(registration["received_at"]) > made


def test_a_forged_code_is_refused(setup):
    from qr import generate_private_key, sign_code

    forged = sign_code(generate_private_key(), setup["participant"], 1)
    response = scan(setup["api"], setup["session"], forged)
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_code"


def test_a_tampered_code_is_refused(setup):
    code = setup["code"]
    tampered = code[:6] + ("A" if code[6] != "A" else "B") + code[7:]
    assert scan(setup["api"], setup["session"], tampered).get_json()["error"] == "invalid_code"
    assert (
        scan(setup["api"], setup["session"], "https://example.org").get_json()["error"]
        == "invalid_code"
    )


def test_a_revoked_code_is_refused_and_the_new_one_works(setup, make):
    from app.audit import Actor
    from app.extensions import db
    from app.models import Participant
    from app.participants.operations.codes import reissue_code

    with make.app.app_context():
        reissue_code(
            Actor(None), db.session.get(Participant, setup["participant"]), datetime.now(UTC)
        )
        db.session.commit()
    response = scan(setup["api"], setup["session"], setup["code"])
    assert response.get_json()["error"] == "revoked_code"
    assert scan(setup["api"], setup["session"], make.code(setup["participant"])).status_code == 200


def test_someone_not_enrolled_is_refused(setup, make):
    other = make.participant()
    response = scan(setup["api"], setup["session"], make.code(other))
    assert response.status_code == 422
    assert response.get_json()["error"] == "not_enrolled"


def test_an_unknown_session_is_refused(setup):
    response = scan(setup["api"], 999999, setup["code"])
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_session"


def test_too_early_more_than_an_hour_before_the_start(make, today):
    tomorrow = today + timedelta(days=1)
    session_id = make.session(tomorrow, time(9), time(12))
    participant = make.participant()
    make.enrol(session_id, participant)
    response = scan(make.api(), session_id, make.code(participant))
    assert response.status_code == 422
    assert response.get_json()["error"] == "too_early"


def test_closed_after_the_deadline(make):
    session_id = make.session(date(2026, 1, 5), time(9), time(12))
    participant = make.participant()
    make.enrol(session_id, participant)
    response = scan(make.api(), session_id, make.code(participant))
    assert response.get_json()["error"] == "registration_closed"


def test_an_offline_scan_outside_the_window_or_in_the_future_is_refused(setup):
    today = datetime.now(UTC).astimezone(BRUSSELS).date()
    yesterday_evening = datetime.combine(today, time(0, 0), tzinfo=BRUSSELS) - timedelta(hours=2)
    response = scan(
        setup["api"], setup["session"], setup["code"], scanned_at=yesterday_evening.isoformat()
    )
    assert response.get_json()["error"] == "too_early"
    future = datetime.now(UTC) + timedelta(hours=1)
    response = scan(setup["api"], setup["session"], setup["code"], scanned_at=future.isoformat())
    assert response.get_json()["error"] == "future_time"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "session_id"),
        ({"session_id": "1", "code": "x", "nonce": "n"}, "session_id"),
        ({"session_id": 1, "code": 5, "nonce": "n"}, "code"),
        ({"session_id": 1, "code": "x"}, "nonce"),
    ],
)
def test_missing_or_wrong_typed_fields_say_which_field(setup, payload, field):
    response = setup["api"].post("/scans", payload)
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_bad_direction_and_bad_time_are_explained(setup):
    response = scan(setup["api"], setup["session"], setup["code"], direction="sideways")
    assert response.status_code == 400 and response.get_json()["field"] == "direction"
    response = scan(setup["api"], setup["session"], setup["code"], scanned_at="yesterday")
    assert response.status_code == 400 and response.get_json()["field"] == "scanned_at"
    response = scan(setup["api"], setup["session"], setup["code"], scanned_at="2026-11-24T10:00:00")
    assert response.status_code == 400 and "tijdzone" in response.get_json()["message"]


def test_the_api_answers_in_english_when_asked(setup):
    response = setup["api"].client.post(
        "/api/v1/scans",
        json={"session_id": setup["session"], "code": "nonsense", "nonce": "n-en"},
        headers={"Authorization": f"Bearer {setup['api'].token}", "Accept-Language": "en"},
    )
    assert response.get_json() == {
        "error": "invalid_code",
        "message": "This is not a valid Aanwezig code.",
    }


def test_malformed_json_is_a_clear_400(setup):
    response = setup["api"].client.post(
        "/api/v1/scans",
        data="{not json",
        headers={
            "Authorization": f"Bearer {setup['api'].token}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_json"


def test_no_token_or_a_wrong_token_is_401(client):
    assert client.post("/api/v1/scans", json={}).status_code == 401
    response = client.get("/api/v1/sessions", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_forced_direction_out(setup):
    response = scan(setup["api"], setup["session"], setup["code"], direction="out")
    assert response.get_json()["direction"] == "out"


def test_front_desk_cannot_scan(setup, make):
    response = scan(make.api(Role.FRONTDESK), setup["session"], setup["code"])
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


def test_every_registration_writes_an_audit_record(setup, make):
    from app.extensions import db
    from app.models import AuditRecord, Registration

    scan(setup["api"], setup["session"], setup["code"])
    scan(setup["api"], setup["session"], setup["code"])  # a repeat: no registration, no record
    with make.app.app_context():
        registration = db.session.scalars(select(Registration)).one()
        record = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "registration.create")
        ).one()
        assert (record.object_type, record.object_id) == ("registrations", registration.id)
        assert record.before is None
        assert record.after["id"] == registration.id
        assert record.after["kind"] == "in" and record.after["source"] == "scan"
        assert record.after["participant_id"] == setup["participant"]
        assert record.after["at"] == registration.at.isoformat()
        assert record.token_id == registration.token_id is not None
        assert record.user_id == registration.user_id is not None
        assert abs(record.at - registration.received_at) < timedelta(seconds=1)


def test_a_retry_after_the_session_locked_still_gets_its_original_answer(make):
    from app.audit import Actor
    from app.extensions import db
    from app.models import Session
    from app.planning.operations import close_reopened_session, reopen_session

    session_id = make.session(date(2026, 1, 5), time(9), time(12))
    participant = make.participant()
    make.enrol(session_id, participant)
    with make.app.app_context():
        reopen_session(
            Actor(None), db.session.get(Session, session_id), "paper list", datetime.now(UTC)
        )
        db.session.commit()
    api = make.api()
    payload = {
        "session_id": session_id,
        "code": make.code(participant),
        "nonce": nonce(),
        "scanned_at": datetime(2026, 1, 5, 9, 0, tzinfo=BRUSSELS).isoformat(),
    }
    first = api.post("/scans", payload).get_json()
    with make.app.app_context():
        close_reopened_session(Actor(None), db.session.get(Session, session_id), datetime.now(UTC))
        db.session.commit()
    assert api.post("/scans", payload).get_json() == first
    payload["nonce"] = nonce()
    assert api.post("/scans", payload).get_json()["error"] == "registration_closed"


def test_two_scanners_scanning_one_person_at_once_record_one_check_in(setup, make):
    """The door has two scanners; the person is scanned by both in the same instant."""
    other_api = make.api(Role.PROMOTOR)
    people = [make.participant() for _ in range(5)]
    for person in people:
        make.enrol(setup["session"], person)
    for person in people:
        code = make.code(person)
        barrier = threading.Barrier(2)
        answers: list[dict] = []

        def scanner(api, code=code, barrier=barrier, answers=answers):  # type: ignore[no-untyped-def]
            barrier.wait()
            answers.append(scan(api, setup["session"], code).get_json())

        threads = [threading.Thread(target=scanner, args=(a,)) for a in (setup["api"], other_api)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(a["repeat"] for a in answers) == [False, True]
        assert {a["direction"] for a in answers} == {"in"}
    mine = [
        r for r in registrations(setup["api"], setup["session"]) if r["participant_id"] in people
    ]
    assert len(mine) == len(people)


# --- A scanner's token changes between two scans (the second one comes from the token cache) ----


def _change(app, user_id: int, change) -> None:  # type: ignore[no-untyped-def]
    from app.extensions import db
    from app.models import User

    with app.app_context():
        change(db.session.get(User, user_id))
        db.session.commit()


@pytest.fixture
def scanner(make, setup):  # type: ignore[no-untyped-def]
    from tests.builders import Api

    trainer = make.user(Role.TRAINER)
    with make.app.app_context():  # the setup's session has its own trainer: this one teaches too
        from app.extensions import db
        from app.models import Session, User

        session = db.session.get(Session, setup["session"])
        session.training.trainers.append(db.session.get(User, trainer))
        db.session.commit()
    api = Api(make.app.test_client(), make.token(trainer))
    assert scan(api, setup["session"], setup["code"]).status_code == 200
    return trainer, api


def test_a_token_revoked_after_a_scan_is_refused_at_the_next(setup, scanner, make):
    from app.audit import Actor
    from app.auth.operations import revoke_token
    from app.extensions import db
    from app.models import ApiToken

    trainer, api = scanner
    with make.app.app_context():
        token = db.session.scalars(select(ApiToken).where(ApiToken.user_id == trainer)).one()
        revoke_token(Actor(None), token, datetime.now(UTC))
        db.session.commit()
    response = scan(api, setup["session"], setup["code"])
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert len(registrations(setup["api"], setup["session"])) == 1


def test_a_user_deactivated_after_a_scan_is_refused_at_the_next(setup, scanner, make):
    trainer, api = scanner
    _change(make.app, trainer, lambda user: setattr(user, "active", False))
    assert scan(api, setup["session"], setup["code"]).status_code == 401


def test_a_user_whose_role_changed_scans_with_the_new_role(setup, scanner, make):
    trainer, api = scanner
    _change(make.app, trainer, lambda user: setattr(user, "role", Role.PROMOTOR))
    response = scan(api, setup["session"], setup["code"])
    assert response.status_code == 200 and response.get_json()["repeat"] is True
    _change(make.app, trainer, lambda user: setattr(user, "role", Role.FRONTDESK))
    response = scan(api, setup["session"], setup["code"], direction="in")
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


def test_a_trainer_taken_off_the_training_no_longer_finds_the_session(setup, scanner, make):
    from app.extensions import db
    from app.models import Session, User

    trainer, api = scanner
    with make.app.app_context():
        session = db.session.get(Session, setup["session"])
        session.training.trainers.remove(db.session.get(User, trainer))
        db.session.commit()
    response = scan(api, setup["session"], setup["code"])
    assert response.status_code == 404 and response.get_json()["error"] == "unknown_session"
