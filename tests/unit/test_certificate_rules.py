"""Certificate rules (docs/rules.md, "Certificates"): the second sitting's two certificates and
their deadlines, a certificate's due/overdue state, box C of the attest van nauwgezetheid, the
paid-leave regimes and the enterprise number."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from app.domain.certificates import (
    DueState,
    InvalidEnterpriseNumber,
    LeaveRegime,
    Lesson,
    attendance_certificate_available,
    attendance_certificate_available_from,
    certificates_bind,
    due_state,
    enterprise_number,
    exam_dates_problem,
    hours_still_to_follow,
    second_sitting_notice_available_from,
    second_sitting_notice_due,
    second_sitting_participation_available_from,
    second_sitting_participation_due,
    sittings_problem,
    under_vov,
)
from app.domain.cutoff import BRUSSELS

H3 = timedelta(hours=3)


def on(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BRUSSELS)


# --- Second sitting -----------------------------------------------------------------------------


def test_certificate_1_is_due_within_8_days_after_the_end_of_the_first_sitting():
    assert second_sitting_notice_due(date(2026, 6, 26)) == date(2026, 7, 4)


def test_certificate_1_can_be_issued_from_the_day_after_the_first_sitting():
    assert second_sitting_notice_available_from(date(2026, 6, 26)) == date(2026, 6, 27)


def test_certificate_2_is_due_within_8_days_after_the_end_of_the_second_sitting():
    assert second_sitting_participation_due(date(2026, 9, 4)) == date(2026, 9, 12)


def test_certificate_2_can_be_issued_once_the_second_sitting_is_over():
    assert second_sitting_participation_available_from(date(2026, 9, 4)) == date(2026, 9, 5)


def test_the_second_sitting_ends_after_the_first():
    assert sittings_problem(date(2026, 6, 26), date(2026, 9, 4)) is None
    assert sittings_problem(date(2026, 6, 26), None) is None
    assert sittings_problem(None, date(2026, 9, 4)) == "second_without_first"
    assert sittings_problem(date(2026, 6, 26), date(2026, 6, 26)) == "second_not_after_first"


def test_exams_of_the_second_sitting_lie_after_the_first_and_by_the_end_of_the_second():
    first, second = date(2026, 6, 26), date(2026, 9, 4)
    assert exam_dates_problem([date(2026, 9, 1), date(2026, 8, 28)], first, second) is None
    assert exam_dates_problem([], first, second) == "no_exam_dates"
    assert exam_dates_problem([date(2026, 6, 26)], first, second) == "before_second_sitting"
    assert exam_dates_problem([date(2026, 9, 5)], first, second) == "after_second_sitting"
    assert exam_dates_problem([date(2026, 9, 5)], first, None) is None  # end not known yet


# --- Due or overdue -----------------------------------------------------------------------------

DUE = date(2026, 2, 3)
FROM = date(2026, 1, 27)


def test_an_issued_certificate_is_issued_whatever_the_date():
    assert due_state(True, DUE, FROM, True, on(date(2026, 5, 1))) == DueState.ISSUED


def test_before_it_can_be_issued_it_is_not_yet_due():
    assert due_state(False, DUE, FROM, True, on(date(2026, 1, 26))) == DueState.UPCOMING


def test_it_is_due_up_to_and_including_its_deadline():
    assert due_state(False, DUE, FROM, True, on(FROM)) == DueState.DUE
    assert due_state(False, DUE, FROM, True, on(DUE, 23)) == DueState.DUE


def test_the_day_after_the_deadline_it_is_overdue():
    assert due_state(False, DUE, FROM, True, on(DUE + timedelta(days=1), 0)) == DueState.OVERDUE


def test_the_day_is_the_day_in_brussels_not_in_utc():
    late_evening = datetime(2026, 2, 3, 23, 30, tzinfo=BRUSSELS)  # 22:30 UTC on the 3rd
    just_after_midnight = datetime(2026, 2, 3, 23, 30, tzinfo=BRUSSELS) + timedelta(hours=1)
    assert due_state(False, DUE, FROM, True, late_evening) == DueState.DUE
    assert due_state(False, DUE, FROM, True, just_after_midnight) == DueState.OVERDUE


def test_without_a_binding_deadline_it_is_on_request_and_never_overdue():
    assert due_state(False, DUE, FROM, False, on(date(2026, 12, 1))) == DueState.OPTIONAL
    assert due_state(False, None, FROM, True, on(date(2026, 12, 1))) == DueState.OPTIONAL


# --- Regimes ------------------------------------------------------------------------------------


def test_the_paper_certificates_bind_for_betaald_educatief_verlof_only():
    assert certificates_bind(True, LeaveRegime.BEV)
    assert certificates_bind(True, None)  # recorded before the regimes: the seed's regime
    assert not certificates_bind(True, LeaveRegime.VOV)
    assert not certificates_bind(False, LeaveRegime.BEV)


def test_vlaams_opleidingsverlof_applies_only_to_a_participant_on_paid_leave():
    assert under_vov(True, "vov")
    assert not under_vov(False, "vov")
    assert not under_vov(True, "bev")


# --- The attendance certificate -----------------------------------------------------------------


def test_the_attendance_certificate_appears_a_week_after_the_last_lesson():
    last = date(2026, 1, 26)
    assert attendance_certificate_available_from(last) == date(2026, 2, 2)
    assert not attendance_certificate_available(last, on(date(2026, 2, 1), 23))
    assert attendance_certificate_available(last, on(date(2026, 2, 2), 0))
    assert not attendance_certificate_available(None, on(date(2026, 2, 2)))


# --- Box C --------------------------------------------------------------------------------------

PERIOD_END = date(2025, 11, 30)


def test_box_c_counts_the_planned_hours_of_the_lessons_after_the_period():
    lessons = [
        Lesson(date(2025, 11, 25), H3),  # in the period: already followed or missed
        Lesson(date(2025, 12, 2), H3),
        Lesson(date(2026, 1, 6), timedelta(hours=2, minutes=30)),
    ]
    assert hours_still_to_follow(lessons, PERIOD_END) == timedelta(hours=5, minutes=30)


def test_box_c_leaves_out_lessons_the_participant_is_exempted_from():
    lessons = [Lesson(date(2025, 12, 2), H3, exempted=True), Lesson(date(2025, 12, 9), H3)]
    assert hours_still_to_follow(lessons, PERIOD_END) == H3


def test_box_c_is_zero_after_the_last_period():
    assert hours_still_to_follow([Lesson(date(2025, 11, 25), H3)], PERIOD_END) == timedelta()


def test_box_c_does_not_count_the_last_day_of_the_period_itself():
    assert hours_still_to_follow([Lesson(PERIOD_END, H3)], PERIOD_END) == timedelta()


# --- Enterprise number --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0403.199.702",
        "0403199702",
        "BE 0403.199.702",
        "be0403199702",
        "403.199.702",
        "0403-199-702",
    ],
)
def test_an_enterprise_number_is_accepted_in_its_usual_forms_and_written_with_dots(text):
    assert enterprise_number(text) == "0403.199.702"


def test_an_enterprise_number_may_start_with_1():
    assert enterprise_number("1000.000.021") == "1000.000.021"


@pytest.mark.parametrize(
    "text",
    ["0403.199.703", "2403.199.702", "0403.199.70", "04031997021", "abcd.efg.hij", "", "BE"],
)
def test_a_wrong_check_or_shape_is_refused(text):
    with pytest.raises(InvalidEnterpriseNumber):
        enterprise_number(text)
