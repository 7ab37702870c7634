"""The front desk adds a walk-in who has no record yet and enrols them in today's session."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from app.extensions import db
from app.models import AuditRecord, Enrolment, OutboxMail, Participant, Role
from tests.concurrency import same_time
from tests.helpers.web import log_in


def _new(client, session_id: int, **fields: str):  # type: ignore[no-untyped-def]
    data = {
        "new-name": "Wim Walk-in",
        "new-email": "wim@voorbeeld.be",
        "new-session_id": session_id,
    }
    data.update({f"new-{k}": v for k, v in fields.items()})
    return client.post("/frontdesk/new", data=data)


def _people(app, email: str) -> list[Participant]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(select(Participant).where(Participant.email == email)))


def test_a_walk_in_is_added_enrolled_and_mailed_their_code(app, make, today: date):
    session_id = make.session(today, time(0, 0), time(23, 59))
    desk = log_in(app, Role.FRONTDESK, make)
    page = desk.get("/frontdesk").get_data(as_text=True)
    assert "Een nieuwe deelnemer" in page and 'name="new-session_id"' in page

    answer = _new(desk, session_id, national_number="")
    assert answer.status_code == 302
    [person] = _people(app, "wim@voorbeeld.be")
    with app.app_context():
        enrolled = db.session.scalars(
            select(Enrolment.session_id).where(Enrolment.participant_id == person.id)
        ).all()
        mails = db.session.scalars(
            select(OutboxMail).where(OutboxMail.recipient == "wim@voorbeeld.be")
        ).all()
        actions = set(
            db.session.scalars(
                select(AuditRecord.action).where(AuditRecord.participant_id == person.id)
            )
        )
    assert enrolled == [session_id]
    assert len(mails) == 1 and mails[0].participant_id == person.id  # the QR code
    assert {"participant.create", "enrolment.create"} <= actions
    assert "Wim Walk-in is toegevoegd en ingeschreven" in desk.get("/frontdesk").get_data(
        as_text=True
    )


def test_an_address_already_known_is_refused_and_nothing_is_stored(app, make, today: date):
    session_id = make.session(today, time(0, 0), time(23, 59))
    make.participant(name="Wim", email="wim@voorbeeld.be")
    desk = log_in(app, Role.FRONTDESK, make)
    answer = _new(desk, session_id)
    assert answer.status_code == 400
    assert "al een deelnemer met dit e-mailadres" in answer.get_data(as_text=True)
    assert len(_people(app, "wim@voorbeeld.be")) == 1


def test_a_bad_national_number_is_refused_next_to_its_field(app, make, today: date):
    session_id = make.session(today, time(0, 0), time(23, 59))
    desk = log_in(app, Role.FRONTDESK, make)
    answer = _new(desk, session_id, national_number="12.34.56-789.00")
    assert answer.status_code == 400
    assert _people(app, "wim@voorbeeld.be") == []


def test_only_todays_sessions_of_the_desks_branch_can_be_chosen(app, make, today: date):
    elsewhere = make.session(today, time(0, 0), time(23, 59), branch="Brugge")
    make.session(today, time(0, 0), time(23, 59))  # the desk has a session today
    desk = log_in(app, Role.FRONTDESK, make)
    assert _new(desk, elsewhere).status_code == 400
    assert _people(app, "wim@voorbeeld.be") == []


def test_a_trainer_may_not_add_walk_ins(app, make, today: date):
    session_id = make.session(today, time(0, 0), time(23, 59))
    trainer = log_in(app, Role.TRAINER, make)
    assert _new(trainer, session_id).status_code == 403
    assert _people(app, "wim@voorbeeld.be") == []


def test_two_desks_adding_the_same_walk_in_at_once_make_one_record(app, make, today: date):
    session_id = make.session(today, time(0, 0), time(23, 59))
    desks = [log_in(app, Role.FRONTDESK, make) for _ in range(4)]
    answers = same_time(4, lambda i: _new(desks[i], session_id))
    assert all(answer.status_code < 500 for answer in answers)
    assert sum(answer.status_code == 302 for answer in answers) == 1
    assert len(_people(app, "wim@voorbeeld.be")) == 1
