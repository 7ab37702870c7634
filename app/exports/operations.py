"""The paper list printed from the digital registrations, the export of a project's
registrations for the subsidy body (CSV, XLSX) and marking those sessions submitted.

Every figure comes from :func:`app.attendance.figures.training_figures`; submitting calls
:func:`app.planning.operations.submit_session` for each session.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from app import audit, spreadsheet
from app.attendance.figures import SessionLine, training_figures
from app.audit import Actor
from app.domain.attendance import hours
from app.domain.cutoff import BRUSSELS
from app.exports.pdf import Lesson, PaperList, paper_list_pdf
from app.extensions import db
from app.models import Project, Session, Training
from app.planning.operations import submit_session
from app.planning.timing import is_locked, session_times

Period = tuple[date, date]

# The marks of the paper list (seed 000): X present, A absent, blank exempt.
MARKS = {
    "present": "X",
    "absent": "A",
    "exempt": "",
    "incomplete": "?",
    "future": "",
    "late_enrolment": "-",
}


def mark(status: str) -> str:
    return MARKS.get(status, "")


def paper_list_data(training: Training, period: Period, now: datetime) -> PaperList:
    """One row per participant, one column per lesson of the period, the count per lesson."""
    report = training_figures(training, now, period)
    lessons = [s for s, _ in report.sessions]
    rows: list[tuple[str, list[str]]] = []
    counts = [0] * len(lessons)
    for person in report.participants:
        if not person.sessions:  # stopped before this period
            continue
        status = {line.session.id: line.attendance.status for line in person.sessions}
        marks = [mark(status[s.id]) if s.id in status else "" for s in lessons]
        for index, text in enumerate(marks):
            counts[index] += text == "X"
        rows.append((person.participant.name, marks))
    trainers = sorted({s.trainer.display_name for s in lessons if s.trainer} | {
        t.display_name for t in training.trainers
    })  # fmt: skip
    return PaperList(
        training=training.name + (f" ({training.code})" if training.code else ""),
        project=f"{training.project.name} ({training.project.number})",
        organisation=training.project.branch.name,
        period=(period[0].isoformat(), period[1].isoformat()),
        printed_on=now.astimezone(BRUSSELS).date().isoformat(),
        lessons=[
            Lesson(
                s.day.isoformat(), f"{s.start:%H:%M}", s.trainer.display_name if s.trainer else ""
            )
            for s in lessons
        ],
        rows=rows,
        counts=counts,
        trainers=trainers,
    )


def paper_list(training: Training, period: Period, now: datetime) -> bytes:
    return paper_list_pdf(paper_list_data(training, period, now))


EXPORT_COLUMNS = (
    "project", "training", "training_code", "session_id", "date", "start", "end", "break",
    "participant_id", "participant", "check_in", "check_out", "hours_present", "planned_hours",
    "status", "registrations", "submitted_on",
)  # fmt: skip


def export_status(line: SessionLine) -> str:
    """present, absent, justified, exempt, late_enrolment, incomplete or future."""
    status = line.attendance.status
    if status == "absent" and line.attendance.justified:
        return "justified"
    return status


def _clock(moment: datetime | None) -> str:
    return moment.astimezone(BRUSSELS).strftime("%H:%M") if moment else ""


def export_rows(project: Project, start: date, end: date, now: datetime) -> list[dict[str, Any]]:
    """One row per participant per session of the project from ``start`` to ``end``.

    Check-in is the first check-in, check-out the last check-out (Brussels time); every
    effective registration is listed in ``registrations`` with where it came from.
    """
    result = []
    for training in sorted(project.trainings, key=lambda t: (t.name, t.id)):
        report = training_figures(training, now, (start, end))
        for person in report.participants:
            for line in person.sessions:
                regs = [r for r in line.registrations if r.kind is not None and r.at is not None]
                ins = [r.at for r in regs if r.kind.value == "in"]  # type: ignore[union-attr]
                outs = [r.at for r in regs if r.kind.value == "out"]  # type: ignore[union-attr]
                s = line.session
                result.append(
                    {
                        "project": project.number,
                        "training": training.name,
                        "training_code": training.code,
                        "session_id": s.id,
                        "date": s.day,
                        "start": f"{s.start:%H:%M}",
                        "end": f"{s.end:%H:%M}",
                        "break": f"{s.break_start:%H:%M}-{s.break_end:%H:%M}"
                        if s.break_start and s.break_end
                        else "",
                        "participant_id": person.participant.id,
                        "participant": person.participant.name,
                        "check_in": _clock(min(ins)) if ins else "",  # type: ignore[type-var]
                        "check_out": _clock(max(outs)) if outs else "",  # type: ignore[type-var]
                        "hours_present": hours(line.present_time),
                        "planned_hours": hours(line.attendance.planned),
                        "status": export_status(line),
                        "registrations": "; ".join(
                            f"{r.kind.value} {_clock(r.at)} {r.source.value}"  # type: ignore[union-attr]
                            for r in regs
                        ),
                        "submitted_on": s.submitted_at.astimezone(BRUSSELS).date()
                        if s.submitted_at
                        else "",
                    }
                )
    return sorted(
        result,
        key=lambda r: (r["date"], r["start"], r["training"], r["participant"], r["session_id"]),
    )


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def export_csv(rows: list[dict[str, Any]]) -> bytes:
    """Semicolon-separated with a BOM: Excel in Belgium opens it as it is."""
    return spreadsheet.csv_bytes(
        EXPORT_COLUMNS, ([_text(row[c]) for c in EXPORT_COLUMNS] for row in rows)
    )


def export_xlsx(rows: list[dict[str, Any]], project: Project, start: date, end: date) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Registraties"
    spreadsheet.append(sheet, EXPORT_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        spreadsheet.append(
            sheet,
            [float(v) if isinstance(v, Decimal) else v for v in (row[c] for c in EXPORT_COLUMNS)],
        )
    for column in ("E", "Q"):
        for cell in sheet[column][1:]:
            cell.number_format = "yyyy-mm-dd"
    for column in ("M", "N"):
        for cell in sheet[column][1:]:
            cell.number_format = "0.00"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    about = book.create_sheet("Info")
    for pair in (
        ("project", f"{project.name} ({project.number})"),
        ("branch", project.branch.name),
        ("from", start),
        ("until", end),
        ("rows", len(rows)),
        ("times", "Europe/Brussels"),
    ):
        spreadsheet.append(about, pair)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Planned:
    """A session of the chosen range and what submitting does with it."""

    session: Session
    skip: str | None = None  # why not: cancelled, already_submitted, reopened, not_held, open
    reason: Any = None  # the same for people (a lazy string)

    @property
    def submit(self) -> bool:
        return self.skip is None


def project_sessions(project: Project, start: date, end: date) -> list[Session]:
    return list(
        db.session.scalars(
            select(Session)
            .join(Training, Session.training_id == Training.id)
            .where(Training.project_id == project.id, Session.day >= start, Session.day <= end)
            .order_by(Session.day, Session.start, Session.id)
        )
    )


def submission_plan(project: Project, start: date, end: date, now: datetime) -> list[Planned]:
    """Which sessions of the range will be submitted, and why the others will not."""
    plan = []
    for session in project_sessions(project, start, end):
        times = session_times(session)
        if session.cancelled:
            item = Planned(session, "cancelled", _l("Cancelled: it was not held."))
        elif session.submitted_at is not None and not session.reopened:
            item = Planned(session, "already_submitted", _l(
                "Already submitted on %(day)s.",
                day=session.submitted_at.astimezone(BRUSSELS).strftime("%d/%m/%Y"),
            ))  # fmt: skip
        elif session.reopened:
            item = Planned(
                session, "reopened", _l("Reopened by support: still open for registrations.")
            )
        elif times.end > now:
            item = Planned(session, "not_held", _l("Not held yet."))
        elif not is_locked(session, now, times):
            item = Planned(session, "open", _l(
                "Still open for registrations until %(deadline)s.",
                deadline=times.deadline.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M"),
            ))  # fmt: skip
        else:
            item = Planned(session)
        plan.append(item)
    return plan


def submit_period(
    actor: Actor, project: Project, start: date, end: date, now: datetime
) -> tuple[list[Session], list[Planned]]:
    """Mark every session of the range that is past its deadline submitted, in the caller's
    transaction; the others are returned with the reason they were skipped."""
    plan = submission_plan(project, start, end, now)
    submitted = []
    for item in plan:
        if item.submit:
            submit_session(actor, item.session, now)
            submitted.append(item.session)
    skipped = [item for item in plan if not item.submit]
    audit.record(
        actor,
        "project.submit_period",
        project,
        after={
            "from": start.isoformat(),
            "until": end.isoformat(),
            "submitted": [s.id for s in submitted],
            "skipped": {str(i.session.id): i.skip for i in skipped},
        },
    )
    return submitted, skipped
