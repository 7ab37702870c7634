"""The paper list printed from the digital registrations, the export of a project's
registrations for the subsidy body (CSV, XLSX) and marking those sessions submitted.

Every figure comes from :mod:`app.attendance.figures`; submitting calls
:func:`app.planning.operations.submit_session` for each session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app import audit, scoping, spreadsheet, xlsx
from app.attendance.figures import (
    DIRECTION,
    SessionLine,
    closure_days_for,
    training_figures,
    trainings_figures,
)
from app.audit import Actor
from app.domain.attendance import hours, presence_intervals, present_time
from app.domain.cutoff import BRUSSELS
from app.domain.national_number import formatted
from app.exports.pdf import Lesson, PaperList, paper_list_pdf
from app.extensions import db
from app.models import Participant, Project, Registration, Session, Training, User
from app.planning.operations import submit_session
from app.reasons import kind_text, source_text
from app.security import decrypt_national_number
from app.timing import is_locked, session_times

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
    column = {s.id: index for index, s in enumerate(lessons)}
    rows: list[tuple[str, list[str]]] = []
    totals: list[tuple[str, str, str, str, str]] = []
    counts = [0] * len(lessons)
    for person in report.participants:
        f = person.figures
        if person.sessions or person.self_reports:
            totals.append(
                (
                    person.participant.name,
                    _comma(f.present),
                    _comma(f.justified),
                    _comma(f.unjustified),
                    _comma(person.self_reported),
                )
            )
        if not person.sessions:  # stopped before this period (or e-learning hours only)
            continue
        marks = [""] * len(lessons)
        for line in person.sessions:
            index = column[line.session.id]
            marks[index] = mark(line.attendance.status)
            counts[index] += marks[index] == "X"
        rows.append((person.participant.name, marks))
    # The lessons' trainers in one query, not one per lesson.
    ids = {s.trainer_id for s in lessons if s.trainer_id is not None}
    names = (
        {u.id: u.display_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )
    teacher = {s.id: names.get(s.trainer_id, "") if s.trainer_id else "" for s in lessons}
    trainers = sorted({teacher[s.id] for s in lessons if teacher[s.id]} | {
        t.display_name for t in training.trainers
    })  # fmt: skip
    return PaperList(
        training=training.name + (f" ({training.code})" if training.code else ""),
        project=f"{training.project.name} ({training.project.number})",
        organisation=training.project.branch.name,
        period=(period[0].isoformat(), period[1].isoformat()),
        printed_on=now.astimezone(BRUSSELS).date().isoformat(),
        lessons=[Lesson(s.day.isoformat(), f"{s.start:%H:%M}", teacher[s.id]) for s in lessons],
        rows=rows,
        counts=counts,
        trainers=trainers,
        hours_method=report.method,
        totals=totals,
    )


def _comma(duration: timedelta) -> str:
    """Hours with two decimals and a decimal comma, as the (Dutch) paper list prints them."""
    return str(hours(duration)).replace(".", ",")


def paper_list(training: Training, period: Period, now: datetime) -> bytes:
    return paper_list_pdf(paper_list_data(training, period, now))


# What seed 004 names for a time registration (docs/rules.md, "ESF export"): the project
# number, the training (and its code, which e-learning hours are reported against), the person
# (name and national register number), the moments in and out and the hours they prove.
EXPORT_COLUMNS = (
    "project", "training", "training_code", "session_id", "date", "start", "end", "break",
    "participant_id", "participant", "national_number", "check_in", "check_out", "presence",
    "hours_present", "planned_hours", "status", "registrations", "submitted_on",
)  # fmt: skip


# The header row of the export files, in the user's language (the rows keep these keys).
EXPORT_LABELS = {
    "project": _l("Project"),
    "training": _l("Training"),
    "training_code": _l("Training code"),
    "session_id": _l("Session"),
    "date": _l("Date"),
    "start": _l("Start"),
    "end": _l("End"),
    "break": _l("Break"),
    "participant_id": _l("Participant id"),
    "participant": _l("Participant"),
    "national_number": _l("National register number"),
    "check_in": _l("Check-in"),
    "check_out": _l("Check-out"),
    "presence": _l("Times present (in-out, hours)"),
    "hours_present": _l("Hours present"),
    "planned_hours": _l("Planned hours"),
    "status": _l("Status"),
    "registrations": _l("Registrations"),
    "submitted_on": _l("Submitted on"),
}
STATUS_LABELS = {
    "present": _l("present"),
    "absent": _l("absent (unjustified)"),
    "justified": _l("absent (justified)"),
    "exempt": _l("exempt"),
    "late_enrolment": _l("late enrolment"),
    "incomplete": _l("incomplete"),
    "future": _l("not yet given"),
}


def _file_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """The rows as the files hold them: the columns in order, the status in words."""
    status = EXPORT_COLUMNS.index("status")
    labels = {key: str(label) for key, label in STATUS_LABELS.items()}
    values = itemgetter(*EXPORT_COLUMNS)
    result = []
    for row in rows:
        cells = list(values(row))
        cells[status] = labels.get(cells[status], cells[status])
        result.append(cells)
    return result


def export_status(line: SessionLine) -> str:
    """present, absent, justified, exempt, late_enrolment, incomplete or future."""
    status = line.attendance.status
    if status == "absent" and line.attendance.justified:
        return "justified"
    return status


def _clock(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(BRUSSELS)
    return f"{local.hour:02d}:{local.minute:02d}"  # %H:%M, without strftime's cost


def export_rows(project: Project, start: date, end: date, now: datetime) -> list[dict[str, Any]]:
    """One row per participant per session of the project from ``start`` to ``end``.

    Check-in is the first check-in, check-out the last check-out (Brussels time); every
    effective registration is listed in ``registrations`` with where it came from. All the
    project's trainings are computed together, each once.
    """
    trainings = sorted(project.trainings, key=lambda t: (t.name, t.id))
    reports = trainings_figures(trainings, now, (start, end))
    as_hours: dict[timedelta, Decimal] = {}
    result = []
    for training in trainings:
        report = reports[training.id]
        # What every row of a session shares, worked out once per session.
        shared = {
            s.id: {
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
                "submitted_on": s.submitted_at.astimezone(BRUSSELS).date()
                if s.submitted_at
                else "",
            }
            for s, _ in report.sessions
        }
        for person in report.participants:
            for line in person.sessions:
                # Kind and Source are StrEnums: their text is their value.
                regs = [
                    (at, kind, _clock(at), source)
                    for _sid, _pid, _id, kind, at, source in line.registrations
                    if kind is not None and at is not None
                ]
                presence = _presence(line, as_hours)
                ins = [(at, text) for at, kind, text, _ in regs if kind == "in"]
                outs = [(at, text) for at, kind, text, _ in regs if kind == "out"]
                for duration in (line.present_time, line.attendance.planned):
                    if duration not in as_hours:
                        as_hours[duration] = hours(duration)
                result.append(
                    {
                        **shared[line.session.id],
                        "participant_id": person.participant.id,
                        "participant": person.participant.name,
                        # Masked here; ``audited_export`` puts the number in for those who may
                        # see it, and records that they did.
                        "national_number": person.participant.masked_national_number,
                        "check_in": min(ins)[1] if ins else "",
                        "presence": presence,
                        "check_out": max(outs)[1] if outs else "",
                        "hours_present": as_hours[line.present_time],
                        "planned_hours": as_hours[line.attendance.planned],
                        "status": export_status(line),
                        "registrations": "; ".join(
                            f"{kind_text(kind)} {text} {source_text(source)}"
                            for _, kind, text, source in regs
                        ),
                    }
                )
    return sorted(
        result,
        key=lambda r: (r["date"], r["start"], r["training"], r["participant"], r["session_id"]),
    )


def _presence(line: SessionLine, as_hours: dict[timedelta, Decimal]) -> str:
    """Each stay from a check-in to its check-out with the hours it proves: clipped to the
    session and minus the break (``app.domain.attendance.present_time``), as the total is."""
    times = line.times
    pairs = [
        (DIRECTION[kind], at) for _s, _p, _i, kind, at, _src in line.registrations if kind and at
    ]
    parts = []
    for begin, finish in presence_intervals(pairs):
        proved = present_time(
            times.start,
            times.end,
            times.break_start,
            times.break_end,
            [("in", begin), ("out", finish)],
        )
        if proved not in as_hours:
            as_hours[proved] = hours(proved)
        parts.append(f"{_clock(begin)}-{_clock(finish)} {_number(as_hours[proved])}")
    return "; ".join(parts)


def _number(value: Decimal) -> str:
    """Hours inside a text cell, with the decimal comma in Dutch (as the number cells)."""
    text = f"{value:.2f}"
    return text.replace(".", ",") if spreadsheet.dutch() else text


def national_numbers(user: User, participant_ids: set[int]) -> dict[int, str]:
    """The full national register numbers of these participants that ``user`` may see: a
    planner (promotor, support), for the participants in their scope, as on the participant's
    page; nobody else sees more than the masked number."""
    if not participant_ids or not scoping.may_reveal_national_numbers(user):
        return {}
    found = db.session.execute(
        scoping.participants(user)
        .where(
            Participant.id.in_(participant_ids), Participant.national_number_encrypted.is_not(None)
        )
        .with_only_columns(Participant.id, Participant.national_number_encrypted)
    ).all()
    return {
        pid: formatted(decrypt_national_number(token)) for pid, token in found if token is not None
    }


def audited_export(
    actor: Actor, user: User, project: Project, start: date, end: date, fmt: str, now: datetime
) -> list[dict[str, Any]]:
    """The rows of the export with the national register numbers the user may see, decrypted
    here only; the export itself is recorded (who, which project and range, how many numbers)."""
    rows = export_rows(project, start, end, now)
    numbers = national_numbers(user, {row["participant_id"] for row in rows})
    for row in rows:
        row["national_number"] = numbers.get(row["participant_id"], row["national_number"])
    audit.record(
        actor,
        "project.export_registrations",
        project,
        None,
        {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "format": fmt,
            "rows": len(rows),
            "national_numbers": len(numbers),
        },
    )
    return rows


def export_csv(rows: list[dict[str, Any]]) -> bytes:
    """Semicolon-separated with a BOM, for a Belgian Excel: dates dd/mm/yyyy and hours with a
    decimal comma in Dutch (``app.spreadsheet``); the header and the status in words."""
    return spreadsheet.csv_bytes(
        [EXPORT_LABELS[column] for column in EXPORT_COLUMNS], _file_rows(rows)
    )


def export_xlsx(rows: list[dict[str, Any]], project: Project, start: date, end: date) -> bytes:
    """The same rows as the CSV: dates as dates, hours as numbers with two decimals, the
    heading bold, frozen and with a filter; a second sheet says what the export covers."""
    columns = list(EXPORT_COLUMNS)
    registrations = xlsx.Sheet(
        str(_l("Registrations")),
        [[str(EXPORT_LABELS[column]) for column in columns], *_file_rows(rows)],
        formats={
            columns.index("date"): "date",
            columns.index("submitted_on"): "date",
            columns.index("hours_present"): "0.00",
            columns.index("planned_hours"): "0.00",
        },
        bold_heading=True,
        freeze_heading=True,
        auto_filter=True,
    )
    about = xlsx.Sheet(
        "Info",
        [
            (str(_l("Project")), f"{project.name} ({project.number})"),
            (str(_l("Branch")), project.branch.name),
            (str(_l("From")), start),
            (str(_l("Until")), end),
            (str(_l("Rows")), len(rows)),
            (str(_l("Times")), "Europe/Brussels"),
        ],
    )
    return xlsx.workbook([registrations, about])


@dataclass(frozen=True)
class Planned:
    """A session of the chosen range and what submitting does with it."""

    session: Session
    skip: str | None = None  # why not: cancelled, already_submitted, reopened, not_held, open
    reason: Any = None  # the same for people (a lazy string)
    unregistered: bool = False  # held, yet nobody was registered: worth a look before submitting

    @property
    def submit(self) -> bool:
        return self.skip is None


def project_sessions(project: Project, start: date, end: date) -> list[Session]:
    """The range's sessions with their training (one query)."""
    return list(
        db.session.scalars(
            select(Session)
            .join(Training, Session.training_id == Training.id)
            .options(contains_eager(Session.training))
            .where(Training.project_id == project.id, Session.day >= start, Session.day <= end)
            .order_by(Session.day, Session.start, Session.id)
        )
    )


def submission_plan(project: Project, start: date, end: date, now: datetime) -> list[Planned]:
    """Which sessions of the range will be submitted, and why the others will not."""
    plan = []
    sessions = project_sessions(project, start, end)
    closures = closure_days_for(sessions)
    registered = set(
        db.session.scalars(
            select(Registration.session_id)
            .where(Registration.session_id.in_([s.id for s in sessions]))
            .distinct()
        )
    )
    for session in sessions:
        times = session_times(session, closures)
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
            item = Planned(session, unregistered=session.id not in registered)
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
