"""Rule 8: exam eligibility at 2/3 attended, paid educational leave lost above 10% unjustified."""

from datetime import timedelta

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


def test_a_warning_comes_before_a_threshold_is_crossed():
    figures = figures_for([lesson("present")] * 9 + [lesson("absent")])  # 10% unjustified now
    assert at_risk(figures, 3 * H) == ["paid_leave"]
    close_to_exam = figures_for([lesson("present"), lesson("present"), lesson("absent")])
    assert "exam" in at_risk(close_to_exam, 3 * H)


def test_no_warning_when_nothing_would_be_crossed():
    assert at_risk(figures_for([lesson("present")] * 30), 3 * H) == []


def test_nothing_to_count_yet_is_no_failure():
    assert exam_eligible(AttendanceFigures()) and keeps_paid_leave(AttendanceFigures())
