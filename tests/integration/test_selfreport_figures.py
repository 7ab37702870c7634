"""Approved e-learning hours count in the figures, through the same code path as the
registrations: only approved ones, a correction in the place of what it corrects, for an
e-learning training without any session too, and in one query whatever their number."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event

from app.attendance.figures import participant_figures, training_figures
from app.audit import Actor
from app.domain.thresholds import AttendanceFigures
from app.extensions import db
from app.models import Participant, Training
from app.supervision.operations import selfreports
from tests.helpers.portal import EVENING, MONDAY, elearning_training, link_supervisor, report

H = timedelta(hours=1)


@pytest.fixture
def course(app, make, today):  # type: ignore[no-untyped-def]
    """An e-learning training without sessions; An and Ben, each with their supervisor."""
    an = make.participant(name="An Peeters", email="an@example.org")
    ben = make.participant(name="Ben Claes", email="ben@example.org")
    training = elearning_training(app, make, today, [an, ben])
    link_supervisor(app, an, "Sara Baas", "sara@example.org")
    link_supervisor(app, ben, "Karel Chef", "karel@example.org")
    return {"training": training, "an": an, "ben": ben}


def _figures(app, training_id: int):  # type: ignore[no-untyped-def]
    with app.app_context():
        found = training_figures(db.session.get(Training, training_id), datetime.now(UTC))
        return {p.participant.name: p for p in found.participants}


def test_only_approved_hours_count_and_a_correction_takes_the_place_of_the_old_ones(app, course):
    training = course["training"]
    first = report(app, training, course["an"])  # 09:00-11:00
    waiting = report(app, training, course["ben"], start=time(13), end=time(14))
    # Nothing approved: both enrolled participants are listed, with zeros everywhere.
    before = _figures(app, training)
    assert sorted(before) == ["An Peeters", "Ben Claes"]
    assert all(p.figures == AttendanceFigures() for p in before.values())
    with app.app_context():
        selfreports.decide(Actor(None), "sara@example.org", [first], True, "", EVENING)
        db.session.commit()
    an = _figures(app, training)["An Peeters"]
    f = an.figures
    assert (f.planned, f.present, f.unjustified, f.self_reported) == (2 * H, 2 * H, 0 * H, 2 * H)
    assert f.lessons == 0 and an.exam_eligible  # no lesson: nothing for the exam rule to miss
    # Ben's report still waits: listed, nothing counts yet.
    assert _figures(app, training)["Ben Claes"].figures == AttendanceFigures()
    second = report(app, training, course["an"], end=time(10), replaces=first)
    with app.app_context():
        selfreports.decide(Actor(None), "sara@example.org", [second], True, "", EVENING)
        selfreports.decide(
            Actor(None), "karel@example.org", [waiting], False, "Niet gedaan", EVENING
        )
        db.session.commit()
    figures = _figures(app, training)
    assert figures["An Peeters"].figures.present == 1 * H  # the correction, not both
    assert [r.report_id for r in figures["An Peeters"].self_reports] == [second]
    assert figures["Ben Claes"].figures == AttendanceFigures()  # rejected: never counts
    with app.app_context():  # the participant's own figures (their page, the portal) agree
        mine = participant_figures(
            db.session.get(Training, training),
            db.session.get(Participant, course["an"]),
            datetime.now(UTC),
        )
        assert mine is not None and mine.figures == figures["An Peeters"].figures


def test_approved_hours_cost_one_query_whatever_their_number(app, course):
    training = course["training"]

    def queries() -> int:
        count = 0

        def counter(*_args) -> None:  # type: ignore[no-untyped-def]
            nonlocal count
            count += 1

        with app.app_context():
            engine = db.engine
            event.listen(engine, "before_cursor_execute", counter)
            try:
                training_figures(db.session.get(Training, training), datetime.now(UTC))
            finally:
                event.remove(engine, "before_cursor_execute", counter)
        return count

    ids = [report(app, training, course["an"], day=MONDAY, start=time(9), end=time(10))]
    with app.app_context():
        selfreports.decide(Actor(None), "sara@example.org", ids, True, "", EVENING)
        db.session.commit()
    one = queries()
    more = [
        report(app, training, who, day=MONDAY, start=time(h), end=time(h, 30))
        for who in (course["an"], course["ben"])
        for h in (12, 13, 14, 15)
    ]
    with app.app_context():
        selfreports.decide(Actor(None), "sara@example.org", more[:4], True, "", EVENING)
        selfreports.decide(Actor(None), "karel@example.org", more[4:], True, "", EVENING)
        db.session.commit()
    assert queries() == one
    assert _figures(app, training)["An Peeters"].figures.present == 3 * H
