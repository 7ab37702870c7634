"""docs/rules.md, "Locked sessions" and "Front desk follow-up": when a session takes no more
registrations, and when the front desk reminds its trainer."""

from datetime import datetime, timedelta

from app.domain.cutoff import BRUSSELS
from app.domain.frontdesk import needs_reminder, reminder_from
from app.domain.sessions import is_locked

DEADLINE = datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS)
BEFORE, AFTER = DEADLINE - timedelta(seconds=1), DEADLINE + timedelta(seconds=1)


def locked(now, submitted=False, reopened=False, cancelled=False):  # type: ignore[no-untyped-def]
    return is_locked(
        deadline=DEADLINE, now=now, submitted=submitted, reopened=reopened, cancelled=cancelled
    )


def test_a_session_is_open_until_its_deadline_and_locked_after_it():
    assert not locked(BEFORE)
    assert not locked(DEADLINE)  # 10:00 itself is still in time
    assert locked(AFTER)


def test_a_submitted_session_is_locked_even_before_its_deadline():
    assert locked(BEFORE, submitted=True)


def test_a_session_support_reopened_is_open_after_its_deadline_and_after_submission():
    assert not locked(AFTER, reopened=True)
    assert not locked(AFTER, submitted=True, reopened=True)


def test_a_cancelled_session_is_always_locked_even_when_reopened():
    assert locked(BEFORE, cancelled=True)
    assert locked(AFTER, cancelled=True, reopened=True)


START = datetime(2026, 11, 24, 9, 0, tzinfo=BRUSSELS)
END = datetime(2026, 11, 24, 12, 0, tzinfo=BRUSSELS)
BREAK = datetime(2026, 11, 24, 10, 30, tzinfo=BRUSSELS)


def remind(now, enrolled=12, registrations=0, break_start=BREAK):  # type: ignore[no-untyped-def]
    return needs_reminder(
        enrolled=enrolled,
        registrations=registrations,
        start=START,
        end=END,
        break_start=break_start,
        now=now,
    )


def test_the_reminder_comes_at_the_break_when_nothing_is_registered_yet():
    assert reminder_from(START, END, BREAK) == BREAK
    assert not remind(BREAK - timedelta(minutes=1))
    assert remind(BREAK)


def test_without_a_break_the_reminder_comes_halfway():
    assert reminder_from(START, END, None) == START + timedelta(hours=1, minutes=30)
    assert not remind(START + timedelta(hours=1, minutes=29), break_start=None)
    assert remind(START + timedelta(hours=1, minutes=30), break_start=None)


def test_one_registration_or_nobody_enrolled_means_no_reminder():
    assert not remind(END, registrations=1)
    assert not remind(END, enrolled=0)
