"""Issuing certificates, the paper list, the export for the subsidy body and its submission.

An issued certificate is never changed: its PDF and the figures it shows are stored; a
correction is a new certificate naming the one it corrects and why.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import select

from app import audit
from app.attendance.figures import training_figures
from app.audit import Actor
from app.certificates import contents, pdf
from app.domain.attendance import hours
from app.domain.cutoff import BRUSSELS
from app.domain.periods import certificate_due, regular_enrolment_certificate_due
from app.errors import Refusal
from app.extensions import db
from app.models import Certificate, CertificateKind, Participant, Project, Session, Training
from app.planning.operations import submit_session
from app.planning.timing import is_locked

MARKS = {
    "present": "X",
    "absent": "A",
    "exempt": "",
    "incomplete": "?",
    "future": "",
    "late_enrolment": "-",
}


def issue(
    actor: Actor,
    kind: CertificateKind,
    training: Training,
    participant: Participant,
    now: datetime,
    period: tuple[date, date] | None = None,
    corrects: Certificate | None = None,
    reason: str | None = None,
) -> Certificate:
    """Compute the contents, render the PDF, store both; the caller commits."""
    if corrects is not None and not (reason or "").strip():
        raise Refusal("reason_required", _l("Give the reason for the correction."))
    try:
        if kind == CertificateKind.DILIGENCE:
            if period is None:
                raise Refusal("period_required", _l("Choose the lesson period."))
            figures = contents.diligence_contents(training, participant, period, now)
        else:
            figures = contents.regular_enrolment_contents(training, participant, now)
    except LookupError as exc:
        raise Refusal(
            "not_enrolled", _l("This participant is not enrolled in this training.")
        ) from exc
    certificate = Certificate(
        kind=kind,
        training=training,
        participant=participant,
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        figures=figures,
        pdf=b"",
        issued_at=now,
        issued_by_id=actor.user_id,
        corrects_id=corrects.id if corrects else None,
        correction_reason=(reason or "").strip() or None if corrects else None,
    )
    db.session.add(certificate)
    db.session.flush()  # the certificate's number is its id
    issued_on = now.astimezone(BRUSSELS).date().isoformat()
    correction = (
        {
            "number": corrects.id,
            "issued_on": corrects.issued_at.astimezone(BRUSSELS).date().isoformat(),
            "reason": certificate.correction_reason,
        }
        if corrects
        else None
    )
    render = pdf.diligence_pdf if kind == CertificateKind.DILIGENCE else pdf.regular_enrolment_pdf
    certificate.pdf = render(figures, certificate.id, issued_on, correction)
    db.session.flush()
    audit.record(
        actor,
        "certificate.issue" if corrects is None else "certificate.correct",
        certificate,
        after={
            "kind": kind.value,
            "participant_id": participant.id,
            "period": figures.get("period"),
            "corrects_id": certificate.corrects_id,
        },
    )
    return certificate


@dataclass(frozen=True)
class DueLine:
    participant: Participant
    kind: CertificateKind
    period: tuple[date, date] | None
    due: date
    certificate: Certificate | None
    state: str  # issued, overdue, due, upcoming


def due_list(training: Training, now: datetime) -> list[DueLine]:
    """Per participant and period: which certificates are due, overdue or issued."""
    today = now.astimezone(BRUSSELS).date()
    report = training_figures(training, now)
    issued: dict[tuple[int, str, date | None], Certificate] = {}
    for certificate in db.session.scalars(
        select(Certificate).where(Certificate.training_id == training.id).order_by(Certificate.id)
    ):
        issued[(certificate.participant_id, certificate.kind.value, certificate.period_start)] = (
            certificate  # latest wins
        )
    span = contents.training_span(training)
    lines = []
    for person in report.participants:
        if span and person.enrolment:
            due = regular_enrolment_certificate_due(span[0], person.enrolment.enrolled_on)
            found = issued.get(
                (person.participant.id, CertificateKind.REGULAR_ENROLMENT.value, None)
            )
            lines.append(
                DueLine(
                    person.participant,
                    CertificateKind.REGULAR_ENROLMENT,
                    None,
                    due,
                    found,
                    _state(found, due, today, span[0]),
                )
            )
        for period in contents.periods(training):
            due = certificate_due(period[1])
            found = issued.get((person.participant.id, CertificateKind.DILIGENCE.value, period[0]))
            lines.append(
                DueLine(
                    person.participant,
                    CertificateKind.DILIGENCE,
                    period,
                    due,
                    found,
                    _state(found, due, today, period[1]),
                )
            )
    return lines


def _state(found: Certificate | None, due: date, today: date, from_day: date) -> str:
    if found is not None:
        return "issued"
    if today > due:
        return "overdue"
    return "due" if today >= from_day else "upcoming"


def paper_list(training: Training, period: tuple[date, date], now: datetime) -> bytes:
    """The printable list for a period, from the digital registrations (rule 12)."""
    report = training_figures(training, now, period)
    lessons = [s for s, _ in report.sessions]
    rows, counts = [], [0] * len(lessons)
    for person in report.participants:
        by_session = {line.session.id: line.attendance.status for line in person.sessions}
        marks = []
        for index, lesson in enumerate(lessons):
            mark = MARKS.get(by_session.get(lesson.id, ""), "") if lesson.id in by_session else ""
            counts[index] += mark == "X"
            marks.append(mark)
        rows.append((person.participant.name, marks))
    labels = [f"{s.day:%d/%m}" for s in lessons]
    return pdf.paper_list_pdf(
        training.name, (period[0].isoformat(), period[1].isoformat()), labels, rows, counts
    )


EXPORT_COLUMNS = (
    "project", "training", "date", "start", "end", "participant_id", "participant",
    "check_in", "check_out", "hours_present", "planned_hours", "status", "justified",
)  # fmt: skip


def export_rows(project: Project, start: date, end: date, now: datetime) -> list[dict[str, Any]]:
    """One row per participant per session of the project in [start, end]."""
    result = []
    for training in project.trainings:
        report = training_figures(training, now, (start, end))
        for person in report.participants:
            for line in person.sessions:
                ins = [r.at for r in line.registrations if r.kind and r.kind.value == "in"]
                outs = [r.at for r in line.registrations if r.kind and r.kind.value == "out"]
                result.append(
                    {
                        "project": project.number,
                        "training": training.name,
                        "date": line.session.day.isoformat(),
                        "start": f"{line.session.start:%H:%M}",
                        "end": f"{line.session.end:%H:%M}",
                        "participant_id": person.participant.id,
                        "participant": person.participant.name,
                        "check_in": min(ins).astimezone(BRUSSELS).strftime("%H:%M") if ins else "",
                        "check_out": max(outs).astimezone(BRUSSELS).strftime("%H:%M")
                        if outs
                        else "",
                        "hours_present": hours(line.present_time),
                        "planned_hours": hours(line.attendance.planned),
                        "status": line.attendance.status,
                        "justified": "yes" if line.attendance.justified else "",
                    }
                )
    return sorted(result, key=lambda r: (r["date"], r["start"], r["training"], r["participant"]))


def export_csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(rows: list[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Registraties"
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        sheet.append(
            [float(v) if hasattr(v, "quantize") else v for v in (row[c] for c in EXPORT_COLUMNS)]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def submit_period(
    actor: Actor, project: Project, start: date, end: date, now: datetime
) -> tuple[list[Session], list[Session]]:
    """Mark the project's sessions in [start, end] submitted; open ones are skipped."""
    sessions = db.session.scalars(
        select(Session)
        .join(Training, Session.training_id == Training.id)
        .where(Training.project_id == project.id, Session.day >= start, Session.day <= end)
        .order_by(Session.day, Session.start)
    ).all()
    submitted, skipped = [], []
    for session in sessions:
        if session.submitted_at is not None and not session.reopened:
            continue
        if is_locked(session, now) or session.reopened:
            submit_session(actor, session, now)
            submitted.append(session)
        else:
            skipped.append(session)
    return submitted, skipped
