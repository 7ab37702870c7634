"""A justification comes within 14 days of the absence and at the latest at the exam
(docs/rules.md, "Justified absences and the 14-day rule")."""

from __future__ import annotations

from datetime import date, timedelta

JUSTIFICATION_KINDS = ("doctor", "employer", "klein_verlet", "other")
HAND_IN_DAYS = 14


def justification_deadline(absence_day: date, exam_day: date | None) -> date:
    """The last day a justification for ``absence_day`` is accepted."""
    deadline = absence_day + timedelta(days=HAND_IN_DAYS)
    return min(deadline, exam_day) if exam_day is not None else deadline


def justification_in_time(absence_day: date, handed_in: date, exam_day: date | None) -> bool:
    """Day 14 after the absence is still in time, day 15 is late; never after the exam."""
    return handed_in <= justification_deadline(absence_day, exam_day)
