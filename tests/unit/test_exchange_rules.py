"""The exchange with a school administration package (docs/rules.md, "Exchange")."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.domain.exchange import (
    DEFAULT_MAPPING,
    STATES,
    Moment,
    Stamp,
    code_for,
    event_id,
    format_mapping,
    given_up,
    identifier_allowed,
    latest,
    mapping_problems,
    moment_of,
    parse_mapping,
    sessions_in_moment,
    state_for,
    state_from_registrations,
    wins,
)

DAY = date(2026, 12, 1)
T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_session_belongs_to_the_half_day_its_start_falls_in():
    assert moment_of(DAY, time(8, 30)) == Moment(DAY, "am")
    assert moment_of(DAY, time(11, 0)) == Moment(DAY, "am")  # 11:00-13:00 is a morning one
    assert moment_of(DAY, time(12, 0)) == Moment(DAY, "pm")
    assert moment_of(DAY, time(18, 30)) == Moment(DAY, "pm")


def test_the_split_between_morning_and_afternoon_is_configurable():
    assert moment_of(DAY, time(12, 30), split_at=time(13, 0)) == Moment(DAY, "am")
    assert moment_of(DAY, time(13, 0), split_at=time(13, 0)) == Moment(DAY, "pm")


def test_an_incoming_half_day_code_applies_to_every_session_in_that_half_day():
    sessions = [(1, DAY, time(8, 30)), (2, DAY, time(10, 30)), (3, DAY, time(13, 0))]
    assert sessions_in_moment(sessions, Moment(DAY, "am")) == [1, 2]
    assert sessions_in_moment(sessions, Moment(DAY, "pm")) == [3]
    assert sessions_in_moment(sessions, Moment(DAY + timedelta(days=1), "am")) == []


def test_the_one_registered_last_wins():
    held = Stamp(T, "evt_b")
    assert wins(Stamp(T + timedelta(milliseconds=1), "evt_a"), held)
    assert not wins(Stamp(T - timedelta(seconds=1), "evt_z"), held)
    assert wins(Stamp(T, "evt_a"), None)


def test_equal_times_are_decided_by_the_event_id_the_same_way_on_both_sides():
    a, b = Stamp(T, "evt_a"), Stamp(T, "evt_b")
    assert wins(b, a) and not wins(a, b)
    assert latest([a, b]) == latest([b, a]) == b
    assert not wins(a, a)  # the same event again changes nothing


def test_an_event_id_is_stable_and_differs_per_change():
    assert event_id("c1", "mark", 7, 3) == event_id("c1", "mark", 7, 3)
    assert event_id("c1", "mark", 7, 3) != event_id("c1", "mark", 8, 3)
    assert event_id("c1", "justification", 7, 3) != event_id("c1", "justification", 7, 4)
    assert event_id("c1", "mark", 7, 3).startswith("evt_")


def test_the_default_mapping_maps_every_state_to_its_own_code_and_back():
    assert mapping_problems(DEFAULT_MAPPING) == []
    for state in STATES:
        assert state_for(DEFAULT_MAPPING, code_for(DEFAULT_MAPPING, state)) == state
    assert code_for(DEFAULT_MAPPING, "present") == "|"
    assert state_for(DEFAULT_MAPPING, "??") is None


def test_a_mapping_must_name_every_state_once_with_a_short_code():
    broken = {**DEFAULT_MAPPING, "absent": "|", "late": "", "bogus": "Q"}
    del broken["exempt"]
    problems = mapping_problems(broken)
    assert "missing:exempt" in problems
    assert "unknown:bogus" in problems
    assert "invalid:late" in problems
    assert "duplicate:|" in problems
    assert "invalid:present" in mapping_problems({**DEFAULT_MAPPING, "present": "a b"})


def test_support_edits_the_mapping_as_lines_of_state_and_code():
    text = format_mapping(DEFAULT_MAPPING)
    assert text.splitlines()[0] == "present = |"
    assert parse_mapping(text) == DEFAULT_MAPPING
    with pytest.raises(ValueError):
        parse_mapping("present |")


def test_what_a_sessions_registrations_amount_to():
    start, end = T, T + timedelta(hours=3)
    assert state_from_registrations(start, end, []) == "absent"
    assert state_from_registrations(start, end, [("in", start)]) == "present"
    assert state_from_registrations(start, end, [("in", start), ("out", end)]) == "present"
    assert state_from_registrations(start, end, [("in", start + timedelta(minutes=5))]) == "late"
    left = [("in", start), ("out", end - timedelta(hours=1))]
    assert state_from_registrations(start, end, left) == "left_early"


def test_a_delivery_is_retried_for_a_week():
    assert not given_up(T, T + timedelta(days=6))
    assert given_up(T, T + timedelta(days=7, seconds=1))


def test_the_national_register_number_travels_only_over_https_and_only_where_allowed():
    assert identifier_allowed("email", "http://peer.test", False)
    assert identifier_allowed("external_id", "http://peer.test", False)
    assert not identifier_allowed("national_number", "https://peer.test", False)
    assert not identifier_allowed("national_number", "http://peer.test", True)
    assert identifier_allowed("national_number", "https://peer.test", True)
    assert not identifier_allowed("name", "https://peer.test", True)


def test_the_mapping_is_written_and_read_with_dutch_state_names_too():
    from app.domain.exchange import DUTCH_STATE_NAMES, format_mapping, parse_mapping

    dutch = format_mapping(DEFAULT_MAPPING, DUTCH_STATE_NAMES)
    assert "vroeger_vertrokken = V" in dutch and "left_early" not in dutch
    assert parse_mapping(dutch) == DEFAULT_MAPPING  # stored by the protocol's names
    assert parse_mapping(format_mapping(DEFAULT_MAPPING)) == DEFAULT_MAPPING
    assert set(DUTCH_STATE_NAMES) == set(STATES)
