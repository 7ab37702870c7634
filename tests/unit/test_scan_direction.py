"""docs/rules.md, "Scan direction": a scan checks a person in when out and out when in; a quick repeat is one scan."""

from datetime import datetime, timedelta

from app.domain.cutoff import BRUSSELS
from app.domain.scanning import scan_direction

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=BRUSSELS)
INTERVAL = timedelta(minutes=2)


def test_the_first_scan_checks_in():
    assert scan_direction("auto", None, None, T0, INTERVAL) == ("in", False)


def test_a_scan_of_someone_who_is_in_checks_out():
    assert scan_direction("auto", "in", T0, T0 + timedelta(hours=3), INTERVAL) == ("out", False)


def test_a_scan_within_the_repeat_interval_records_nothing():
    assert scan_direction("auto", "in", T0, T0 + timedelta(seconds=90), INTERVAL) == ("in", True)


def test_a_scan_just_after_the_repeat_interval_toggles():
    assert scan_direction("auto", "in", T0, T0 + INTERVAL, INTERVAL) == ("out", False)


def test_a_fixed_direction_records_that_direction():
    assert scan_direction("in", "in", T0, T0 + timedelta(hours=1), INTERVAL) == ("in", False)
    assert scan_direction("out", "in", T0, T0 + timedelta(seconds=10), INTERVAL) == ("out", False)
    assert scan_direction("in", "in", T0, T0 + timedelta(seconds=10), INTERVAL) == ("in", True)


def test_the_app_and_the_scanner_share_one_scan_direction_rule():
    """The scanner predicts offline with the very function the server decides with."""
    import checkin
    import scanner.offline

    assert scan_direction is checkin.scan_direction
    assert scanner.offline.scan_direction is checkin.scan_direction


def test_a_registration_may_lie_at_most_a_minute_in_the_future():
    from app.domain.scanning import FUTURE_MARGIN

    assert timedelta(seconds=60) == FUTURE_MARGIN
