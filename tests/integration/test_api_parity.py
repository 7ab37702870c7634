"""Attendance and participant actions through the API, with the web's rules, refusal codes and
audit: late arrival, early departure, closing a session, unenrolling from a session and from a
training, enrolling in a whole training, reissuing a code. Both databases."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import AuditRecord, Registration, Role, Session, Source
from tests.builders import Api
from tests.helpers.web import PAST, reopen


def _delete(api: Api, path: str):  # type: ignore[no-untyped-def]
    return api.client.delete("/api/v1" + path, headers={"Authorization": f"Bearer {api.token}"})


def _local(minutes_ago: int) -> str:
    moment = datetime.now(UTC).astimezone(BRUSSELS) - timedelta(minutes=minutes_ago)
    return max(moment.time(), time(0, 1)).strftime("%H:%M")


def _registrations(app, session_id: int) -> list[Registration]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalars(
            select(Registration)
            .where(Registration.session_id == session_id)
            .order_by(Registration.id)
        ).all()


def test_late_arrival_and_early_departure(app, make, today):
    trainer = make.user(Role.TRAINER)
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    person = make.participant()
    make.enrol(session_id, person)
    api = Api(app.test_client(), make.token(trainer))  # the session's trainer

    arrived = api.post(
        f"/sessions/{session_id}/late-arrivals", {"participant_id": person, "time": _local(40)}
    )
    assert arrived.status_code == 201, arrived.get_json()
    [registration] = _registrations(app, session_id)
    assert registration.source == Source.MANUAL and registration.reason == "late arrival"
    again = api.post(
        f"/sessions/{session_id}/late-arrivals", {"participant_id": person, "time": _local(30)}
    )
    assert again.status_code == 409 and again.get_json()["error"] == "already_registered"

    left = api.post(
        f"/sessions/{session_id}/early-departures", {"participant_id": person, "time": _local(20)}
    )
    assert left.status_code == 201, left.get_json()
    assert [r.kind.value for r in _registrations(app, session_id)] == ["in", "out"]
    not_in = api.post(
        f"/sessions/{session_id}/early-departures", {"participant_id": person, "time": _local(10)}
    )
    assert not_in.status_code == 409 and not_in.get_json()["error"] == "not_checked_in"
    with app.app_context():
        audited = db.session.scalars(
            select(AuditRecord).where(
                AuditRecord.action == "registration.create", AuditRecord.session_id == session_id
            )
        ).all()
        assert len(audited) == 2 and all(r.participant_id == person for r in audited)

    assert (
        make.api(Role.FRONTDESK)
        .post(f"/sessions/{session_id}/late-arrivals", {"participant_id": person, "time": "09:00"})
        .status_code
        == 403
    )
    assert (
        make.api(Role.PROMOTOR, "Brugge")
        .post(f"/sessions/{session_id}/late-arrivals", {"participant_id": person, "time": "09:00"})
        .status_code
        == 404
    )


def test_a_retried_late_arrival_with_its_key_registers_once(app, make, today):
    session_id = make.session(today, time(0, 0), time(23, 59))
    person = make.participant()
    make.enrol(session_id, person)
    api = make.api(Role.PROMOTOR)
    headers = {"Authorization": f"Bearer {api.token}", "Idempotency-Key": "late-1"}
    body = {"participant_id": person, "time": _local(15)}
    first = api.client.post(
        f"/api/v1/sessions/{session_id}/late-arrivals", json=body, headers=headers
    )
    second = api.client.post(
        f"/api/v1/sessions/{session_id}/late-arrivals", json=body, headers=headers
    )
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert len(_registrations(app, session_id)) == 1


def test_closing_a_session_after_its_end(app, make):
    session_id = make.session(PAST, time(9), time(12))
    people = [make.participant(), make.participant()]
    for person in people:
        make.enrol(session_id, person)
    reopen(app, session_id)
    api = make.api(Role.PROMOTOR)
    for person in people:
        assert (
            api.post(
                f"/sessions/{session_id}/late-arrivals", {"participant_id": person, "time": "09:30"}
            ).status_code
            == 201
        )
    closed = api.post(f"/sessions/{session_id}/close", {"time": "11:45"})
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json() == {"count": 2}
    outs = [r for r in _registrations(app, session_id) if r.kind.value == "out"]
    assert len(outs) == 2 and all(r.at.astimezone(BRUSSELS).time() == time(11, 45) for r in outs)
    assert api.post(f"/sessions/{session_id}/close", {}).get_json() == {"count": 0}


def test_enrol_in_a_training_and_unenrol(app, make, today):
    first = make.session(today + timedelta(days=7), time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    second = make.session(today + timedelta(days=14), time(9), time(12), training_id=training_id)
    person = make.participant()
    api = make.api(Role.PROMOTOR)
    enrolled = api.post(f"/trainings/{training_id}/enrolments", {"participant_id": person})
    assert enrolled.status_code == 201, enrolled.get_json()
    assert enrolled.get_json() == {
        "training_id": training_id,
        "participant_id": person,
        "sessions": 2,
        "created": 2,
        "skipped_session_ids": [],
    }
    again = api.post(f"/trainings/{training_id}/enrolments", {"participant_id": person})
    assert again.status_code == 200 and again.get_json()["created"] == 0

    off = _delete(api, f"/sessions/{second}/enrolments/{person}")
    assert off.status_code == 200 and off.get_json() == {"count": 1}
    gone = _delete(api, f"/sessions/{second}/enrolments/{person}")
    assert gone.status_code == 422 and gone.get_json()["error"] == "not_enrolled"
    whole = _delete(api, f"/trainings/{training_id}/enrolments/{person}")
    assert whole.status_code == 200 and whole.get_json() == {"count": 1}
    with app.app_context():
        actions = db.session.scalars(
            select(AuditRecord.action).where(AuditRecord.participant_id == person)
        ).all()
    assert actions.count("enrolment.delete") == 2 and "training_enrolment.delete" in actions
    assert (
        _delete(make.api(Role.TRAINER), f"/sessions/{first}/enrolments/{person}").status_code == 403
    )


def test_unenrolling_someone_with_registrations_is_refused(app, make, today):
    session_id = make.session(today, time(0, 0), time(23, 59))
    person = make.participant()
    make.enrol(session_id, person)
    api = make.api(Role.PROMOTOR)
    assert (
        api.post(
            "/scans", {"session_id": session_id, "code": make.code(person), "nonce": "x1"}
        ).status_code
        == 200
    )
    refused = _delete(api, f"/sessions/{session_id}/enrolments/{person}")
    assert refused.status_code == 409 and refused.get_json()["error"] == "has_registrations"


def test_reissuing_a_code_revokes_the_old_one(app, make, today):
    session_id = make.session(today, time(0, 0), time(23, 59))
    person = make.participant()
    make.enrol(session_id, person)
    old_code = make.code(person)
    api = make.api(Role.PROMOTOR)
    reissued = api.post(f"/participants/{person}/code/reissue")
    assert reissued.status_code == 200, reissued.get_json()
    assert reissued.get_json()["key_version"] == 2 and reissued.get_json()["code"] != old_code
    refused = api.post("/scans", {"session_id": session_id, "code": old_code, "nonce": "old"})
    assert refused.status_code == 422 and refused.get_json()["error"] == "revoked_code"
    assert (
        api.post(
            "/scans",
            {"session_id": session_id, "code": reissued.get_json()["code"], "nonce": "new"},
        ).status_code
        == 200
    )
    assert make.api(Role.TRAINER).post(f"/participants/{person}/code/reissue").status_code in (
        403,
        404,
    )


def test_the_roll_call_through_the_api(app, make, today):
    trainer = make.user(Role.TRAINER)
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    an, ben = make.participant(name="An"), make.participant(name="Ben")
    for person in (an, ben):
        make.enrol(session_id, person)
    api = Api(app.test_client(), make.token(trainer))
    body = {
        "marks": [
            {"participant_id": an, "present": True, "remark": "op tijd"},
            {"participant_id": ben, "present": False, "remark": "ziek gemeld"},
        ]
    }
    answer = api.post(f"/sessions/{session_id}/roll-call", body)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"count": 1}
    [registration] = _registrations(app, session_id)
    assert registration.participant_id == an and registration.source == Source.MANUAL
    with app.app_context():
        from app.models import RollCallMark

        marks = db.session.scalars(select(RollCallMark).order_by(RollCallMark.id)).all()
        assert [(m.participant_id, m.present, m.remark) for m in marks] == [
            (an, True, "op tijd"),
            (ben, False, "ziek gemeld"),
        ]
    # Confirmed again: the marks are kept, no second check-in.
    assert api.post(f"/sessions/{session_id}/roll-call", body).get_json() == {"count": 0}
    bad = api.post(f"/sessions/{session_id}/roll-call", {"marks": "all"})
    assert bad.status_code == 400 and bad.get_json()["field"] == "marks"
    assert (
        make.api(Role.FRONTDESK).post(f"/sessions/{session_id}/roll-call", body).status_code == 403
    )


def test_an_incomplete_registration_is_corrected_with_a_reason(app, make):
    session_id = make.session(PAST, time(9), time(12))
    person = make.participant()
    make.enrol(session_id, person)
    reopen(app, session_id)
    api = make.api(Role.PROMOTOR)
    assert (
        api.post(
            f"/sessions/{session_id}/late-arrivals", {"participant_id": person, "time": "09:10"}
        ).status_code
        == 201
    )
    body = {"participant_id": person, "time": "11:50", "reason": "vergat uit te scannen"}
    corrected = api.post(f"/sessions/{session_id}/corrections", body)
    assert corrected.status_code == 201, corrected.get_json()
    out = _registrations(app, session_id)[-1]
    assert out.source == Source.CORRECTION and out.reason == "vergat uit te scannen"
    again = api.post(f"/sessions/{session_id}/corrections", body)
    assert again.status_code == 409 and again.get_json()["error"] == "not_incomplete"
    assert (
        api.post(f"/sessions/{session_id}/corrections", {**body, "reason": ""}).status_code == 400
    )


def test_exemptions_are_made_and_revoked(app, make, today):
    session_id = make.session(today + timedelta(days=3), time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
    person, stranger = make.participant(), make.participant()
    make.enrol(session_id, person)
    api = make.api(Role.PROMOTOR)
    made = api.post(
        f"/trainings/{training_id}/exemptions",
        {"participant_id": person, "session_id": session_id, "reason": "vrijgesteld (diploma)"},
    )
    assert made.status_code == 201, made.get_json()
    exemption = made.get_json()
    assert exemption["session_id"] == session_id and exemption["revoked_at"] is None
    by_minutes = api.post(
        f"/trainings/{training_id}/exemptions", {"participant_id": person, "minutes": 90}
    )
    assert by_minutes.status_code == 201 and by_minutes.get_json()["minutes"] == 90
    both = api.post(
        f"/trainings/{training_id}/exemptions",
        {"participant_id": person, "session_id": session_id, "minutes": 30},
    )
    assert both.status_code == 400 and both.get_json()["error"] == "exemption_kind"
    assert (
        api.post(
            f"/trainings/{training_id}/exemptions", {"participant_id": stranger, "minutes": 5}
        ).status_code
        == 404
    )
    revoked = api.post(f"/exemptions/{exemption['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"] is not None
    again = api.post(f"/exemptions/{exemption['id']}/revoke")
    assert again.status_code == 409 and again.get_json()["error"] == "already_revoked"
    with app.app_context():
        actions = db.session.scalars(
            select(AuditRecord.action).where(AuditRecord.object_type == "exemptions")
        ).all()
    assert sorted(actions) == ["exemption.create", "exemption.create", "exemption.revoke"]
    assert (
        make.api(Role.PROMOTOR, "Brugge").post(f"/exemptions/{exemption['id']}/revoke").status_code
        == 404
    )
