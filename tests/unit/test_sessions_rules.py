"""Sessions: derived status, overlaps within a training, planned times."""

from datetime import date, datetime, time, timedelta

from app.domain.cutoff import BRUSSELS
from app.domain.sessions import (
    PlannedSlot,
    SessionStatus,
    find_overlap,
    schedule_problem,
    session_status,
)

START = datetime(2026, 11, 24, 9, 0, tzinfo=BRUSSELS)
END = datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS)
DAY = date(2026, 11, 24)


def status(now: datetime, submitted: bool = False, reopened: bool = False) -> SessionStatus:
    return session_status(START, END, submitted=submitted, reopened=reopened, now=now)


def test_status_is_planned_before_the_start_in_progress_during_and_executed_after():
    assert status(START - timedelta(minutes=1)) is SessionStatus.PLANNED
    assert status(START) is SessionStatus.IN_PROGRESS
    assert status(END) is SessionStatus.EXECUTED


def test_a_submitted_session_shows_submitted_unless_reopened():
    assert status(END + timedelta(days=2), submitted=True) is SessionStatus.SUBMITTED
    assert status(END + timedelta(days=2), submitted=True, reopened=True) is SessionStatus.EXECUTED


def test_two_sessions_of_a_training_on_one_day_may_not_overlap():
    morning = PlannedSlot(1, DAY, time(9), time(12))
    assert find_overlap(PlannedSlot(None, DAY, time(11), time(13)), [morning]) == morning
    assert find_overlap(PlannedSlot(None, DAY, time(8), time(9, 30)), [morning]) == morning
    assert find_overlap(PlannedSlot(None, DAY, time(10), time(11)), [morning]) == morning


def test_sessions_that_only_touch_do_not_overlap():
    morning = PlannedSlot(1, DAY, time(9), time(12))
    assert find_overlap(PlannedSlot(None, DAY, time(12), time(16)), [morning]) is None


def test_sessions_on_other_days_and_the_session_itself_do_not_count():
    morning = PlannedSlot(1, DAY, time(9), time(12))
    assert find_overlap(PlannedSlot(None, date(2026, 11, 25), time(9), time(12)), [morning]) is None
    assert find_overlap(PlannedSlot(1, DAY, time(9), time(13)), [morning]) is None


def test_planned_times_must_make_sense():
    assert schedule_problem(time(12), time(9), None, None) == "end_before_start"
    assert schedule_problem(time(9), time(12), time(10), None) == "break_incomplete"
    assert schedule_problem(time(9), time(12), time(11), time(10)) == "break_end_before_start"
    assert schedule_problem(time(9), time(12), time(8), time(10)) == "break_outside_session"
    assert schedule_problem(time(9), time(16), time(12), time(12, 30)) is None
