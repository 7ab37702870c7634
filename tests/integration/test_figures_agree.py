"""Issue 20, "figures that never contradict themselves" (docs/rules.md, "Hours and thresholds
(figures)" and "Provisional until the session locks"): the paid-leave line in words, the same
on every page, file and mail; no "verloren" on a session whose registrations are still open;
exempted lessons to come are not lessons to come; every participant of an e-learning training
is listed; the participant's own certificate carries their national register number in full."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app import digest
from app.attendance.figures import training_figures
from app.attendance.operations import add_exemption
from app.audit import Actor
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import (
    Kind,
    Participant,
    Role,
    Session,
    Source,
    Training,
    TrainingEnrolment,
    User,
)
from app.planning.operations import close_reopened_session
from app.scanning.service import register
from tests.helpers.portal import elearning_training, portal_client
from tests.helpers.web import PAST, reopen

H = timedelta(hours=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BRUSSELS)


def on_paid_leave(app, training_id: int) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        for enrolment in db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.training_id == training_id)
        ):
            enrolment.enrolled_on, enrolment.paid_leave = PAST, True
        db.session.commit()


def attend(app, session_id: int, person: int, came: datetime, left: datetime) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        session, participant = (
            db.session.get(Session, session_id),
            db.session.get(Participant, person),
        )
        for kind, moment in ((Kind.IN, came), (Kind.OUT, left)):
            register(Actor(None), session, participant.id, kind, moment, moment, Source.MANUAL)
        db.session.commit()


def leave_of(app, training_id: int, now: datetime):  # type: ignore[no-untyped-def]
    with app.app_context():
        found = training_figures(db.session.get(Training, training_id), now)
        [person] = found.participants
        [period] = person.leave_periods
        return period


@pytest.fixture
def evening(app, make):  # type: ignore[no-untyped-def]
    """One lesson of 3 h on PAST (a Monday), An on paid leave and never registered."""
    session_id = make.session(PAST, time(9), time(12))
    an = make.participant(name="An Peeters", email="an@voorbeeld.be")
    make.enrol(session_id, an)
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
    on_paid_leave(app, training_id)
    return {"session": session_id, "an": an, "training": training_id}


# --- Provisional until the session locks ------------------------------------------------------


def test_the_evening_of_a_session_its_absence_is_provisional_and_lost_once_it_locks(app, evening):
    # Registrations stay open until 10:00 on the next working day (Tuesday).
    tonight = leave_of(app, evening["training"], at(PAST, 20))
    assert tonight.state == "provisional" and tonight.keeps
    assert tonight.figures.unjustified == tonight.figures.unsettled == 3 * H
    just_before = leave_of(app, evening["training"], at(PAST + timedelta(days=1), 9, 59))
    assert just_before.state == "provisional"
    locked = leave_of(app, evening["training"], at(PAST + timedelta(days=1), 10, 1))
    assert locked.state == "lost" and not locked.keeps and locked.figures.unsettled == 0 * H


def test_no_page_says_verloren_while_support_keeps_the_session_open(app, make, evening, auth):
    reopen(app, evening["session"])  # open whatever the time, until closed again
    promotor = auth.as_role(Role.PROMOTOR)
    training, an = evening["training"], evening["an"]
    pages = {
        "attendance": promotor.get(f"/trainings/{training}/attendance"),
        "participant": promotor.get(f"/trainings/{training}/participants/{an}"),
        "portal": portal_client(app, "an@voorbeeld.be").get("/portal/"),
    }
    for name, response in pages.items():
        text = " ".join(response.get_data(as_text=True).split())
        assert response.status_code == 200, name
        assert "voorlopig: boven de grens, maar registraties zijn nog mogelijk" in text, name
        assert "verloren:" not in text and ">verloren<" not in text, name
    participant_page = pages["participant"].get_data(as_text=True)
    assert "afwezig (ongewettigd), voorlopig" in participant_page
    with app.app_context():
        close_reopened_session(
            Actor(None), db.session.get(Session, evening["session"]), datetime.now(BRUSSELS)
        )
        db.session.commit()
    text = " ".join(
        promotor.get(f"/trainings/{training}/attendance").get_data(as_text=True).split()
    )
    assert "verloren: 3 u ongewettigd afwezig van 3 u in deze periode; verloren boven 0,3 u" in text


# --- The paid-leave line in words, the same everywhere ----------------------------------------


def test_every_place_says_the_period_in_the_same_words(app, make, monkeypatch, auth):
    # Lesson 1 (3 h) attended, 15 minutes late for lesson 2 (2 h), lesson 3 (10 h) still to
    # come at ``now``: 0,25 u unjustified of 15 u; lost above 1,5 u; one more absence crosses it.
    first = make.session(PAST, time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    second = make.session(PAST + timedelta(days=1), time(9), time(11), training_id=training_id)
    later = make.session(PAST + timedelta(days=7), time(8), time(18), training_id=training_id)
    an = make.participant(name="An Peeters", email="an@voorbeeld.be")
    for session_id in (first, second, later):
        make.enrol(session_id, an)
    on_paid_leave(app, training_id)
    attend(app, first, an, at(PAST, 9), at(PAST, 12))
    attend(app, second, an, at(PAST + timedelta(days=1), 9, 15), at(PAST + timedelta(days=1), 11))
    now = at(PAST + timedelta(days=3), 12)
    words = (
        "tot nu toe behouden: 0,25 u ongewettigd afwezig van 15 u in deze periode; "
        "verloren boven 1,5 u"
    )
    period = leave_of(app, training_id, now)
    assert (period.state, period.at_risk) == ("kept_so_far", True)
    # Every page computes with the moment it is asked: that moment for the pages and files.
    import app.attendance.routes as attendance_routes
    import app.portal.routes.participant as portal_routes

    portal = portal_client(app, "an@voorbeeld.be")
    monkeypatch.setattr(attendance_routes, "_now", lambda: now)
    monkeypatch.setattr(portal_routes, "_now", lambda: now)
    promotor = auth.as_role(Role.PROMOTOR)

    def flat(response) -> str:  # type: ignore[no-untyped-def]
        assert response.status_code == 200
        return " ".join(response.get_data(as_text=True).split())

    assert words in flat(promotor.get(f"/trainings/{training_id}/attendance"))
    assert words in flat(promotor.get(f"/trainings/{training_id}/participants/{an}"))
    assert words in flat(promotor.get(f"/trainings/{training_id}/attendance.csv"))
    assert words in flat(portal.get("/portal/"))
    promotor_id = make.user(Role.PROMOTOR)
    with app.app_context():
        training = db.session.get(Training, training_id)
        lines = digest.risk_lines(training, training_figures(training, now))
        assert [line.threshold for line in lines] == ["exam", "paid_leave"]
        message = digest.digest_message(
            db.session.get(User, promotor_id), digest.rules.Digest(now.date(), [], lines, [])
        )
    for part in ("plain", "html"):
        mail = " ".join(message.get_body((part,)).get_content().split())
        assert words in mail, part


# --- Exempted lessons to come are not lessons to come -----------------------------------------


def test_an_exempted_lesson_to_come_does_not_hold_the_verdict_back(app, make):
    # Lesson 1 (3 h) attended, lesson 2 (30 min) missed, lesson 3 (10 h) still to come but An
    # is exempted from it: 0,5 of 3,5 counting hours (14 %) is lost now. Counted as a lesson to
    # come it made 0,5 of 13,5 h: "kept so far" and "at risk" until the period ended.
    first = make.session(PAST, time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    missed = make.session(PAST + timedelta(days=1), time(9), time(9, 30), training_id=training_id)
    later = make.session(PAST + timedelta(days=7), time(8), time(18), training_id=training_id)
    an = make.participant(name="An Peeters")
    for session_id in (first, missed, later):
        make.enrol(session_id, an)
    on_paid_leave(app, training_id)
    attend(app, first, an, at(PAST, 9), at(PAST, 12))
    now = at(PAST + timedelta(days=3), 12)
    assert leave_of(app, training_id, now).state == "kept_so_far"  # before the exemption
    with app.app_context():
        enrolment = db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.training_id == training_id)
        ).one()
        add_exemption(Actor(None), enrolment, db.session.get(Session, later), None, "vrijgesteld")
        db.session.commit()
    period = leave_of(app, training_id, now)
    assert (period.state, period.at_risk, period.still_to_come) == ("lost", False, 0 * H)
    assert period.total == timedelta(hours=3, minutes=30)
    with app.app_context():
        [person] = training_figures(db.session.get(Training, training_id), now).participants
        # Not given yet: its hours are neither given nor exempted until it has passed.
        assert (person.figures.planned, person.figures.exempted) == (timedelta(hours=3.5), 0 * H)
        assert "paid_leave" not in person.at_risk and not person.keeps_paid_leave


# --- E-learning: every enrolled participant, enrolled without a session -----------------------


def test_an_e_learning_training_enrols_from_its_page_and_lists_everyone(app, make, today, auth):
    an = make.participant(name="An Peeters")
    training = elearning_training(app, make, today, [an], code="EL-20")
    ben = make.participant(name="Ben Claes")
    promotor = auth.as_role(Role.PROMOTOR)
    page = promotor.get(f"/trainings/{training}").get_data(as_text=True)
    assert "Deelnemers inschrijven in deze e-learningopleiding" in page
    assert "Plan eerst een sessie" not in page
    response = promotor.post(
        f"/trainings/{training}/enrol", data={"enrol-participants": [str(ben)]}
    )
    assert response.status_code == 302
    # Nobody has approved hours: both are listed, with zeros.
    page = promotor.get(f"/trainings/{training}/attendance").get_data(as_text=True)
    assert "An Peeters" in page and "Ben Claes" in page
    csv = promotor.get(f"/trainings/{training}/attendance.csv").get_data(as_text=True)
    assert "An Peeters" in csv and "Ben Claes" in csv
    answer = make.api().get(f"/trainings/{training}/attendance").get_json()
    rows = {row["name"]: row for row in answer["items"]}
    assert sorted(rows) == ["An Peeters", "Ben Claes"]
    assert rows["Ben Claes"]["present_hours"] == 0 and rows["Ben Claes"]["planned_hours"] == 0
