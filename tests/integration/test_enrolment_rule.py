"""One rule for enrolling (docs/rules.md, "Enrolment"): one enrolment in a cancelled session is
refused; enrolling a class in a whole training leaves the cancelled session out and says so, on
the page and in the API's answer."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.models import Enrolment, Participant, Role, Session
from app.participants.operations.enrolling import enrol, enrol_all
from app.planning.operations import cancel_session
from tests.helpers.web import log_in

# Operations take the moment from their caller.
NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def training(app, make, today):  # type: ignore[no-untyped-def]
    """A training with a planned session next week and a cancelled one the week after."""
    planned = make.session(today + timedelta(days=7), time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, planned).training_id
    cancelled = make.session(today + timedelta(days=14), time(9), time(12), training_id=training_id)
    with app.app_context():
        cancel_session(Actor(None), db.session.get(Session, cancelled), "Trainer ziek", _now())
        db.session.commit()
    return {"id": training_id, "planned": planned, "cancelled": cancelled}


def _now() -> datetime:
    return datetime.now(UTC)


def _enrolled(app, person: int) -> list[int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(
            db.session.scalars(
                select(Enrolment.session_id).where(Enrolment.participant_id == person)
            )
        )


def test_one_enrolment_in_a_cancelled_session_is_refused(app, make, training):
    person = make.participant()
    with app.app_context(), pytest.raises(Refusal) as refused:
        enrol(
            Actor(None),
            db.session.get(Session, training["cancelled"]),
            db.session.get(Participant, person),
            now=NOW,
        )
    assert (refused.value.code, refused.value.status) == ("cancelled", 409)
    assert _enrolled(app, person) == []


def test_enrolling_many_leaves_the_cancelled_session_out_and_names_it(app, make, training):
    person = make.participant()
    with app.app_context():
        sessions = list(db.session.scalars(select(Session).order_by(Session.day)))
        result = enrol_all(Actor(None), sessions, [db.session.get(Participant, person)], now=NOW)
        assert result.created == 1
        assert [s.id for s in result.skipped] == [training["cancelled"]]
        db.session.commit()
    assert _enrolled(app, person) == [training["planned"]]


def test_enrolling_many_refuses_what_one_enrolment_refuses_other_than_a_cancelled_session(
    app, make, training
):
    brugge = make.participant(branch="Brugge")
    with app.app_context():
        sessions = list(db.session.scalars(select(Session)))
        with pytest.raises(Refusal) as refused:
            enrol_all(Actor(None), sessions, [db.session.get(Participant, brugge)], now=NOW)
    assert refused.value.code == "other_branch"


def test_the_training_page_says_which_cancelled_session_was_left_out(app, make, training, today):
    client = log_in(app, Role.PROMOTOR, make, english=True)
    person = make.participant(name="Jan")
    page = client.post(
        f"/trainings/{training['id']}/enrol",
        data={"enrol-participants": [str(person)]},
        follow_redirects=True,
    ).get_data(as_text=True)
    left_out = (today + timedelta(days=14)).strftime("%d/%m/%Y")
    assert f"Nobody was enrolled in the cancelled session of {left_out} 09:00." in page
    assert "1 participant enrolled in 1 session (1 new enrolment)." in page
    assert _enrolled(app, person) == [training["planned"]]


def test_the_session_page_enrols_nobody_in_a_cancelled_session_and_says_so(app, make, training):
    client = log_in(app, Role.PROMOTOR, make, english=True)
    person = make.participant(name="Jan")
    page = client.post(
        f"/sessions/{training['cancelled']}/enrol",
        data={"enrol-participants": [str(person)]},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Nobody was enrolled in the cancelled session of" in page
    assert "participants enrolled" not in page
    assert _enrolled(app, person) == []


def test_the_api_lists_the_cancelled_sessions_it_left_out(app, make, training):
    api = make.api(Role.PROMOTOR)
    person = make.participant()
    answer = api.post(f"/trainings/{training['id']}/enrolments", {"participant_id": person})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["created"] == 1
    assert answer.get_json()["skipped_session_ids"] == [training["cancelled"]]
    assert _enrolled(app, person) == [training["planned"]]
