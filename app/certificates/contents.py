"""What a certificate shows, computed once when it is issued and stored with it (JSON).

The hours come from :func:`app.attendance.figures.participant_figures` and the periods from
:func:`app.domain.periods.lesson_periods`; nothing here re-decides who was present.

Decisions where the rules are silent:

- The subject ("vak") is the training itself: one line in the hours table.
- A (theoretical contact hours "op jaarbasis") are the planned hours of the sessions the
  participant is enrolled in: for a training organised per school year, those of the school year
  (1 September to 31 August) holding the period; otherwise those of the whole training. B
  (exempted) and D (missed through late enrolment) are counted over the same span, future
  sessions included. C ("aantal lesuren dat de cursist nog moet volgen") is the planned hours of
  the participant's lessons in that span after the period, less those exempted
  (:func:`app.domain.certificates.hours_still_to_follow`). Sessions after an early termination
  are not counted.
- The organisation (name, address, enterprise number, signatory) and the branch's address are
  copied into the contents when the certificate is issued, so a later change of address does not
  change an issued certificate. Without organisation data the branch name is printed, as before.
- The attendance table covers the lesson period: theoretical hours are all the participant's
  planned hours in the period, hours given those of the sessions already held.
- The attest van nauwgezetheid counts contact hours only (seed 002: "alleen contacturen komen in
  aanmerking, stages en zelfstudie tellen niet mee"): approved e-learning hours, which count in
  the figures and on the attendance certificate, are left out of A, hours given and present.
- Hours are stored as strings with two decimals ("3.00"), as :func:`app.domain.attendance.hours`
  gives them, so the stored figures are exactly the ones printed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from app.attendance.figures import ParticipantFigures, participant_figures
from app.domain.attendance import hours
from app.domain.certificates import (
    Lesson,
    attendance_certificate_available,
    attendance_certificate_available_from,
    hours_still_to_follow,
)
from app.domain.cutoff import BRUSSELS
from app.domain.periods import lesson_periods
from app.errors import Refusal
from app.models import Organisation, Participant, Training, TrainingEnrolment

# 2: the organisation's data, box C from the lessons after the period, the new kinds.
SCHEMA = 2
Period = tuple[date, date]
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def training_span(training: Training) -> Period | None:
    """First and last lesson day, or ``None`` before any session is planned."""
    days = [s.day for s in training.sessions if not s.cancelled]
    return (min(days), max(days)) if days else None


def periods(training: Training) -> list[Period]:
    """The lesson periods of the diligence certificate (docs/rules.md, "Lesson periods")."""
    span = training_span(training)
    return lesson_periods(span[0], span[1], training.per_school_year) if span else []


def school_year(on: date) -> Period:
    first = date(on.year if on.month >= 9 else on.year - 1, 9, 1)
    return first, date(first.year + 1, 8, 31)


def year_span(training: Training, period: Period) -> tuple[Period, str]:
    """The span A, B and D are counted over, and how the certificate explains it."""
    span = training_span(training)
    assert span is not None
    if not training.per_school_year:
        return span, "A omvat alle lesuren van de opleiding."
    first, last = school_year(period[0])
    return (max(first, span[0]), min(last, span[1])), (
        f"A omvat de lesuren van het schooljaar {first.year}-{last.year}."
    )


def lesson_days(training: Training) -> list[str]:
    """Lesson days and hours, e.g. "dinsdag 09:00-16:00 (pauze 12:00-13:00)"."""
    slots: dict[int, set[str]] = {}
    for s in training.sessions:
        if s.cancelled:
            continue
        text = f"{s.start:%H:%M}-{s.end:%H:%M}"
        if s.break_start and s.break_end:
            text += f" (pauze {s.break_start:%H:%M}-{s.break_end:%H:%M})"
        slots.setdefault(s.day.weekday(), set()).add(text)
    return [f"{WEEKDAYS[d]} {', '.join(sorted(times))}" for d, times in sorted(slots.items())]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _h(value: timedelta) -> str:
    return str(hours(value))


def training_data(training: Training) -> dict[str, Any]:
    return {
        "id": training.id,
        "name": training.name,
        "code": training.code,
        "kind": training.kind.value,
        "recognition_number": training.recognition_number,
        "joint_committee": training.joint_committee,
        "joint_committee_date": _iso(training.joint_committee_date),
        "per_school_year": training.per_school_year,
    }


def schedule(training: Training) -> dict[str, Any]:
    span = training_span(training)
    return {
        "lesson_days": lesson_days(training),
        "start_date": _iso(span[0]) if span else None,
        "end_date": _iso(span[1]) if span else None,
        "last_exam_date": _iso(training.exam_date),
    }


def organisation_data(training: Training, organisation: Organisation | None) -> dict[str, Any]:
    """Who issues the certificate: the organisation, the branch (with its address) and the
    project; the authorised signatory; whether the stamp image is printed."""
    project = training.project
    found = organisation if organisation is not None and organisation.name else None
    return {
        "branch": project.branch.name,
        "branch_address": project.branch.address or "",
        "project": project.name,
        "project_number": project.number,
        "name": found.name if found else "",
        "address": found.address if found else "",
        "enterprise_number": found.enterprise_number if found else "",
        "signatory_name": found.signatory_name if found else "",
        "signatory_function": found.signatory_function if found else "",
        "stamp": bool(found and found.stamp),
    }


def _organisation() -> Organisation | None:
    from app.certificates.organisation import current

    return current()


def _common(
    kind: str,
    training: Training,
    participant: Participant,
    issued_on: date,
    correction: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "kind": kind,
        "training": training_data(training),
        "organisation": organisation_data(training, _organisation()),
        "participant": {
            "id": participant.id,
            "name": participant.name,
            "national_number": participant.masked_national_number,
        },
        "schedule": schedule(training),
        "issued_on": issued_on.isoformat(),
        "correction": correction,
    }


def _figures(
    training: Training, participant: Participant, now: datetime, span: Period | None
) -> ParticipantFigures:
    found = participant_figures(training, participant, now, span)
    if found is None or not found.sessions:  # not enrolled, or stopped before the span
        raise Refusal(
            "not_enrolled",
            _l("This participant has no lessons in this training or period."),
        )
    return found


def _after(span: Period) -> datetime:
    """A moment after every session of ``span``: all of them count as held."""
    return datetime.combine(span[1] + timedelta(days=1), time(23, 59), tzinfo=BRUSSELS)


def diligence(
    training: Training,
    participant: Participant,
    period: Period,
    now: datetime,
    correction: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every field of the attest van nauwgezetheid (docs/rules.md, "Certificates") for one participant and one lesson period.

    Refused while a lesson of the period is still to come (unless the participant stopped) or a
    registration in it is incomplete: the certificate would show figures that still change.
    """
    in_period = _figures(training, participant, now, period)
    states = {line.attendance.status for line in in_period.sessions}
    # An exempted lesson still to come is not "future" but still not given: wait for it too.
    if any(not line.attendance.held for line in in_period.sessions):
        raise Refusal(
            "period_not_over",
            _l("Some lessons of this period are still to come: issue it after the last one."),
        )
    if "incomplete" in states:
        raise Refusal(
            "incomplete_registrations",
            _l("Resolve the incomplete registrations of this period first."),
        )
    span, basis = year_span(training, period)
    whole_year = _figures(training, participant, _after(span), span)
    year = whole_year.figures
    lessons = [
        Lesson(
            line.session.day,
            line.attendance.planned,
            exempted=line.attendance.status == "exempt",
            late_enrolment=line.attendance.status == "late_enrolment",
        )
        for line in whole_year.sessions
    ]
    f = in_period.figures
    enrolment = in_period.enrolment
    return {
        **_common("diligence", training, participant, now.astimezone(BRUSSELS).date(), correction),
        "period": [period[0].isoformat(), period[1].isoformat()],
        "hours": {
            # Contact hours only (seed 002: "stages en zelfstudie tellen niet mee"): approved
            # e-learning hours count in the figures but not on this certificate.
            "A": _h(year.planned - year.self_reported),
            "B": _h(year.exempted),
            "C": _h(hours_still_to_follow(lessons, period[1])),
            "D": _h(year.late_enrolment),
            "span": [span[0].isoformat(), span[1].isoformat()],
            "basis": basis,
        },
        "attendance": {
            "theoretical": _h(sum((s.attendance.planned for s in in_period.sessions), timedelta())),
            "given": _h(f.planned - f.self_reported),
            "present": _h(f.present - f.self_reported),
            "justified": _h(f.justified),
            "unjustified": _h(f.unjustified),
            "exempted": _h(f.exempted),
            "late_enrolment": _h(f.late_enrolment),
            "method": in_period.method,
        },
        "early_termination": _iso(enrolment.terminated_on) if enrolment else None,
    }


def regular_enrolment(
    training: Training,
    participant: Participant,
    now: datetime,
    correction: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """docs/rules.md, "Certificates": the participant is regularly enrolled in the (recognised) training."""
    whole = _figures(training, participant, now, None)
    span = training_span(training)
    enrolled_on = whole.enrolment.enrolled_on if whole.enrolment else None
    return {
        **_common(
            "regular_enrolment", training, participant, now.astimezone(BRUSSELS).date(), correction
        ),
        "enrolled_on": _iso(enrolled_on),
        "late_enrolment": bool(enrolled_on and span and enrolled_on > span[0]),
        "early_termination": _iso(whole.enrolment.terminated_on) if whole.enrolment else None,
    }


def _training_over(found: ParticipantFigures) -> None:
    states = {line.attendance.status for line in found.sessions}
    if any(not line.attendance.held for line in found.sessions):
        raise Refusal(
            "training_not_over",
            _l("Some lessons of this training are still to come: issue it after the last one."),
        )
    if "incomplete" in states:
        raise Refusal(
            "incomplete_registrations",
            _l("Resolve the incomplete registrations of this training first."),
        )


def attendance(
    training: Training,
    participant: Participant,
    now: datetime,
    correction: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The deelnameattest: the participant's hours in the whole training, once it is over."""
    whole = _figures(training, participant, now, None)
    last = max(line.session.day for line in whole.sessions)
    if not attendance_certificate_available(last, now):
        raise Refusal(
            "attendance_not_yet",
            _l(
                "The attendance certificate is available from %(day)s, a week after the last "
                "lesson.",
                day=attendance_certificate_available_from(last).strftime("%d/%m/%Y"),
            ),
        )
    _training_over(whole)
    f = whole.figures
    enrolment = whole.enrolment
    return {
        **_common("attendance", training, participant, now.astimezone(BRUSSELS).date(), correction),
        "attendance": {
            "given": _h(f.planned),
            "exempted": _h(f.exempted),
            "late_enrolment": _h(f.late_enrolment),
            "counting": _h(f.counting),
            "present": _h(f.present),
            "justified": _h(f.justified),
            "unjustified": _h(f.unjustified),
            "self_reported": _h(f.self_reported),
            "method": whole.method,
        },
        "lessons": len(whole.sessions),
        "enrolled_on": _iso(enrolment.enrolled_on) if enrolment else None,
        "early_termination": _iso(enrolment.terminated_on) if enrolment else None,
    }


def _resit_enrolment(
    training: Training, participant: Participant, now: datetime
) -> TrainingEnrolment:
    whole = _figures(training, participant, now, None)
    if whole.enrolment is None or not whole.enrolment.second_sitting:
        raise Refusal(
            "not_in_second_sitting",
            _l("This participant is not marked as taking part in the second sitting."),
        )
    return whole.enrolment


def resit_notice(
    training: Training,
    participant: Participant,
    now: datetime,
    correction: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Second-sitting certificate 1: the participant must take part in the second sitting."""
    if training.first_sitting_end is None:
        raise Refusal(
            "first_sitting_end_required",
            _l("Give the end date of the first sitting first."),
        )
    _resit_enrolment(training, participant, now)
    return {
        **_common(
            "resit_notice", training, participant, now.astimezone(BRUSSELS).date(), correction
        ),
        "first_sitting_end": _iso(training.first_sitting_end),
        "second_sitting_end": _iso(training.second_sitting_end),
    }


def resit_participation(
    training: Training,
    participant: Participant,
    now: datetime,
    correction: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Second-sitting certificate 2: confirms the participation, with the exams' dates."""
    if training.second_sitting_end is None:
        raise Refusal(
            "second_sitting_end_required",
            _l("Give the end date of the second sitting first."),
        )
    enrolment = _resit_enrolment(training, participant, now)
    exams = sorted(enrolment.second_sitting_exams or [])
    if not exams:
        raise Refusal(
            "exam_dates_required",
            _l("Give the dates of the exams the participant took in the second sitting first."),
        )
    return {
        **_common(
            "resit_participation",
            training,
            participant,
            now.astimezone(BRUSSELS).date(),
            correction,
        ),
        "first_sitting_end": _iso(training.first_sitting_end),
        "second_sitting_end": _iso(training.second_sitting_end),
        "exam_dates": exams,
    }
