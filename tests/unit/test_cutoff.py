"""docs/rules.md, "Registration window": registrations for a session on day D are accepted until 10:00 on the next working day."""

from datetime import date, datetime, timedelta

from app.domain.cutoff import BRUSSELS, is_working_day, registration_deadline, window_refusal


def brussels(*args: int) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)


def test_a_tuesday_session_closes_at_ten_on_wednesday():
    assert registration_deadline(date(2026, 11, 24)) == brussels(2026, 11, 25, 10, 0)


def test_a_friday_session_closes_at_ten_on_monday():
    assert registration_deadline(date(2026, 11, 27)) == brussels(2026, 11, 30, 10, 0)


def test_a_saturday_session_closes_at_ten_on_monday():
    assert registration_deadline(date(2026, 11, 28)) == brussels(2026, 11, 30, 10, 0)


def test_armistice_day_is_not_a_working_day():
    # 10 November 2026 is a Tuesday; 11 November (Wednesday) is a public holiday.
    assert not is_working_day(date(2026, 11, 11))
    assert registration_deadline(date(2026, 11, 10)) == brussels(2026, 11, 12, 10, 0)


def test_easter_monday_moves_the_deadline_to_tuesday():
    # Easter 2027 is 28 March: a Friday 26 March session closes on Tuesday 30 March.
    assert registration_deadline(date(2027, 3, 26)) == brussels(2027, 3, 30, 10, 0)


def test_christmas_and_new_year():
    # Thursday 24 Dec 2026: Friday 25 is Christmas, so Monday 28 December.
    assert registration_deadline(date(2026, 12, 24)) == brussels(2026, 12, 28, 10, 0)
    # Thursday 31 Dec 2026: Friday 1 January is New Year, so Monday 4 January.
    assert registration_deadline(date(2026, 12, 31)) == brussels(2027, 1, 4, 10, 0)


def test_a_closure_day_is_not_a_working_day():
    closures = [date(2026, 11, 25)]
    assert registration_deadline(date(2026, 11, 24), closures) == brussels(2026, 11, 26, 10, 0)


def test_the_deadline_stays_at_ten_local_time_across_the_switch_to_winter_time():
    # Clocks go back on Sunday 25 October 2026: Friday's deadline is 10:00 CET on Monday.
    deadline = registration_deadline(date(2026, 10, 23))
    assert deadline == brussels(2026, 10, 26, 10, 0)
    assert deadline.utcoffset() == timedelta(hours=1)


def test_the_deadline_stays_at_ten_local_time_across_the_switch_to_summer_time():
    # Clocks go forward on Sunday 29 March 2026: Friday's deadline is 10:00 CEST on Monday.
    deadline = registration_deadline(date(2026, 3, 27))
    assert deadline == brussels(2026, 3, 30, 10, 0)
    assert deadline.utcoffset() == timedelta(hours=2)


START = brussels(2026, 11, 24, 9, 0)
DEADLINE = brussels(2026, 11, 25, 10, 0)


def test_a_scan_sixty_minutes_before_the_start_is_accepted():
    at = START - timedelta(minutes=60)
    assert window_refusal(at, start=START, deadline=DEADLINE, now=at) is None


def test_a_scan_earlier_than_that_is_too_early():
    at = START - timedelta(minutes=61)
    assert window_refusal(at, start=START, deadline=DEADLINE, now=at) == "too_early"


def test_a_registration_at_the_deadline_is_accepted_and_one_minute_later_refused():
    assert window_refusal(DEADLINE, start=START, deadline=DEADLINE, now=DEADLINE) is None
    late = DEADLINE + timedelta(minutes=1)
    assert window_refusal(late, start=START, deadline=DEADLINE, now=late) == "registration_closed"


def test_an_offline_scan_made_in_time_but_arriving_after_the_deadline_is_refused():
    at = START + timedelta(hours=1)
    late = DEADLINE + timedelta(seconds=1)
    assert window_refusal(at, start=START, deadline=DEADLINE, now=late) == "registration_closed"


def test_a_reopened_session_accepts_registrations_after_the_deadline():
    late = DEADLINE + timedelta(days=3)
    assert window_refusal(late, start=START, deadline=DEADLINE, now=late, reopened=True) is None
