"""What a certificate shows, computed once when it is issued and stored with it (JSON)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from app.attendance.figures import ParticipantFigures, training_figures
from app.domain.attendance import hours, planned_time
from app.domain.periods import lesson_periods
from app.models import Participant, Training
from app.planning.timing import session_times

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def training_span(training: Training) -> tuple[date, date] | None:
    days = [s.day for s in training.sessions]
    return (min(days), max(days)) if days else None


def periods(training: Training) -> list[tuple[date, date]]:
    span = training_span(training)
    return lesson_periods(span[0], span[1], training.per_school_year) if span else []


def _h(value: timedelta) -> str:
    return str(hours(value))


def schedule(training: Training) -> list[str]:
    """Lesson days and hours, e.g. "dinsdag 09:00-12:00, 12:30-16:00"."""
    slots: dict[int, set[str]] = {}
    for s in training.sessions:
        slots.setdefault(s.day.weekday(), set()).add(f"{s.start:%H:%M}-{s.end:%H:%M}")
    return [f"{WEEKDAYS[day]} {', '.join(sorted(times))}" for day, times in sorted(slots.items())]


def _mine(
    training: Training, participant: Participant, now: datetime, period: tuple[date, date] | None
) -> ParticipantFigures:
    report = training_figures(training, now, period)
    found = next((p for p in report.participants if p.participant.id == participant.id), None)
    if found is None:
        raise LookupError("participant not enrolled in this training")
    return found


def training_data(training: Training) -> dict[str, Any]:
    return {
        "training": training.name,
        "code": training.code,
        "kind": training.kind.value,
        "recognition_number": training.recognition_number,
        "joint_committee": training.joint_committee,
        "joint_committee_date": training.joint_committee_date.isoformat()
        if training.joint_committee_date
        else None,
        "organisation": training.project.branch.name,
        "project": f"{training.project.name} ({training.project.number})",
    }


def diligence_contents(
    training: Training, participant: Participant, period: tuple[date, date], now: datetime
) -> dict[str, Any]:
    """Every field of rule 10 for one participant and one lesson period."""
    whole = _mine(training, participant, now, None)
    in_period = _mine(training, participant, now, period)
    theoretical_year = sum((planned_time(*_times(s)) for s in training.sessions), timedelta(0))
    exempted = whole.figures.exempted
    late = whole.figures.late_enrolment
    span = training_span(training)
    period_planned = sum((line.attendance.planned for line in in_period.sessions), timedelta(0))
    enrolment = whole.enrolment
    return {
        **training_data(training),
        "participant": participant.name,
        "national_number": participant.masked_national_number,
        "period": [period[0].isoformat(), period[1].isoformat()],
        "hours": {
            "A_theoretical_per_year": _h(theoretical_year),
            "B_exempted": _h(exempted),
            "C_still_to_attend": _h(theoretical_year - exempted - late),
            "D_missed_late_enrolment": _h(late),
        },
        "schedule": schedule(training),
        "start_date": span[0].isoformat() if span else None,
        "last_exam_or_end_date": (training.exam_date or (span[1] if span else None)).isoformat()
        if span
        else None,
        "last_exam": training.exam_date is not None,
        "attendance": {
            "theoretical_hours": _h(period_planned),
            "hours_given": _h(in_period.figures.planned),
            "hours_present": _h(in_period.figures.present),
            "justified_absence_hours": _h(in_period.figures.justified),
            "unjustified_absence_hours": _h(in_period.figures.unjustified),
        },
        "early_termination": enrolment.terminated_on.isoformat()
        if enrolment and enrolment.terminated_on
        else None,
    }


def regular_enrolment_contents(
    training: Training, participant: Participant, now: datetime
) -> dict[str, Any]:
    whole = _mine(training, participant, now, None)
    span = training_span(training)
    return {
        **training_data(training),
        "participant": participant.name,
        "national_number": participant.masked_national_number,
        "enrolled_on": whole.enrolment.enrolled_on.isoformat() if whole.enrolment else None,
        "start_date": span[0].isoformat() if span else None,
        "end_date": span[1].isoformat() if span else None,
        "schedule": schedule(training),
    }


def _times(session):  # type: ignore[no-untyped-def]
    t = session_times(session)
    return t.start, t.end, t.break_start, t.break_end
