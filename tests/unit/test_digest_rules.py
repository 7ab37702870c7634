"""docs/rules.md, "Daily digest": what goes in the promotor's and trainer's daily mail."""

from datetime import date, datetime, time, timedelta

from app.domain.cutoff import BRUSSELS
from app.domain.digest import (
    Digest,
    awaits_completion,
    certificate_attention,
    digest_runs_on,
    due_soon_until,
)

MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 27)


def test_due_within_three_working_days_counts_working_days_not_calendar_days():
    assert due_soon_until(MONDAY) == date(2026, 11, 26)  # Thursday
    assert due_soon_until(FRIDAY) == date(2026, 12, 2)  # over the weekend: Wednesday


def test_a_public_holiday_or_a_closure_day_does_not_count_as_a_working_day():
    # 11 November 2026 (Wednesday) is Armistice Day.
    assert due_soon_until(date(2026, 11, 9)) == date(2026, 11, 13)
    assert due_soon_until(MONDAY, closures=[date(2026, 11, 24)]) == date(2026, 11, 27)


def test_a_certificate_due_within_three_working_days_is_due_soon():
    assert certificate_attention("due", date(2026, 11, 26), MONDAY) == "due_soon"
    assert certificate_attention("due", MONDAY, MONDAY) == "due_soon"  # due today
    assert certificate_attention("due", date(2026, 11, 27), MONDAY) is None


def test_an_overdue_certificate_is_always_in_the_digest():
    assert certificate_attention("overdue", date(2025, 1, 1), MONDAY) == "overdue"


def test_issued_upcoming_and_optional_certificates_are_not_in_the_digest():
    for state in ("issued", "upcoming", "optional"):
        assert certificate_attention(state, MONDAY, MONDAY) is None


DEADLINE = datetime.combine(MONDAY, time(10), tzinfo=BRUSSELS)  # a Friday session's deadline
MORNING = datetime.combine(MONDAY, time(7), tzinfo=BRUSSELS)


def completion(now=MORNING, enrolled=10, registered=10, incomplete=0, deadline=DEADLINE):  # type: ignore[no-untyped-def]
    return awaits_completion(
        deadline=deadline, now=now, enrolled=enrolled, registered=registered, incomplete=incomplete
    )


def test_a_session_with_someone_checked_in_and_never_out_is_to_complete_before_10():
    assert completion(incomplete=1)
    assert not completion(incomplete=0)  # everyone checked in and out: nothing to do


def test_a_session_nobody_registered_in_is_to_complete_too():
    assert completion(registered=0)
    assert not completion(registered=0, enrolled=0)  # nobody enrolled: nothing to register


def test_after_the_deadline_or_for_a_later_deadline_the_session_is_not_in_the_digest():
    assert not completion(incomplete=1, now=DEADLINE + timedelta(minutes=1))  # locked now
    assert not completion(incomplete=1, deadline=DEADLINE + timedelta(days=1))  # today's session


def test_the_digest_goes_out_on_working_days_only():
    assert digest_runs_on(MONDAY)
    assert not digest_runs_on(date(2026, 11, 28))  # Saturday
    assert not digest_runs_on(date(2026, 11, 11))  # a public holiday
    assert not digest_runs_on(MONDAY, closures=[MONDAY])


def test_nothing_to_say_means_no_mail():
    assert Digest(MONDAY).empty
