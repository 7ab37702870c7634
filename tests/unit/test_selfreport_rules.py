"""docs/rules.md, "E-learning self-reports", as the domain states it: the hours a participant reports for e-learning."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.domain.cutoff import BRUSSELS
from app.domain.selfreports import Reported, reported_time, self_report_problem

MONDAY = date(2026, 3, 2)
TUESDAY = MONDAY + timedelta(days=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BRUSSELS)


def problem(report: Reported, others=(), now=None, **kwargs):  # type: ignore[no-untyped-def]
    found = self_report_problem(report, others, now=now or at(MONDAY, 20), **kwargs)
    return found.code if found else None


def morning(day: date = MONDAY, start: int = 9, end: int = 12, id: int | None = None) -> Reported:
    return Reported(day, time(start), time(end), id=id)


def test_a_report_of_earlier_today_with_times_is_accepted():
    assert problem(morning()) is None


def test_a_duration_alone_is_enough():
    assert problem(Reported(MONDAY, duration=timedelta(hours=2))) is None


def test_a_report_needs_times_or_a_duration():
    assert problem(Reported(MONDAY)) == "no_time"
    assert problem(Reported(MONDAY, start=time(9))) == "no_time"


def test_the_end_must_come_after_the_start():
    assert problem(morning(start=12, end=9)) == "end_before_start"
    assert problem(morning(start=9, end=9)) == "end_before_start"


def test_a_duration_lies_between_a_minute_and_a_day():
    assert problem(Reported(MONDAY, duration=timedelta(0))) == "duration_range"
    assert problem(Reported(MONDAY, duration=timedelta(hours=25))) == "duration_range"


def test_hours_in_the_future_are_refused():
    assert problem(morning(start=19, end=21), now=at(MONDAY, 20)) == "future"
    assert problem(morning(TUESDAY)) == "future"


def test_a_duration_today_cannot_exceed_the_time_since_midnight():
    assert problem(Reported(MONDAY, duration=timedelta(hours=3)), now=at(MONDAY, 2)) == "future"
    assert problem(Reported(MONDAY, duration=timedelta(hours=2)), now=at(MONDAY, 2)) is None


def test_the_deadline_is_ten_on_the_next_working_day():
    friday = MONDAY + timedelta(days=4)
    report = morning(friday)
    next_monday = friday + timedelta(days=3)
    assert problem(report, now=at(next_monday, 9, 59)) is None
    assert problem(report, now=at(next_monday, 10, 1)) == "registration_closed"


def test_a_closure_day_moves_the_deadline():
    assert problem(morning(), now=at(TUESDAY, 12), closures=[TUESDAY]) is None
    assert problem(morning(), now=at(TUESDAY, 12)) == "registration_closed"


def test_a_correction_of_a_report_of_the_same_day_is_not_held_to_the_deadline_again():
    late = at(MONDAY + timedelta(days=10), 12)
    assert problem(morning(), now=late, correcting_day=MONDAY) is None
    assert problem(morning(), now=late, correcting_day=TUESDAY) == "registration_closed"


def test_only_days_within_the_enrolment_count():
    assert problem(morning(), enrolled_on=TUESDAY) == "before_enrolment"
    assert problem(morning(), terminated_on=MONDAY - timedelta(days=1)) == "after_termination"
    assert problem(morning(), enrolled_on=MONDAY, terminated_on=MONDAY) is None


def test_a_report_may_not_overlap_another_report_of_the_same_person():
    found = self_report_problem(morning(start=11, end=13), [morning(id=7)], now=at(MONDAY, 20))
    assert found is not None and (found.code, found.other_id) == ("overlap", 7)


def test_reports_that_only_touch_do_not_overlap():
    assert problem(morning(start=12, end=13), [morning()]) is None


def test_reports_of_other_days_do_not_count():
    assert problem(morning(), [morning(MONDAY - timedelta(days=1))]) is None


def test_a_day_holds_at_most_24_hours():
    others = [Reported(MONDAY, duration=timedelta(hours=20), id=1)]
    assert (
        problem(Reported(MONDAY, duration=timedelta(hours=4)), others, now=at(TUESDAY, 1)) is None
    )
    assert (
        problem(Reported(MONDAY, duration=timedelta(hours=5)), others, now=at(TUESDAY, 1))
        == "over_24_hours"
    )


def test_reported_time_is_what_really_passed_across_a_clock_change():
    spring = date(2026, 3, 29)  # clocks go from 02:00 to 03:00
    assert reported_time(Reported(spring, time(1), time(4))) == timedelta(hours=2)
