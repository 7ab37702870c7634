"""Supervisors, the hours participants report for e-learning (docs/rules.md, "E-learning self-reports"), and the documents for an
absence that participants send from the portal.

- A supervisor belongs to a branch and is linked to participants by the promotor.
- A self-report is never changed. Its state follows from its decision and its successors:
  *waiting* (no decision yet), *approved* or *rejected*; an approved report stops counting once
  a correction of it is approved (``voids_id``). Only approved reports that no approved
  correction voids count (:func:`counting_reports`).
- A document uploaded in the portal waits for the promotor; accepting it records the
  justification with ``app.attendance.operations.record_justification`` (the same rules).

Nothing here commits: the request (or the job) does.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import joinedload

from app import audit, checks
from app.attendance import operations as attendance
from app.attendance.selfreported import _later, _later_decision, counting_reports
from app.audit import Actor
from app.checks import clean_email
from app.db import LOCK_PERSON_ADDRESS, lock_key
from app.domain import selfreports as rules
from app.domain.cutoff import BRUSSELS
from app.domain.justification import justification_in_time
from app.errors import Forbidden, Refusal
from app.extensions import db
from app.links import external_url
from app.models import (
    AuditRecord,
    Branch,
    Enrolment,
    JustificationKind,
    JustificationRequest,
    Participant,
    RequestState,
    SelfReport,
    SelfReportDecision,
    Session,
    Supervisor,
    Training,
    TrainingEnrolment,
    TrainingMode,
)

MAX_DESCRIPTION = 2000
MAX_REASON = 1000


# --- Supervisors ------------------------------------------------------------------------------


def _supervisor_email(email: str) -> str:
    return clean_email(checks.text(email or "", "supervisor_email")).lower()


def _supervisor_name(name: str) -> str:
    name = checks.text((name or "").strip(), "supervisor_name")[:200]
    if not name:
        raise Refusal("name_required", _l("Give the supervisor's name."), field="supervisor_name")
    return name


def find_supervisor(branch_id: int, email: str) -> Supervisor | None:
    return db.session.scalars(
        select(Supervisor).where(Supervisor.branch_id == branch_id, Supervisor.email == email)
    ).first()


def create_supervisor(actor: Actor, branch: Branch, name: str, email: str) -> Supervisor:
    """A new supervisor of ``branch``; one per branch and address (409 for a second)."""
    email, name = _supervisor_email(email), _supervisor_name(name)
    existing = find_supervisor(branch.id, email)
    if existing is not None:
        raise Refusal(
            "duplicate_supervisor",
            _l("A supervisor with this email address already exists in this branch."),
            status=409,
            supervisor_id=existing.id,
            field="email",
        )
    supervisor = Supervisor(branch=branch, name=name, email=email, created_by_id=actor.user_id)
    db.session.add(supervisor)
    db.session.flush()
    audit.record(actor, "supervisor.create", supervisor, after=audit.snapshot(supervisor))
    return supervisor


def set_supervisor(
    actor: Actor, participant: Participant, name: str, email: str
) -> Supervisor | None:
    """The participant's supervisor, by name and address (the participant's page).

    An empty address takes the supervisor off. An address the branch knows links that
    supervisor (and corrects the name when one is given); a new one creates the supervisor.
    """
    if not (email or "").strip():
        _link(actor, participant, None)
        return None
    email = _supervisor_email(email)
    _refuse_own(participant, email)
    supervisor = find_supervisor(participant.branch_id, email)
    if supervisor is None:
        supervisor = create_supervisor(actor, participant.branch, name, email)
    elif (name or "").strip() and name.strip() != supervisor.name:
        before = audit.snapshot(supervisor, ("name",))
        supervisor.name = _supervisor_name(name)
        db.session.flush()
        audit.record(
            actor, "supervisor.change", supervisor, before, audit.snapshot(supervisor, ("name",))
        )
    _link(actor, participant, supervisor)
    return supervisor


def link_participants(
    actor: Actor, supervisor: Supervisor, participants: Sequence[Participant]
) -> None:
    """Make ``supervisor`` the supervisor of each participant (of the same branch)."""
    for participant in participants:
        if participant.branch_id != supervisor.branch_id:
            raise Refusal(
                "other_branch",
                _l("This participant belongs to another branch than the supervisor."),
                status=409,
                participant_id=participant.id,
            )
        if participant.ended_at is not None:
            raise Refusal(
                "participant_ended", _l("This participant record was ended or merged."), status=409
            )
    for participant in participants:
        _refuse_own(participant, supervisor.email)
    for participant in participants:
        _link(actor, participant, supervisor)


def _refuse_own(participant: Participant, email: str) -> None:
    """A participant never supervises their own hours: not with their own address, nor with
    the address of another record of the same person (a duplicate merged into this one, or
    the record this one was merged into)."""
    email = email.lower()
    same = participant.email.lower() == email or db.session.scalar(
        select(
            exists().where(
                func.lower(Participant.email) == email,
                (Participant.merged_into_id == participant.id)
                | (Participant.id == participant.merged_into_id),
            )
        )
    )
    if same:
        raise Refusal(
            "own_supervisor",
            _l("A participant cannot be their own supervisor: give someone else's address."),
            status=422,
            field="supervisor_email",
            participant=participant.id,
        )


def _link(actor: Actor, participant: Participant, supervisor: Supervisor | None) -> None:
    new_id = supervisor.id if supervisor else None
    if participant.supervisor_id == new_id:
        return
    before = {"supervisor_id": participant.supervisor_id}
    participant.supervisor_id = new_id
    participant.supervisor = supervisor
    db.session.flush()
    audit.record(actor, "participant.supervisor", participant, before, {"supervisor_id": new_id})
    if supervisor is not None:
        _queue_linked(supervisor, participant)


def _queue_linked(supervisor: Supervisor, participant: Participant) -> None:
    """Tell a supervisor they were linked to a participant: what is asked of them and where
    (the portal, signed in with this address). Otherwise they learn it only from a reminder."""
    from email.message import EmailMessage

    from app.mail import outbox

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        message = EmailMessage()
        message["Subject"] = _(
            "Aanwezig: you approve the e-learning hours of %(name)s", name=participant.name
        )
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = supervisor.email
        message.set_content(
            _(
                "Dear %(supervisor)s,\n\nYou are now the supervisor of %(name)s in Aanwezig: "
                "you approve or reject the hours %(name)s reports for e-learning. Sign in to "
                "the portal with this email address to see what waits for you:\n%(link)s\n",
                supervisor=supervisor.name,
                name=participant.name,
                link=external_url("portal.sign_in"),
            )
        )
    outbox.queue(message, purpose="supervisor_linked")


# --- Self-reported hours: what stands and what counts ------------------------------------------


def _standing(participant_ids: Iterable[int], day: date) -> list[SelfReport]:
    """The person's reports of ``day`` that stand: waiting, or counting."""
    ids = list(participant_ids)
    waiting = select(SelfReport).where(
        SelfReport.participant_id.in_(ids),
        SelfReport.day == day,
        ~exists().where(SelfReportDecision.report_id == SelfReport.id),
    )
    counting = counting_reports().where(SelfReport.participant_id.in_(ids), SelfReport.day == day)
    return [*db.session.scalars(waiting), *db.session.scalars(counting)]


@dataclass(frozen=True)
class ReportState:
    """What a report's reader needs: its state, and its decision and successor if any."""

    report: SelfReport
    state: str  # waiting, approved, rejected, replaced (an approved correction took its place)
    decision: SelfReportDecision | None
    successor: SelfReport | None

    @property
    def correctable(self) -> bool:
        """A rejected report, or an approved one, with no correction sent yet."""
        return self.successor is None and self.state in ("approved", "rejected")


def report_states(reports: Sequence[SelfReport]) -> list[ReportState]:
    """The state of each report, in two queries whatever their number."""
    ids = [r.id for r in reports]
    if not ids:
        return []
    decisions = {
        d.report_id: d
        for d in db.session.scalars(
            select(SelfReportDecision)
            .options(joinedload(SelfReportDecision.supervisor))
            .where(SelfReportDecision.report_id.in_(ids))
        )
    }
    successors = {
        r.replaces_id: r
        for r in db.session.scalars(select(SelfReport).where(SelfReport.replaces_id.in_(ids)))
    }
    voided = set(
        db.session.scalars(
            select(_later.voids_id)
            .join(_later_decision, _later_decision.report_id == _later.id)
            .where(_later.voids_id.in_(ids), _later_decision.approved.is_(True))
        )
    )
    states = []
    for report in reports:
        decision = decisions.get(report.id)
        if decision is None:
            state = "waiting"
        elif not decision.approved:
            state = "rejected"
        elif report.id in voided:
            state = "replaced"
        else:
            state = "approved"
        states.append(ReportState(report, state, decision, successors.get(report.id)))
    return states


# --- Self-reported hours: reporting ------------------------------------------------------------

PROBLEMS = {
    "no_time": _l("Give a start and end time, or a duration."),
    "end_before_start": _l("The end time must come after the start time."),
    "duration_range": _l("A report holds between 1 minute and 24 hours."),
    "future": _l("You cannot report hours that have not passed yet."),
    "registration_closed": _l(
        "Too late: hours for a day can be reported until 10:00 on the next working day."
    ),
    "before_enrolment": _l("You were not enrolled in this training yet on that day."),
    "after_termination": _l("Your enrolment in this training had ended on that day."),
    "overlap": _l("These hours overlap hours you reported already (%(when)s)."),
    "over_24_hours": _l("Your reports of that day would add up to more than 24 hours."),
}


def elearning_enrolment(training: Training, participant: Participant) -> TrainingEnrolment:
    """The participant's enrolment in an e-learning training: only then can they report."""
    if training.mode != TrainingMode.ELEARNING:
        raise Refusal(
            "not_elearning", _l("Hours are reported only for e-learning trainings."), status=409
        )
    enrolment = db.session.scalars(
        select(TrainingEnrolment).where(
            TrainingEnrolment.training_id == training.id,
            TrainingEnrolment.participant_id == participant.id,
        )
    ).first()
    if enrolment is None or participant.ended_at is not None:
        raise Refusal("not_enrolled", _l("You are not enrolled in this training."), status=404)
    return enrolment


def _closures(day: date) -> list[date]:
    from app.timing import closure_days

    return closure_days(day)


def _describe(report: SelfReport) -> str:
    when = report.day.strftime("%d/%m/%Y")
    if report.start and report.end:
        when += f" {report.start:%H:%M}-{report.end:%H:%M}"
    return when


def report_hours(
    actor: Actor,
    training: Training,
    participant: Participant,
    day: date,
    start: datetime | None,
    end: datetime | None,
    minutes: int | None,
    description: str,
    now: datetime,
    replaces: SelfReport | None = None,
) -> SelfReport:
    """Store a report (or a correction of ``replaces``) once the rules accept it.

    ``start``/``end`` are times of day (``datetime.time``); without them ``minutes`` is the
    duration. The overlap and 24-hour rules look at every report of the person (the records of
    every branch with their address: one person) that still stands.
    """
    checks.day(day, "day")
    description = checks.text((description or "").strip(), "description", one_line=False)
    if not description:
        raise Refusal(
            "description_required", _l("Say what you did in these hours."), field="description"
        )
    if len(description) > MAX_DESCRIPTION:
        raise Refusal(
            "description_too_long",
            _l("Describe it in at most %(n)s characters.", n=MAX_DESCRIPTION),
            field="description",
        )
    # The overlap and 24-hour rules hold over rows that two posts at once would both add: one
    # person's reports are checked and written one request at a time. (A correction sent twice
    # at once is also refused by the unique replaces_id.)
    lock_key(LOCK_PERSON_ADDRESS, participant.email.lower())
    enrolment = elearning_enrolment(training, participant)
    if replaces is not None:
        _check_correctable(replaces, participant, training)
    duration = timedelta(minutes=minutes) if minutes is not None and start is None else None
    reported = rules.Reported(day, start, end, duration)  # type: ignore[arg-type]
    same_person = select(Participant.id).where(
        func.lower(Participant.email) == participant.email.lower()
    )
    left_out = {replaces.id, replaces.voids_id} if replaces is not None else set()
    others = [
        rules.Reported(r.day, r.start, r.end, timedelta(minutes=r.minutes), r.id)
        for r in _standing(db.session.scalars(same_person), day)
        if r.id not in left_out
    ]
    problem = rules.self_report_problem(
        reported,
        others,
        now=now,
        closures=_closures(day),
        enrolled_on=enrolment.enrolled_on,
        terminated_on=enrolment.terminated_on,
        correcting_day=replaces.day if replaces is not None else None,
    )
    if problem is not None:
        raise _refusal(problem)
    voids = None
    if replaces is not None:
        decision = replaces.decision
        voids = replaces.id if decision is not None and decision.approved else replaces.voids_id
    report = SelfReport(
        training_id=training.id,
        participant_id=participant.id,
        day=day,
        start=start,  # type: ignore[arg-type]
        end=end,  # type: ignore[arg-type]
        minutes=int(rules.reported_time(reported) // timedelta(minutes=1)),
        description=description,
        replaces_id=replaces.id if replaces is not None else None,
        voids_id=voids,
        created_at=now,
        sign_in_id=actor.sign_in_id,
    )
    db.session.add(report)
    db.session.flush()
    audit.record(actor, "self_report.create", report, after=audit.snapshot(report))
    return report


def _refusal(problem: rules.Problem) -> Refusal:
    field = {
        "no_time": "start",
        "end_before_start": "end",
        "duration_range": "minutes",
        "future": "day",
        "registration_closed": "day",
        "before_enrolment": "day",
        "after_termination": "day",
        "overlap": "start",
        "over_24_hours": "minutes",
    }[problem.code]
    message = PROBLEMS[problem.code]
    details: dict[str, object] = {"field": field}
    if problem.code == "overlap" and problem.other_id is not None:
        other = db.session.get(SelfReport, problem.other_id)
        message = _l(
            "These hours overlap hours you reported already (%(when)s).",
            when=_describe(other) if other else "",
        )
        details["report_id"] = problem.other_id
    return Refusal(problem.code, message, status=422, **details)


def _check_correctable(report: SelfReport, participant: Participant, training: Training) -> None:
    if report.participant_id != participant.id or report.training_id != training.id:
        raise Refusal("not_found", _l("Not found."), status=404)
    [state] = report_states([report])
    if not state.correctable:
        raise Refusal(
            "not_correctable",
            _l("Only a rejected or an approved report can be corrected, and only once."),
            status=409,
        )


# --- Self-reported hours: deciding -------------------------------------------------------------


def supervised_reports(email: str) -> Select[tuple[SelfReport]]:
    """The reports of the participants whose supervisor has this address (any branch)."""
    return (
        select(SelfReport)
        .join(Participant, Participant.id == SelfReport.participant_id)
        .join(Supervisor, Supervisor.id == Participant.supervisor_id)
        .where(Supervisor.email == email.lower(), Participant.ended_at.is_(None))
    )


def decide(
    actor: Actor,
    email: str,
    report_ids: Sequence[int],
    approve: bool,
    reason: str,
    now: datetime,
) -> int:
    """The supervisor with ``email`` approves or rejects waiting reports of their participants
    (several at once); a reason is required to reject. Returns how many were decided.

    A report of someone else's participant is a 404; one decided already is refused.
    """
    reason = checks.text((reason or "").strip(), "reason", one_line=False)[:MAX_REASON]
    if not approve and not reason:
        raise Refusal("reason_required", _l("Give the reason for the rejection."), field="reason")
    ids = sorted({i for i in report_ids if isinstance(i, int) and 0 < i < 2**31})
    if not ids:
        raise Refusal("nothing_chosen", _l("Choose the reports first."))
    rows = db.session.execute(
        supervised_reports(email)
        .add_columns(Supervisor)
        .where(SelfReport.id.in_(ids))
        .with_for_update(of=SelfReport)
    ).all()
    if len(rows) != len(ids):
        raise Refusal("not_found", _l("Not found."), status=404)
    states = {s.report.id: s for s in report_states([row[0] for row in rows])}
    if any(s.state != "waiting" for s in states.values()):
        raise Refusal(
            "already_decided",
            _l("One of these reports was decided already: open the list again."),
            status=409,
        )
    for report, supervisor in rows:
        decision = SelfReportDecision(
            report_id=report.id,
            approved=approve,
            reason=reason,
            decided_at=now,
            supervisor_id=supervisor.id,
            sign_in_id=actor.sign_in_id,
        )
        db.session.add(decision)
        db.session.flush()
        audit.record(
            actor,
            "self_report.approve" if approve else "self_report.reject",
            report,
            after={"approved": approve, "reason": reason, "supervisor_id": supervisor.id},
        )
    return len(rows)


# --- Self-reported hours: the promotor's follow-up ---------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A report waiting for its supervisor, and for how long."""

    report: SelfReport
    participant: Participant
    supervisor: Supervisor | None
    waiting_for: timedelta


def waiting_reports(training: Training, now: datetime) -> list[Waiting]:
    """The training's reports that wait for a decision, oldest first (one query)."""
    rows = db.session.execute(
        select(SelfReport, Participant, Supervisor)
        .join(Participant, Participant.id == SelfReport.participant_id)
        .outerjoin(Supervisor, Supervisor.id == Participant.supervisor_id)
        .where(
            SelfReport.training_id == training.id,
            ~exists().where(SelfReportDecision.report_id == SelfReport.id),
        )
        .order_by(SelfReport.created_at, SelfReport.id)
    ).all()
    return [Waiting(r, p, s, now - r.created_at) for r, p, s in rows]


def last_reminders(supervisor_ids: Iterable[int]) -> dict[int, datetime]:
    """When each supervisor was last reminded (from the audit records, one query)."""
    ids = list(supervisor_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(AuditRecord.object_id, func.max(AuditRecord.at))
            .where(
                AuditRecord.object_type == Supervisor.__tablename__,
                AuditRecord.action == "supervisor.remind",
                AuditRecord.object_id.in_(ids),
            )
            .group_by(AuditRecord.object_id)
        ).all()
    )


def remind(actor: Actor, training: Training, supervisor: Supervisor, now: datetime) -> int:
    """Mail the supervisor which reports of this training wait for them; returns how many."""
    waiting = [
        w
        for w in waiting_reports(training, now)
        if w.supervisor is not None and w.supervisor.email == supervisor.email
    ]
    if not waiting:
        raise Refusal(
            "nothing_waiting",
            _l("No report of this training waits for this supervisor."),
            status=409,
        )
    _queue_reminder(supervisor, training, waiting)
    audit.record(
        actor,
        "supervisor.remind",
        supervisor,
        after={"training_id": training.id, "reports": [w.report.id for w in waiting]},
    )
    return len(waiting)


def _queue_reminder(supervisor: Supervisor, training: Training, waiting: list[Waiting]) -> None:
    from email.message import EmailMessage

    from app.mail import outbox

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        context = {
            "supervisor": supervisor,
            "training": training,
            "waiting": waiting,
            "link": external_url("portal.sign_in"),
        }
        message = EmailMessage()
        message["Subject"] = _("%(n)s e-learning reports wait for your approval", n=len(waiting))
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = supervisor.email
        message.set_content(render_template("mail/supervisor_reminder.txt", **context))
        message.add_alternative(
            render_template("mail/supervisor_reminder.html", **context), subtype="html"
        )
    outbox.queue(message, purpose="supervisor_reminder")


# --- Documents for an absence, sent from the portal --------------------------------------------


def own_absences(participant_ids: Sequence[int], today: date) -> list[tuple[Session, int]]:
    """Sessions of the participant(s) that were held, for which a document may still come in
    (docs/rules.md, "Justified absences and the 14-day rule": within 14 days, before the exam), with the participant record they concern."""
    rows = db.session.execute(
        select(Session, Enrolment.participant_id)
        .join(Enrolment, Enrolment.session_id == Session.id)
        .options(joinedload(Session.training))
        .where(
            Enrolment.participant_id.in_(participant_ids),
            Session.cancelled_at.is_(None),
            Session.day <= today,
            Session.day >= today - timedelta(days=31),
        )
        .order_by(Session.day.desc(), Session.start)
    ).all()
    return [
        (session, pid)
        for session, pid in rows
        if justification_in_time(session.day, today, session.training.exam_date)
    ]


def submit_justification(
    actor: Actor,
    participant: Participant,
    sessions: Sequence[Session],
    kind: JustificationKind,
    note: str,
    document: tuple[str, bytes] | None,
    today: date,
) -> JustificationRequest:
    """A participant sends a document for an absence; it waits for the promotor.

    The same rules as the promotor's form: a PDF, PNG or JPEG of at most 5 MB, within 14 days
    of the absence and before the exam (``justification_in_time``), for sessions of their own.
    """
    if not sessions:
        raise Refusal(
            "no_sessions", _l("Choose the sessions the absence concerns."), field="sessions"
        )
    if document is None or not document[1]:
        raise Refusal(
            "document_required", _l("Add the document (PDF, PNG or JPEG)."), field="document"
        )
    note = checks.text((note or "").strip(), "note", one_line=False)[:2000]
    for session in sessions:
        if not justification_in_time(session.day, today, session.training.exam_date):
            raise Refusal(
                "justification_late",
                _l(
                    "Too late for %(day)s: a document must come within 14 days of the absence "
                    "and before the exam. Contact your training organisation.",
                    day=session.day.strftime("%d/%m/%Y"),
                ),
                field="sessions",
            )
    filename, data = document
    if len(data) > attendance.MAX_DOCUMENT_BYTES:
        raise Refusal(
            "document_too_large", _l("The document may be at most 5 MB."), field="document"
        )
    content_type, extension = attendance.document_type(data)
    _check_allowance(participant, len(data), today)
    folder = attendance.upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + extension
    (folder / stored).write_bytes(data)
    from pathlib import Path

    from werkzeug.utils import secure_filename

    request = JustificationRequest(
        participant_id=participant.id,
        kind=kind,
        note=note,
        handed_in_on=today,
        document_path=stored,
        document_name=(secure_filename(Path(filename or "").stem)[:200] or "document") + extension,
        document_type=content_type,
        sign_in_id=actor.sign_in_id,
    )
    request.sessions = list(sessions)
    db.session.add(request)
    db.session.flush()
    audit.record(
        actor,
        "justification_request.create",
        request,
        after={**audit.snapshot(request), "sessions": [s.id for s in sessions]},
    )
    return request


def _check_allowance(participant: Participant, size: int, today: date) -> None:
    """At most PORTAL_UPLOADS_PER_DAY documents and PORTAL_UPLOAD_BYTES_PER_DAY bytes a day per
    person (every record with their address), counted under the person's lock so that uploads
    sent at once cannot all pass. The file is not written before this passes."""
    config = current_app.config
    lock_key(LOCK_PERSON_ADDRESS, participant.email.lower())
    since = datetime.combine(today, time(0), tzinfo=BRUSSELS)
    paths = db.session.scalars(
        select(JustificationRequest.document_path)
        .join(Participant, Participant.id == JustificationRequest.participant_id)
        .where(
            func.lower(Participant.email) == participant.email.lower(),
            JustificationRequest.submitted_at >= since,
        )
    ).all()
    if len(paths) >= config["PORTAL_UPLOADS_PER_DAY"]:
        raise Refusal(
            "upload_limit",
            _l(
                "You sent %(n)s documents today, the most a day: send the next one tomorrow "
                "or contact your training organisation.",
                n=len(paths),
            ),
            status=429,
            field="document",
        )
    folder = attendance.upload_folder()
    sent = sum(_size(folder / path) for path in paths)
    limit = config["PORTAL_UPLOAD_BYTES_PER_DAY"]
    if sent + size > limit:
        raise Refusal(
            "upload_bytes_limit",
            _l(
                "Together with what you sent today this document is more than %(mb)s MB, the "
                "most a day: send it tomorrow or contact your training organisation.",
                mb=limit // (1024 * 1024),
            ),
            status=429,
            field="document",
        )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # a document removed since: it no longer takes space
        return 0


def _claim(request: JustificationRequest) -> None:
    """The request read again under a row lock: of two promotors deciding it at once, the
    second waits for the first and then finds it decided (SQLite: the write lock)."""
    db.session.flush()  # a refresh would drop unflushed changes
    db.session.refresh(request, with_for_update=True)
    _check_waiting(request)


def _check_waiting(request: JustificationRequest) -> None:
    if request.state != RequestState.WAITING:
        raise Refusal(
            "already_decided", _l("This document was accepted or rejected already."), status=409
        )


def accept_justification(
    actor: Actor, request: JustificationRequest, now: datetime
) -> JustificationRequest:
    """The promotor accepts the document: the justification is recorded as handed in on the
    day of the upload, with a copy of the document; audited with the request."""
    if actor.user is None:
        raise Forbidden()
    _claim(request)
    data = (attendance.upload_folder() / request.document_path).read_bytes()
    justification = attendance.record_justification(
        actor,
        request.participant,
        list(request.sessions),
        request.kind,
        request.handed_in_on,
        request.note,
        (request.document_name, data),
        None,
        today=now.astimezone(BRUSSELS).date(),
    )
    return _decide(actor, request, RequestState.ACCEPTED, "", now, justification.id)


def reject_justification(
    actor: Actor, request: JustificationRequest, reason: str, now: datetime
) -> JustificationRequest:
    """The promotor rejects the document, saying why (the participant reads it)."""
    if actor.user is None:
        raise Forbidden()
    _claim(request)
    reason = checks.text((reason or "").strip(), "reason", one_line=False)[:MAX_REASON]
    if not reason:
        raise Refusal("reason_required", _l("Give the reason for the rejection."), field="reason")
    return _decide(actor, request, RequestState.REJECTED, reason, now, None)


def _decide(
    actor: Actor,
    request: JustificationRequest,
    state: RequestState,
    reason: str,
    now: datetime,
    justification_id: int | None,
) -> JustificationRequest:
    before = audit.snapshot(request, ("state",))
    request.state = state
    request.reason = reason
    request.decided_at = now
    request.decided_by_id = actor.user_id
    request.justification_id = justification_id
    db.session.flush()
    audit.record(
        actor,
        f"justification_request.{'accept' if state == RequestState.ACCEPTED else 'reject'}",
        request,
        before,
        audit.snapshot(request, ("state", "reason", "justification_id")),
    )
    return request


def waiting_justifications(participants: Select[tuple[Participant]]) -> list[JustificationRequest]:
    """The documents in ``participants``' scope that wait for the promotor, oldest first."""
    scoped = participants.with_only_columns(Participant.id)
    return list(
        db.session.scalars(
            select(JustificationRequest)
            .options(
                joinedload(JustificationRequest.participant),
            )
            .where(
                JustificationRequest.state == RequestState.WAITING,
                JustificationRequest.participant_id.in_(scoped),
            )
            .order_by(JustificationRequest.submitted_at, JustificationRequest.id)
        ).unique()
    )
