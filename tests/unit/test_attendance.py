"""docs/rules.md, "Hours and thresholds (figures)": hours present, and the Syntra rule for counting as present."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.domain.attendance import (
    Presence,
    counts_as_present,
    hours,
    is_incomplete,
    planned_time,
    presence,
    present_time,
    span,
)
from app.domain.cutoff import BRUSSELS


def at(hour: int, minute: int = 0, day: int = 24, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BRUSSELS)


START, BREAK_START, BREAK_END, END = at(9), at(12), at(12, 30), at(16)
H = timedelta(hours=1)


def present(registrations, break_start=BREAK_START, break_end=BREAK_END):  # type: ignore[no-untyped-def]
    return present_time(START, END, break_start, break_end, registrations)


def test_hours_are_the_time_between_check_in_and_check_out_minus_the_break():
    assert present([("in", at(9)), ("out", at(16))]) == 6.5 * H


def test_arrival_before_the_start_and_departure_after_the_end_are_clipped():
    assert present([("in", at(8, 15)), ("out", at(17, 30))]) == 6.5 * H


def test_several_in_out_pairs_add_up():
    registrations = [("in", at(9)), ("out", at(10)), ("in", at(11)), ("out", at(12))]
    assert present(registrations) == 2 * H


def test_registrations_may_come_in_any_order():
    registrations = [("out", at(12)), ("in", at(11)), ("out", at(10)), ("in", at(9))]
    assert present(registrations) == 2 * H


def test_time_checked_in_during_the_break_does_not_count():
    assert present([("in", at(12, 10)), ("out", at(13))]) == 0.5 * H
    assert present([("in", at(11, 30)), ("out", at(12, 15))]) == 0.5 * H


def test_without_a_break_nothing_is_subtracted():
    assert present([("in", at(9)), ("out", at(16))], None, None) == 7 * H


def test_an_open_check_in_counts_nothing_and_makes_the_session_incomplete():
    registrations = [("in", at(9)), ("out", at(10)), ("in", at(13))]
    assert present(registrations) == 1 * H
    assert is_incomplete(registrations)
    assert not is_incomplete([("in", at(9)), ("out", at(10))])


def test_a_second_check_in_while_in_keeps_the_first_and_a_stray_check_out_is_ignored():
    assert present([("out", at(8)), ("in", at(9)), ("in", at(10)), ("out", at(11))]) == 2 * H


def test_durations_are_absolute_time_across_the_end_of_summer_time():
    # 25 October 2026: at 03:00 clocks go back to 02:00, so 01:00-05:00 lasts five hours.
    start, end = at(1, day=25, month=10), at(5, day=25, month=10)
    assert present_time(start, end, None, None, [("in", start), ("out", end)]) == 5 * H
    assert planned_time(start, end, None, None) == 5 * H


def test_planned_time_subtracts_the_break():
    assert planned_time(START, END, BREAK_START, BREAK_END) == 6.5 * H


def test_hours_are_shown_with_two_decimals():
    assert hours(timedelta(minutes=100)) == Decimal("1.67")


def syntra(registrations, break_start=BREAK_START, break_end=BREAK_END):  # type: ignore[no-untyped-def]
    return counts_as_present(START, END, break_start, break_end, registrations)


def test_present_when_attending_the_whole_part_before_the_break():
    assert syntra([("in", at(9)), ("out", at(12))])


def test_present_when_attending_the_whole_part_after_the_break():
    assert syntra([("in", at(12, 30)), ("out", at(16))])


def test_not_present_when_attending_part_of_each_half():
    assert not syntra([("in", at(10)), ("out", at(14))])


def test_ten_minutes_late_still_counts_eleven_does_not():
    assert syntra([("in", at(9, 10)), ("out", at(12))])
    assert not syntra([("in", at(9, 11)), ("out", at(12))])


def test_leaving_ten_minutes_early_still_counts():
    assert syntra([("in", at(12, 30)), ("out", at(15, 50))])
    assert not syntra([("in", at(12, 30)), ("out", at(15, 49))])


def test_a_gap_in_the_middle_of_the_part_breaks_it():
    assert not syntra([("in", at(9)), ("out", at(10)), ("in", at(11)), ("out", at(12))])


def test_without_a_break_the_whole_session_must_be_attended():
    assert syntra([("in", at(9, 5)), ("out", at(15, 55))], None, None)
    assert not syntra([("in", at(9)), ("out", at(12))], None, None)


def test_an_open_check_in_is_not_presence():
    assert not syntra([("in", at(9))])


def test_a_check_in_while_already_in_does_not_count_the_overlap_twice():
    registrations = [("in", at(9)), ("in", at(9, 30)), ("out", at(11)), ("out", at(11, 30))]
    assert present(registrations) == 2 * H


def test_registrations_in_another_time_zone_count_the_same_instants():
    utc = ZoneInfo("UTC")
    # 24 November is winter time: 09:00 in Brussels is 08:00 UTC.
    registrations = [("in", datetime(2026, 11, 24, 8, tzinfo=utc)), ("out", at(12))]
    assert present(registrations) == 3 * H


def test_leaving_ten_minutes_before_the_break_still_counts_the_part_before_it():
    assert syntra([("in", at(9)), ("out", at(11, 50))])
    assert not syntra([("in", at(9)), ("out", at(11, 49))])


def test_coming_back_ten_minutes_after_the_break_still_counts_the_part_after_it():
    assert syntra([("in", at(12, 40)), ("out", at(16))])
    assert not syntra([("in", at(12, 41)), ("out", at(16))])


def test_the_syntra_rule_uses_absolute_time_across_the_end_of_summer_time():
    # 01:00-05:00 on 25 October 2026 lasts five hours; leaving at 04:50 is ten minutes early.
    start, end = at(1, day=25, month=10), at(5, day=25, month=10)
    assert counts_as_present(start, end, None, None, [("in", start), ("out", at(4, 50, 25, 10))])


def test_hours_round_half_up_to_two_decimals():
    assert hours(timedelta(seconds=18)) == Decimal("0.01")  # 0.005 h
    assert hours(timedelta(seconds=17)) == Decimal("0.00")


def test_presence_gives_the_three_answers_of_the_separate_rules_at_once():
    cases = [
        [],
        [("in", at(9)), ("out", at(16))],
        [("in", at(9, 8)), ("out", at(12, 5))],  # late within grace: the first part counts
        [("in", at(12, 40)), ("out", at(15, 55))],  # the part after the break
        [("in", at(9)), ("out", at(10)), ("in", at(13))],  # open check-in
        [("out", at(12)), ("in", at(11)), ("out", at(10)), ("in", at(9))],
        [("out", at(9))],
    ]
    for registrations in cases:
        for breaks in ((BREAK_START, BREAK_END), (None, None)):
            args = (START, END, *breaks)
            assert presence(span(*args), registrations) == Presence(
                present=present_time(*args, registrations),
                incomplete=is_incomplete(registrations),
                counts_as_present=counts_as_present(*args, registrations),
            ), registrations
