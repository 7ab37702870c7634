"""The roll call records only what it knows (seed 000): check-ins for the present, never a time
in the future, no invented check-out; its marks and remarks are shown again; late arrivals,
early departures and closing the session after its end; one "present now" everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.attendance import operations as ops
from app.domain.cutoff import BRUSSELS
from app.errors import Refusal
from app.extensions import db
from app.frontdesk.operations import frontdesk_lines
from app.models import Registration, Role, RollCallMark, Session, User
from tests.helpers.attendance import at, call, effective, run
from tests.helpers.preconditions import by_design
from tests.helpers.web import PAST, reopen


@pytest.fixture
def held(app, make):  # type: ignore[no-untyped-def]
    """A reopened past session 9:00-12:00 (break 10:15-10:30) with An, Ben and Cis enrolled."""
    session_id = make.session(PAST, time(9), time(12), time(10, 15), time(10, 30))
    people = {name: make.participant(name=name) for name in ("An", "Ben", "Cis")}
    for person in people.values():
        make.enrol(session_id, person)
    reopen(app, session_id)
    return {"session": session_id, "promotor": make.user(Role.PROMOTOR, "Gent"), **people}


def roll_call(app, held, lines, now, at_start=True):  # type: ignore[no-untyped-def]
    def operation(actor):  # type: ignore[no-untyped-def]
        session = db.session.get(Session, held["session"])
        return ops.confirm_roll_call(actor, session, lines, now, at_start)

    return run(app, held["promotor"], operation)


def test_present_get_a_check_in_at_the_start_and_nothing_more(app, held):
    lines = [
        ops.RollCallLine(held["An"], True),
        ops.RollCallLine(held["Ben"], False, "sick, phoned in"),
        ops.RollCallLine(held["Cis"], True),
    ]
    assert roll_call(app, held, lines, at(9, 10)) == 2
    assert effective(app, held["session"], held["An"]) == [("in", time(9), "manual")]
    assert effective(app, held["session"], held["Ben"]) == []
    with app.app_context():
        marks = ops.roll_call_marks(db.session.get(Session, held["session"]))
        assert (
            marks[held["Ben"]].present is False and marks[held["Ben"]].remark == "sick, phoned in"
        )


def test_the_check_in_is_never_in_the_future(app, held):
    """Before the start (within the hour scanning is open) the check-in is the present moment,
    and "now" is the present moment, whatever the trainer chose."""
    roll_call(app, held, [ops.RollCallLine(held["An"], True)], at(8, 40))
    roll_call(app, held, [ops.RollCallLine(held["Ben"], True)], at(9, 25), at_start=False)
    assert effective(app, held["session"], held["An"]) == [("in", time(8, 40), "manual")]
    assert effective(app, held["session"], held["Ben"]) == [("in", time(9, 25), "manual")]


def test_the_page_shows_the_saved_state_again(app, make, held, auth):
    client = auth.as_role(Role.ADMIN, branch=None)
    present = [held["An"], held["Cis"]]
    data = {"step": "confirm", "present": present, f"remark-{held['Ben']}": "ziek"}
    assert client.post(f"/sessions/{held['session']}/roll-call", data=data).status_code == 302
    page = client.get(f"/sessions/{held['session']}/roll-call").get_data(as_text=True)
    assert f'id="present-{held["Ben"]}">' in page  # unticked, as confirmed
    assert 'value="ziek"' in page
    with app.app_context():
        assert db.session.scalars(select(RollCallMark)).all()


def test_left_early_writes_a_check_out_at_that_time(app, held):
    roll_call(app, held, [ops.RollCallLine(held["An"], True)], at(9, 5))
    call(app, held, "left_early", held["An"], at(11, 10), at(11, 15))
    assert effective(app, held["session"], held["An"]) == [
        ("in", time(9), "manual"),
        ("out", time(11, 10), "manual"),
    ]
    with pytest.raises(Refusal) as future:
        call(app, held, "left_early", held["Ben"], at(11, 30), at(11, 15))
    assert future.value.code == "future_time"
    with pytest.raises(Refusal) as not_in:
        call(app, held, "left_early", held["Ben"], at(11, 10), at(11, 15))
    assert not_in.value.code == "not_checked_in"


def test_closing_is_offered_only_after_the_end_and_writes_the_check_outs(app, held):
    roll_call(
        app, held, [ops.RollCallLine(held["An"], True), ops.RollCallLine(held["Cis"], True)], at(9)
    )
    with pytest.raises(Refusal) as early:
        run(
            app,
            held["promotor"],
            lambda actor: ops.close_session(
                actor, db.session.get(Session, held["session"]), at(11, 59)
            ),
        )
    assert early.value.code == "not_ended"
    count = run(
        app,
        held["promotor"],
        lambda actor: ops.close_session(actor, db.session.get(Session, held["session"]), at(12, 5)),
    )
    assert count == 2
    assert effective(app, held["session"], held["Cis"]) == [
        ("in", time(9), "manual"),
        ("out", time(12), "manual"),
    ]


def test_closing_at_a_given_time_before_a_check_in_is_refused(app, held):
    call(app, held, "late_arrival", held["An"], at(11, 30), at(11, 35))
    with pytest.raises(Refusal) as refused:
        run(
            app,
            held["promotor"],
            lambda actor: ops.close_session(
                actor, db.session.get(Session, held["session"]), at(12, 30), at(11)
            ),
        )
    assert refused.value.code == "before_check_in"


def test_present_now_is_one_number_on_the_session_page_the_roll_call_and_the_front_desk(
    app, make, today, auth
):
    now = datetime.now(UTC).astimezone(BRUSSELS)
    if now.time() < time(0, 30):
        by_design("before 00:30 Brussels time no session of today started half an hour ago")
    start = (now - timedelta(minutes=30)).time().replace(second=0, microsecond=0)
    session_id = make.session(today, start, time(23, 59))
    people = [make.participant(name=n) for n in ("An", "Ben", "Cis")]
    for person in people:
        make.enrol(session_id, person)
    client = auth.as_role(Role.PROMOTOR)
    data = {"step": "confirm", "present": people[:2]}
    assert client.post(f"/sessions/{session_id}/roll-call", data=data).status_code == 302
    session_page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    roll_page = client.get(f"/sessions/{session_id}/roll-call").get_data(as_text=True)
    assert '<strong data-roster-count="in">2</strong>' in session_page
    assert "<strong>2</strong> / 3" in roll_page
    frontdesk = make.user(Role.FRONTDESK, "Gent")
    with app.app_context():
        _, lines = frontdesk_lines(db.session.get(User, frontdesk), datetime.now(UTC))
        (line,) = [line for line in lines if line.session.id == session_id]
        assert line.checked_in == 2
        written = db.session.scalars(
            select(Registration).where(Registration.session_id == session_id)
        ).all()
        assert all(r.at <= datetime.now(UTC) for r in written)
