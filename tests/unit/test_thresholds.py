"""docs/rules.md, "Hours and thresholds (figures)": exam eligibility at 2/3 attended, paid educational leave lost above 10% unjustified."""

from datetime import timedelta
from fractions import Fraction

from app.domain.thresholds import (
    AttendanceFigures,
    SessionAttendance,
    at_risk,
    exam_eligible,
    figures_for,
    keeps_paid_leave,
)

H = timedelta(hours=1)


def lesson(status: str, justified: bool = False, planned: timedelta = 3 * H) -> SessionAttendance:
    return SessionAttendance(
        planned=planned,
        present=planned if status == "present" else 0 * H,
        status=status,
        justified=justified,
    )  # type: ignore[arg-type]


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


def test_exempted_hours_count_neither_as_present_nor_as_absent():
    figures = figures_for([lesson("present"), lesson("exempt")])
    assert figures.counting == 3 * H and figures.attendance_ratio == 1


def test_an_exemption_in_hours_reduces_the_counting_hours():
    figures = figures_for([lesson("present"), lesson("absent")], extra_exempted=3 * H)
    assert figures.counting == 3 * H


def test_exactly_two_thirds_attended_may_sit_the_exam():
    assert exam_eligible(figures_for([lesson("present"), lesson("present"), lesson("absent")]))


def test_less_than_two_thirds_may_not():
    figures = figures_for(
        [
            lesson("present"),
            lesson("present"),
            lesson("absent", planned=3 * H + timedelta(minutes=1)),
        ]
    )
    assert not exam_eligible(figures)


def test_a_justified_absence_is_excused_but_is_not_attendance():
    assert not exam_eligible(
        figures_for([lesson("present"), lesson("absent", True), lesson("absent", True)])
    )


def test_paid_leave_is_kept_at_exactly_ten_percent_unjustified():
    figures = figures_for([lesson("present", planned=9 * H), lesson("absent", planned=1 * H)])
    assert keeps_paid_leave(figures)


def test_paid_leave_is_lost_just_above_ten_percent():
    figures = figures_for(
        [lesson("present", planned=9 * H), lesson("absent", planned=1 * H + timedelta(minutes=1))]
    )
    assert not keeps_paid_leave(figures)


def test_justified_absences_do_not_cost_paid_leave():
    assert keeps_paid_leave(
        figures_for([lesson("present"), lesson("absent", True), lesson("absent", True)])
    )


def test_a_warning_comes_while_one_more_absence_would_put_the_exam_out_of_reach():
    # 3 lessons given (2 attended), 6 more planned: at best 8/9 now; missing the next makes 7/9,
    # still enough. After 2 misses of 3 given, at best 7/9: missing the next leaves 6/9 = 2/3.
    figures = figures_for([lesson("present"), lesson("present"), lesson("absent")])
    assert at_risk(figures, 3 * H, 18 * H) == []
    figures = figures_for([lesson("present"), lesson("absent"), lesson("absent")])
    assert "exam" not in at_risk(figures, 3 * H, 18 * H)  # 18/27 is exactly two thirds: still met
    figures = figures_for([lesson("absent"), lesson("absent"), lesson("absent")])
    assert "exam" in at_risk(figures, 3 * H, 18 * H)  # 18/27 at best now, 15/27 after one more


def test_a_warning_comes_while_one_more_absence_would_cost_paid_leave():
    # 10 lessons in the period: one unjustified absence is 10% (kept), a second is 20%.
    figures = figures_for([lesson("present")] * 4 + [lesson("absent")])
    assert "paid_leave" in at_risk(figures, 3 * H, 15 * H)
    assert at_risk(figures_for([lesson("present")] * 5), 3 * H, 15 * H) == []


def test_no_warning_without_a_next_session():
    assert at_risk(figures_for([lesson("absent")] * 3), 0 * H, 0 * H) == []


def test_no_warning_at_the_start_of_a_long_training():
    assert at_risk(AttendanceFigures(), 3 * H, 30 * H) == []


def test_nothing_to_count_yet_is_no_failure():
    assert exam_eligible(AttendanceFigures()) and keeps_paid_leave(AttendanceFigures())


def test_the_ratios_are_exact_fractions_of_the_counting_hours():
    figures = figures_for([lesson("present"), lesson("absent", True), lesson("absent")])
    assert figures.attendance_ratio == figures.justified_ratio == figures.unjustified_ratio
    assert figures.unjustified_ratio == Fraction(1, 3)


def test_late_enrolment_hours_do_not_count_against_the_participant():
    figures = figures_for([lesson("late_enrolment")] * 3 + [lesson("present")] * 2)
    assert figures.counting == 6 * H and exam_eligible(figures) and keeps_paid_leave(figures)
