"""docs/rules.md, "Hours and thresholds (figures)": hours present from the registered times (or
whole lessons), absence as the rest of the counting hours, the exam rule over lessons (2/3), and
paid educational leave per lesson period (at most 10% unjustified absence)."""

from datetime import date, datetime, timedelta
from fractions import Fraction

from app.domain.attendance import presence, span
from app.domain.cutoff import BRUSSELS
from app.domain.participation import session_status
from app.domain.thresholds import (
    AttendanceFigures,
    SessionAttendance,
    at_risk,
    exam_eligible,
    figures_for,
    keeps_paid_leave,
    leave_state,
    paid_leave_periods,
    upcoming,
)

H = timedelta(hours=1)
MIN = timedelta(minutes=1)


def lesson(status: str, justified: bool = False, planned: timedelta = 3 * H) -> SessionAttendance:
    return SessionAttendance(
        planned=planned,
        present=planned if status == "present" else 0 * H,
        status=status,
        justified=justified,
    )  # type: ignore[arg-type]


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=BRUSSELS)


def attended(
    start: datetime,
    end: datetime,
    came: datetime,
    left: datetime,
    pause: tuple[datetime, datetime] | None = None,
    justified: bool = False,
) -> SessionAttendance:
    """A held session with one check-in and one check-out, as the figures build it."""
    session = span(start, end, *(pause or (None, None)))
    found = presence(session, [("in", came), ("out", left)])
    status = session_status(
        ends_at=end,
        now=at(23),
        exempt=False,
        late_enrolment=False,
        incomplete=found.incomplete,
        counts_as_present=found.counts_as_present,
    )
    planned = end - start - ((pause[1] - pause[0]) if pause else 0 * H)
    return SessionAttendance(planned, found.present, status, justified)


# --- Hours present from the registered times ------------------------------------------------


def test_a_late_arrival_is_present_from_the_arrival_and_unjustified_absent_before_it():
    # 09:00-12:00, arrived at 10:00: absent per lesson (Syntra), yet 2 hours present.
    late = attended(at(9), at(12), came=at(10), left=at(12))
    assert late.status == "absent"
    figures = figures_for([late])
    assert (figures.present, figures.unjustified, figures.justified) == (2 * H, 1 * H, 0 * H)


def test_a_justified_late_arrival_makes_the_missed_hour_justified():
    late = attended(at(9), at(12), came=at(10), left=at(12), justified=True)
    figures = figures_for([late])
    assert (figures.present, figures.justified, figures.unjustified) == (2 * H, 1 * H, 0 * H)


def test_an_early_departure_counts_until_the_check_out():
    early = attended(at(9), at(12), came=at(9), left=at(11, 30))
    figures = figures_for([early])
    assert (figures.present, figures.unjustified) == (2.5 * H, 0.5 * H)


def test_the_break_is_not_present_time_and_a_late_arrival_still_loses_its_minutes():
    # 18:00-21:00 with a quarter-hour break, attended 18:20-21:00: 2 h 25, not 2.75 h.
    evening = attended(at(18), at(21), came=at(18, 20), left=at(21), pause=(at(19, 30), at(19, 45)))
    assert evening.status == "present"  # the whole part after the break (Syntra rule)
    figures = figures_for([evening])
    assert figures.planned == 2.75 * H
    assert figures.present == 2 * H + 25 * MIN
    assert figures.unjustified == 20 * MIN


def test_whole_lessons_give_a_lesson_counted_present_its_planned_hours():
    evening = attended(at(18), at(21), came=at(18, 20), left=at(21), pause=(at(19, 30), at(19, 45)))
    late = attended(at(9), at(12), came=at(10), left=at(12))
    figures = figures_for([evening, late], method="lessons")
    assert figures.present == 2.75 * H  # the evening, whole
    assert figures.unjustified == 3 * H  # the late morning, whole


def test_both_methods_agree_for_someone_there_from_start_to_end():
    whole = attended(at(9), at(12), came=at(8, 50), left=at(12, 5))
    assert figures_for([whole]) == figures_for([whole], method="lessons")


def test_present_never_exceeds_the_planned_hours():
    odd = SessionAttendance(planned=3 * H, present=4 * H, status="present")
    assert figures_for([odd]).present == 3 * H


# --- What counts ----------------------------------------------------------------------------


def test_figures_add_up_per_status():
    figures = figures_for(
        [
            lesson("present"),
            lesson("absent", justified=True),
            lesson("absent"),
            lesson("exempt"),
            lesson("late_enrolment"),
            lesson("incomplete"),
            lesson("future"),
        ]
    )
    assert figures.planned == 18 * H  # the future lesson is not given yet
    assert (figures.present, figures.justified, figures.unjustified) == (3 * H, 3 * H, 3 * H)
    assert (figures.exempted, figures.late_enrolment, figures.incomplete) == (3 * H, 3 * H, 3 * H)
    assert figures.counting == 12 * H
    assert (figures.lessons, figures.lessons_present) == (4, 1)


def test_exempted_hours_count_neither_as_present_nor_as_absent():
    figures = figures_for([lesson("present"), lesson("exempt")])
    assert figures.counting == 3 * H and figures.attendance_ratio == 1


def test_an_exemption_in_hours_reduces_the_counting_hours():
    figures = figures_for([lesson("present"), lesson("absent")], extra_exempted=3 * H)
    assert figures.counting == 3 * H


def test_approved_e_learning_hours_are_given_and_present_but_no_lesson():
    report = SessionAttendance(planned=2 * H, present=2 * H, status="present", lesson=False)
    for method in ("registered", "lessons"):
        figures = figures_for([lesson("absent"), report], method=method)  # type: ignore[arg-type]
        assert (figures.planned, figures.present, figures.unjustified) == (5 * H, 2 * H, 3 * H)
        assert (figures.lessons, figures.lessons_present) == (1, 0)
        assert figures.self_reported == 2 * H


# --- The exam rule: 2/3 of the lessons ------------------------------------------------------


def test_exactly_two_thirds_of_the_lessons_attended_may_sit_the_exam():
    assert exam_eligible(figures_for([lesson("present"), lesson("present"), lesson("absent")]))


def test_less_than_two_thirds_of_the_lessons_may_not():
    figures = figures_for([lesson("present"), lesson("absent"), lesson("absent")])
    assert not exam_eligible(figures)


def test_the_exam_rule_counts_lessons_not_hours():
    # Two long lessons missed, two short ones attended: 2 of 4 lessons is below 2/3 ...
    short, long = 1 * H, 4 * H
    figures = figures_for(
        [lesson("present", planned=short)] * 2 + [lesson("absent", planned=long)] * 2
    )
    assert not exam_eligible(figures)
    # ... and four late arrivals marked absent are four lessons missed, whatever the hours.
    late = attended(at(9), at(12), came=at(9, 30), left=at(12))
    assert not exam_eligible(figures_for([late] * 4 + [lesson("present")] * 2))


def test_a_justified_absence_is_excused_but_is_not_attendance():
    assert not exam_eligible(
        figures_for([lesson("present"), lesson("absent", True), lesson("absent", True)])
    )


def test_late_enrolment_lessons_do_not_count_against_the_participant():
    figures = figures_for([lesson("late_enrolment")] * 3 + [lesson("present")] * 2)
    assert figures.counting == 6 * H and figures.lessons == 2
    assert exam_eligible(figures) and keeps_paid_leave(figures)


# --- Paid educational leave: at most 10% unjustified absence --------------------------------


def test_paid_leave_is_kept_at_exactly_ten_percent_unjustified():
    figures = figures_for([lesson("present", planned=9 * H), lesson("absent", planned=1 * H)])
    assert keeps_paid_leave(figures)


def test_paid_leave_is_lost_just_above_ten_percent():
    figures = figures_for([lesson("present", planned=9 * H), lesson("absent", planned=1 * H + MIN)])
    assert not keeps_paid_leave(figures)


def test_justified_absences_do_not_cost_paid_leave():
    assert keeps_paid_leave(
        figures_for([lesson("present"), lesson("absent", True), lesson("absent", True)])
    )


def test_late_minutes_count_towards_the_ten_percent():
    # Ten lessons of 3 hours, each attended from 20 minutes late: 200 minutes of 30 hours.
    late = attended(at(9), at(12), came=at(9, 20), left=at(12))
    assert not keeps_paid_leave(figures_for([late] * 10))
    assert keeps_paid_leave(figures_for([late] * 10, method="lessons")) is False  # all absent
    on_time = attended(at(9), at(12), came=at(9), left=at(12))
    slightly = attended(at(9), at(12), came=at(9, 15), left=at(12))
    assert keeps_paid_leave(figures_for([on_time] * 8 + [slightly] * 2))  # 30 min of 30 h


P1 = (date(2026, 9, 1), date(2026, 11, 30))
P2 = (date(2026, 12, 1), date(2027, 2, 28))


def test_paid_leave_is_kept_in_one_period_and_lost_in_the_next():
    lessons = [(date(2026, 9, 1 + i), lesson("present")) for i in range(9)]
    lessons += [(date(2026, 9, 20), lesson("absent"))]  # 1 of 10: 10%, kept
    lessons += [(date(2026, 12, 1 + i), lesson("present")) for i in range(8)]
    lessons += [(date(2026, 12, 20 + i), lesson("absent")) for i in range(2)]  # 2 of 10: lost
    first, second = paid_leave_periods([P1, P2], lessons)
    assert (first.period, first.keeps) == (P1, True)
    assert (second.period, second.keeps) == (P2, False)
    assert second.figures.unjustified == 6 * H


def test_the_warning_comes_in_the_period_where_one_more_absence_crosses_the_line():
    # Period 1: ten lessons, one missed so far and five to come: a second miss makes 20%.
    # Period 2: ten lessons, none missed and eight to come: one miss is 10%, still kept.
    lessons = [(date(2026, 9, 1 + i), lesson("present")) for i in range(4)]
    lessons += [(date(2026, 9, 10), lesson("absent"))]
    lessons += [(date(2026, 10, 1 + i), lesson("future")) for i in range(5)]
    lessons += [(date(2026, 12, 1 + i), lesson("present")) for i in range(2)]
    lessons += [(date(2027, 1, 1 + i), lesson("future")) for i in range(8)]
    first, second = paid_leave_periods([P1, P2], lessons)
    assert first.at_risk and first.keeps
    assert not second.at_risk and second.keeps


def test_a_period_without_lessons_of_the_person_is_left_out():
    only_second = [(date(2026, 12, 2), lesson("present"))]
    assert [p.period for p in paid_leave_periods([P1, P2], only_second)] == [P2]


def test_periods_use_the_training_s_hours_method():
    late = attended(at(9), at(12), came=at(9, 20), left=at(12))
    (registered,) = paid_leave_periods([P1], [(date(2026, 9, 2), late)])
    (lessons,) = paid_leave_periods([P1], [(date(2026, 9, 2), late)], method="lessons")
    assert (registered.figures.unjustified, lessons.figures.unjustified) == (20 * MIN, 3 * H)


# --- The early warning -------------------------------------------------------------------------


def test_a_warning_comes_while_one_more_absence_would_put_the_exam_out_of_reach():
    # 3 lessons given (2 attended), 6 more planned: at best 8/9 now; missing the next makes 7/9,
    # still enough. After 2 misses of 3 given, at best 7/9. After 3 misses, at best 6/9 = 2/3,
    # and missing the next leaves 5/9.
    six = [3 * H] * 6
    assert at_risk(figures_for([lesson("present"), lesson("present"), lesson("absent")]), six) == []
    assert "exam" not in at_risk(
        figures_for([lesson("present"), lesson("absent"), lesson("absent")]), six
    )
    assert "exam" in at_risk(figures_for([lesson("absent")] * 3), six)


def test_a_warning_comes_while_one_more_absence_would_cost_paid_leave():
    # 10 lessons in the period: one unjustified absence is 10% (kept), a second is 20%.
    figures = figures_for([lesson("present")] * 4 + [lesson("absent")])
    assert "paid_leave" in at_risk(figures, [3 * H] * 5)
    assert at_risk(figures_for([lesson("present")] * 5), [3 * H] * 5) == []


def test_no_warning_without_a_next_session():
    assert at_risk(figures_for([lesson("absent")] * 3), []) == []


def test_no_warning_at_the_start_of_a_long_training():
    assert at_risk(AttendanceFigures(), [3 * H] * 10) == []


def test_nothing_to_count_yet_is_no_failure():
    assert exam_eligible(AttendanceFigures()) and keeps_paid_leave(AttendanceFigures())


def test_the_ratios_are_exact_fractions_of_the_counting_hours():
    figures = figures_for([lesson("present"), lesson("absent", True), lesson("absent")])
    assert figures.attendance_ratio == figures.justified_ratio == figures.unjustified_ratio
    assert figures.unjustified_ratio == Fraction(1, 3)
    assert figures.lesson_ratio == Fraction(1, 3)


def test_lost_is_final_kept_means_not_lost_so_far():
    # One lesson of ten missed after five: 20% of what was given, 10% of the period.
    figures = figures_for([lesson("present")] * 4 + [lesson("absent")])
    assert keeps_paid_leave(figures, still_to_come=15 * H)
    assert not keeps_paid_leave(figures)  # had the period ended here


# --- Exempted lessons and lessons before the enrolment are never lessons to come ------------


def lesson_to_come(status: str = "future") -> SessionAttendance:
    """A lesson that has not ended yet, as the figures build it (``held=False``)."""
    return SessionAttendance(3 * H, 0 * H, status, held=False)  # type: ignore[arg-type]


def test_an_exempted_lesson_still_to_come_is_not_a_lesson_to_come():
    ended = datetime(2026, 11, 24, 12, tzinfo=BRUSSELS)
    before_it = ended - H
    common = dict(late_enrolment=False, incomplete=False, counts_as_present=False)
    assert session_status(ends_at=ended, now=before_it, exempt=True, **common) == "exempt"
    assert session_status(ends_at=ended, now=before_it, exempt=False, **common) == "future"


def test_a_lesson_before_a_future_enrolment_date_is_late_enrolment_not_to_come():
    ended = datetime(2026, 11, 24, 12, tzinfo=BRUSSELS)
    facts = dict(exempt=False, incomplete=False, counts_as_present=False)
    assert (
        session_status(ends_at=ended, now=ended - H, late_enrolment=True, **facts)
        == "late_enrolment"
    )


def test_exempted_lessons_to_come_give_no_hours_yet_and_are_not_upcoming():
    sessions = [lesson("present"), lesson_to_come("exempt"), lesson_to_come("late_enrolment")]
    figures = figures_for(sessions)
    assert (figures.planned, figures.exempted, figures.late_enrolment) == (3 * H, 0 * H, 0 * H)
    assert (figures.counting, figures.lessons) == (3 * H, 1)
    assert upcoming(sessions) == []
    assert upcoming([*sessions, lesson_to_come()]) == [3 * H]


def test_paid_leave_is_lost_at_once_when_the_remaining_lessons_are_all_exempted():
    # 5 lessons given (15 counting hours), 3 h of them unjustified: 20%. The five lessons
    # still to come are all exempted, so the period counts 15 h, not 30 h: lost now, not
    # "kept and at risk (3 of 30 h)" until the period ends.
    lessons = [(date(2026, 9, 1 + i), lesson("present")) for i in range(4)]
    lessons += [(date(2026, 9, 10), lesson("absent"))]
    lessons += [(date(2026, 10, 1 + i), lesson_to_come("exempt")) for i in range(5)]
    (period,) = paid_leave_periods([P1], lessons)
    assert (period.total, period.still_to_come) == (15 * H, 0 * H)
    assert period.state == "lost" and not period.keeps and not period.at_risk


def test_the_same_period_with_real_lessons_to_come_is_kept_so_far_and_at_risk():
    lessons = [(date(2026, 9, 1 + i), lesson("present")) for i in range(4)]
    lessons += [(date(2026, 9, 10), lesson("absent"))]
    lessons += [(date(2026, 10, 1 + i), lesson_to_come()) for i in range(5)]
    (period,) = paid_leave_periods([P1], lessons)
    assert (period.total, period.limit) == (30 * H, 3 * H)
    assert period.state == "kept_so_far" and period.keeps and period.at_risk


def test_an_exemption_from_a_lesson_to_come_brings_the_exam_warning_forward():
    # 6 lessons given, 4 attended; 3 to come of which one exempted. Counting the exempted one
    # as to come, at best 7/9 and 6/9 after one more miss: no warning. Without it, at best
    # 6/8 and 5/8 < 2/3 after one more miss: warn now.
    given = [lesson("present")] * 4 + [lesson("absent")] * 2
    to_come = [lesson_to_come(), lesson_to_come(), lesson_to_come("exempt")]
    figures = figures_for([*given, *to_come])
    assert "exam" in at_risk(figures, upcoming(to_come))
    assert "exam" not in at_risk(figures, [3 * H] * 3)  # the old, wrong count


# --- Provisional until the session locks ------------------------------------------------------


def test_an_absence_in_a_session_still_open_is_provisional_never_lost():
    # The only lesson of the period so far ended tonight without a registration: 100%
    # unjustified, but registrations stay open until 10:00 the next working day.
    tonight = SessionAttendance(3 * H, 0 * H, "absent", open=True)
    (period,) = paid_leave_periods([P1], [(date(2026, 9, 1), tonight)])
    assert period.figures.unsettled == 3 * H
    assert period.state == "provisional" and period.keeps
    assert leave_state(figures_for([tonight])) == "provisional"


def test_once_the_session_locks_the_same_absence_is_lost():
    locked = SessionAttendance(3 * H, 0 * H, "absent")
    assert leave_state(figures_for([locked])) == "lost"


def test_settled_absence_over_the_line_is_lost_even_beside_an_open_lesson():
    settled = [lesson("absent")] * 2 + [lesson("present")] * 2
    tonight = SessionAttendance(3 * H, 0 * H, "absent", open=True)
    assert leave_state(figures_for([*settled, tonight])) == "lost"


def test_kept_is_said_without_reserve_only_when_nothing_can_change():
    done = figures_for([lesson("present")] * 10)
    assert leave_state(done) == "kept"
    assert leave_state(done, still_to_come=3 * H) == "kept_so_far"
    present_tonight = SessionAttendance(3 * H, 3 * H, "present", open=True)
    assert leave_state(figures_for([present_tonight])) == "kept"
