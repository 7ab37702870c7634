"""docs/rules.md, "Sessions overlap": one rule holds a session planned alone, a series and a
session moved; and only support, saying why, may leave registrations outside a session."""

from datetime import date, time

from app.domain.sessions import (
    PlannedSlot,
    PlanningProblem,
    change_overrides_registrations,
    may_override_registrations_outside,
    planning_problem,
)

MONDAY, TUESDAY = date(2026, 11, 23), date(2026, 11, 24)
MORNING = PlannedSlot(7, TUESDAY, time(9), time(12))


def problem(days, start=time(13), end=time(16), breaks=(None, None), others=(), moved=None):  # type: ignore[no-untyped-def]
    return planning_problem(days, start, end, *breaks, others, session_id=moved)


def test_free_days_at_sensible_times_can_be_planned():
    assert problem([MONDAY, TUESDAY], others=[MORNING]) is None


def test_impossible_times_are_refused_before_any_overlap_is_looked_for():
    assert problem([TUESDAY], start=time(10), end=time(9), others=[MORNING]) == PlanningProblem(
        "end_before_start"
    )
    assert problem([MONDAY], breaks=(time(12), time(13))).code == "break_outside_session"


def test_a_series_is_refused_on_the_first_day_that_overlaps_naming_that_session():
    found = problem([MONDAY, TUESDAY], start=time(11), others=[MORNING])
    assert found == PlanningProblem("overlap", MORNING)


def test_sessions_that_only_touch_do_not_overlap():
    assert problem([TUESDAY], start=time(12), others=[MORNING]) is None


def test_a_session_moved_never_overlaps_itself():
    assert problem([TUESDAY], start=time(10), others=[MORNING], moved=MORNING.id) is None


def test_only_support_may_leave_registrations_outside_a_session():
    assert may_override_registrations_outside("admin")
    assert not any(may_override_registrations_outside(r) for r in ("promotor", "trainer"))


def test_supports_change_goes_through_only_with_a_reason():
    assert change_overrides_registrations("admin", "Scanner stond een uur te vroeg")
    assert not change_overrides_registrations("admin", "   ")
    assert not change_overrides_registrations("admin", None)
    assert not change_overrides_registrations("promotor", "Scanner stond een uur te vroeg")
