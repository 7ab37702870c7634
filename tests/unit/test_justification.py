"""docs/rules.md, "Justified absences and the 14-day rule": justifications within 14 days of the absence, and at the latest at the exam."""

from datetime import date

from app.domain.justification import (
    JUSTIFICATION_KINDS,
    justification_deadline,
    justification_in_time,
)

ABSENT = date(2026, 11, 2)


def test_a_justification_on_day_14_is_in_time():
    assert justification_in_time(ABSENT, date(2026, 11, 16), None)


def test_a_justification_on_day_15_is_late():
    assert not justification_in_time(ABSENT, date(2026, 11, 17), None)


def test_the_exam_comes_first_when_it_is_earlier():
    assert justification_deadline(ABSENT, date(2026, 11, 10)) == date(2026, 11, 10)
    assert not justification_in_time(ABSENT, date(2026, 11, 11), date(2026, 11, 10))
    assert justification_in_time(ABSENT, date(2026, 11, 10), date(2026, 11, 10))


def test_a_justification_after_the_exam_is_late_even_within_14_days():
    assert not justification_in_time(ABSENT, date(2026, 11, 12), date(2026, 11, 10))


def test_only_the_known_kinds_of_document_justify_an_absence():
    assert JUSTIFICATION_KINDS == ("doctor", "employer", "klein_verlet", "other")
