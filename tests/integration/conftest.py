"""Shared fixtures for the attendance, certificate and export tests."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import Session
from tests.helpers.web import PAST, reopen, scan


@pytest.fixture
def past_training(app, make):  # type: ignore[no-untyped-def]
    """Three held sessions of a training; An attends all, Ben the first only."""
    first = make.session(PAST, time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    second = make.session(PAST + timedelta(days=7), time(9), time(12), training_id=training_id)
    third = make.session(PAST + timedelta(days=14), time(9), time(12), training_id=training_id)
    an, ben = make.participant(name="An"), make.participant(name="Ben")
    api = make.api()
    for session_id in (first, second, third):
        for person in (an, ben):
            make.enrol(session_id, person)
        reopen(app, session_id)
    with app.app_context():
        from app.models import TrainingEnrolment

        for enrolment in db.session.scalars(select(TrainingEnrolment)):
            enrolment.enrolled_on = PAST  # enrolled on time
        db.session.commit()
    for offset, session_id in enumerate((first, second, third)):
        day = PAST + timedelta(days=7 * offset)
        people = (an, ben) if offset == 0 else (an,)
        for person in people:
            scan(
                api, session_id, make.code(person), datetime.combine(day, time(9), tzinfo=BRUSSELS)
            )
            scan(
                api, session_id, make.code(person), datetime.combine(day, time(12), tzinfo=BRUSSELS)
            )
    return {
        "training": training_id,
        "sessions": (first, second, third),
        "an": an,
        "ben": ben,
        "api": api,
    }
