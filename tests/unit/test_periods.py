"""docs/rules.md, "Lesson periods" and "Certificates": lesson periods and when the certificates are due."""

from datetime import date

import pytest

from app.domain.periods import (
    certificate_due,
    lesson_periods,
    regular_enrolment_certificate_due,
    second_sitting_certificate_due,
)


def test_a_training_of_exactly_three_months_is_one_period():
    assert lesson_periods(date(2026, 1, 1), date(2026, 3, 31), False) == [
        (date(2026, 1, 1), date(2026, 3, 31))
    ]


def test_a_training_of_three_months_and_a_day_has_two_periods():
    assert lesson_periods(date(2026, 1, 1), date(2026, 4, 1), False) == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 4, 1)),
    ]


def test_a_longer_training_is_cut_every_three_months_from_its_start():
    assert lesson_periods(date(2026, 2, 10), date(2026, 10, 20), False) == [
        (date(2026, 2, 10), date(2026, 5, 9)),
        (date(2026, 5, 10), date(2026, 8, 9)),
        (date(2026, 8, 10), date(2026, 10, 20)),
    ]


def test_a_training_starting_on_the_31st_is_cut_at_the_end_of_shorter_months():
    # Counted from the start each time: 31 Aug + 3 months = 30 Nov, + 6 months = 28 Feb.
    assert lesson_periods(date(2026, 8, 31), date(2027, 3, 15), False) == [
        (date(2026, 8, 31), date(2026, 11, 29)),
        (date(2026, 11, 30), date(2027, 2, 27)),
        (date(2027, 2, 28), date(2027, 3, 15)),
    ]


def test_per_school_year_the_periods_are_the_terms():
    assert lesson_periods(date(2026, 9, 15), date(2027, 6, 20), True) == [
        (date(2026, 9, 15), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 4, 1), date(2027, 6, 20)),
    ]


def test_other_term_boundaries_can_be_given():
    terms = ((9, 1), (2, 1))
    assert lesson_periods(date(2026, 9, 1), date(2027, 6, 30), True, terms) == [
        (date(2026, 9, 1), date(2027, 1, 31)),
        (date(2027, 2, 1), date(2027, 6, 30)),
    ]


def test_the_diligence_certificate_is_due_eight_days_after_the_period():
    assert certificate_due(date(2026, 3, 31)) == date(2026, 4, 8)


def test_the_regular_enrolment_certificate_is_due_twenty_days_after_the_start():
    assert regular_enrolment_certificate_due(date(2026, 9, 1), date(2026, 8, 20)) == date(
        2026, 9, 21
    )


def test_after_a_late_enrolment_it_is_due_eight_days_after_the_enrolment():
    assert regular_enrolment_certificate_due(date(2026, 9, 1), date(2026, 10, 5)) == date(
        2026, 10, 13
    )


def test_second_sitting_certificates_are_due_eight_days_after_the_sitting():
    assert second_sitting_certificate_due(date(2027, 6, 30)) == date(2027, 7, 8)


def test_per_school_year_a_training_starting_in_the_summer_opens_with_a_short_period():
    assert lesson_periods(date(2026, 8, 17), date(2026, 10, 30), True) == [
        (date(2026, 8, 17), date(2026, 8, 31)),
        (date(2026, 9, 1), date(2026, 10, 30)),
    ]


def test_a_one_day_training_is_one_period():
    assert lesson_periods(date(2026, 5, 4), date(2026, 5, 4), False) == [
        (date(2026, 5, 4), date(2026, 5, 4))
    ]


def test_a_training_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        lesson_periods(date(2026, 5, 4), date(2026, 5, 3), False)


def test_a_term_cannot_start_on_29_february():
    with pytest.raises(ValueError):
        lesson_periods(date(2026, 9, 1), date(2027, 6, 30), True, ((9, 1), (2, 29)))


def test_a_late_enrolment_on_the_first_day_is_not_late():
    assert regular_enrolment_certificate_due(date(2026, 9, 1), date(2026, 9, 1)) == date(
        2026, 9, 21
    )
