"""State changes for projects, trainings and sessions. They flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import format_datetime, format_time
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select

from app import audit, checks
from app.audit import Actor
from app.domain.series import MAX_SERIES_DAYS, SeriesProblem, series_days
from app.domain.sessions import (
    PlannedSlot,
    change_overrides_registrations,
    find_overlap,
    local_datetime,
    planning_problem,
    registrations_outside,
    schedule_problem,
)
from app.domain.thresholds import HOURS_METHODS
from app.domain.trainers import TrainerFacts, may_teach
from app.errors import Forbidden, Refusal
from app.extensions import db
from app.mail import messages
from app.models import (
    Branch,
    ClosureDay,
    Enrolment,
    Participant,
    Project,
    Registration,
    Role,
    Session,
    Training,
    TrainingMode,
    User,
)
from app.timing import is_locked, session_times

SCHEDULE_MESSAGES = {
    "end_before_start": _l("The end must be after the start."),
    "break_incomplete": _l("Give both the start and the end of the break, or neither."),
    "break_end_before_start": _l("The break must end after it starts."),
    "break_outside_session": _l("The break must fall inside the session."),
}


def branch_for(actor: Actor, branch_name: str | None) -> Branch:
    user = actor.user
    assert user is not None
    if branch_name:
        branch = db.session.scalars(select(Branch).where(Branch.name == branch_name)).first()
        if branch is None:
            raise Refusal(
                "unknown_branch", _l("There is no branch called %(name)s.", name=branch_name)
            )
        if user.branch_id is not None and branch.id != user.branch_id:
            raise Forbidden(_l("You can only plan for your own branch."))
        return branch
    if user.branch is not None:
        return user.branch
    branch = db.session.scalars(select(Branch).order_by(Branch.id)).first()
    if branch is None:
        raise Refusal("unknown_branch", _l("Create a branch first."))
    return branch


def create_project(actor: Actor, name: str, number: str, branch_name: str | None = None) -> Project:
    checks.text(name, "name")
    checks.text(number, "number")
    _check_number_free(number)
    project = Project(name=name, number=number, branch=branch_for(actor, branch_name))
    db.session.add(project)
    db.session.flush()
    audit.record(actor, "project.create", project, after=audit.snapshot(project))
    return project


def _check_number_free(number: str, project_id: int | None = None) -> None:
    holder = db.session.scalars(select(Project.id).where(Project.number == number)).first()
    if holder is not None and holder != project_id:
        raise Refusal(
            "duplicate_project_number",
            _l("Another project already has this number."),
            status=409,
            field="number",
        )


def _has_registrations(*conditions: ColumnElement[bool]) -> bool:
    """Whether any registration (a correction included) exists for the sessions matched."""
    query = select(Registration.id).join(Session, Registration.session_id == Session.id)
    return db.session.scalars(query.where(*conditions).limit(1)).first() is not None


def update_project(
    actor: Actor, project: Project, name: str, number: str, branch_name: str | None
) -> None:
    """Rename or renumber a project, or move it to another branch while nothing in it has
    been registered (its trainings and participants would change branch under the records)."""
    checks.text(name, "name")
    checks.text(number, "number")
    _check_number_free(number, project.id)
    branch = branch_for(actor, branch_name) if branch_name else project.branch
    if branch.id != project.branch_id and _has_registrations(
        Session.training_id.in_(select(Training.id).where(Training.project_id == project.id))
    ):
        raise Refusal(
            "project_has_registrations",
            _l(
                "This project's trainings have registrations: it stays in its branch. "
                "Registrations are never moved."
            ),
            status=409,
            field="branch",
        )
    before = audit.snapshot(project, PROJECT_FIELDS)
    project.name, project.number, project.branch = name, number, branch
    db.session.flush()
    audit.record(actor, "project.change", project, before, audit.snapshot(project, PROJECT_FIELDS))


PROJECT_FIELDS = ("name", "number", "branch_id")
TRAINING_FIELDS = ("name", "code", "mode")


def create_training(
    actor: Actor,
    project: Project,
    name: str,
    code: str,
    mode: TrainingMode,
    trainers: list[User] | None = None,
) -> Training:
    checks.text(name, "name")
    checks.text(code or "", "code")
    training = Training(project=project, name=name, code=code or "", mode=mode)
    for trainer in trainers or []:
        check_trainer(trainer, training)
    training.trainers = list(trainers or [])
    db.session.add(training)
    db.session.flush()
    audit.record(actor, "training.create", training, after=audit.snapshot(training))
    return training


def update_training(
    actor: Actor,
    training: Training,
    name: str,
    code: str,
    mode: TrainingMode,
    trainers: list[User],
) -> None:
    """Rename a training, change its code, its form or its trainers; audited before/after."""
    checks.text(name, "name")
    checks.text(code or "", "code")
    for trainer in trainers:
        if trainer not in training.trainers:
            check_trainer(trainer, training)
    before = {
        **audit.snapshot(training, TRAINING_FIELDS),
        "trainers": sorted(u.id for u in training.trainers),
    }
    training.name, training.code, training.mode = name, code or "", mode
    training.trainers = list(trainers)
    db.session.flush()
    after = {
        **audit.snapshot(training, TRAINING_FIELDS),
        "trainers": sorted(u.id for u in training.trainers),
    }
    audit.record(actor, "training.change", training, before, after)


def trainer_facts(user: User) -> TrainerFacts:
    partner = user.partner
    return TrainerFacts(
        branch_id=user.branch_id,
        external=partner is not None,
        partner_branch_ids=[b.id for b in partner.branches] if partner is not None else [],
    )


def check_trainer(trainer: User | None, training: Training) -> None:
    """A session's or training's trainer teaches, and may teach for the training's branch
    (``app.domain.trainers.may_teach``: internal, or external with a work relation)."""
    if trainer is None:
        return
    if trainer.role not in (Role.TRAINER, Role.PROMOTOR, Role.ADMIN) or not trainer.active:
        raise Refusal("invalid_trainer", _l("This user cannot teach sessions."), field="trainer")
    if not may_teach(trainer_facts(trainer), training.project.branch_id):
        raise Refusal(
            "no_work_relation",
            _l(
                "%(name)s has no work relation with this branch: their organisation must "
                "work for it first.",
                name=trainer.display_name,
            ),
            field="trainer",
        )


def trainer_clashes(
    trainer: User | None,
    day: date,
    start: time,
    end: time,
    leave_out: int | None = None,
) -> list[Session]:
    """The trainer's other sessions (of any training) that overlap: a warning to confirm."""
    if trainer is None:
        return []
    rows = db.session.scalars(
        select(Session).where(
            Session.trainer_id == trainer.id,
            Session.day == day,
            Session.cancelled_at.is_(None),
            Session.start < end,
            Session.end > start,
        )
    ).all()
    return [s for s in rows if s.id != leave_out]


def check_schedule(
    training: Training,
    day: date,
    start: time,
    end: time,
    break_start: time | None,
    break_end: time | None,
    session_id: int | None = None,
) -> None:
    """Refuse impossible dates and times and an overlap with another session of the training."""
    _check_planning(training, [day], start, end, break_start, break_end, session_id, "date")


def _check_planning(
    training: Training,
    days: list[date],
    start: time,
    end: time,
    break_start: time | None,
    break_end: time | None,
    session_id: int | None,
    field: str,
) -> None:
    """``app.domain.sessions.planning_problem`` against one read of the training's sessions on
    those days, as a refusal."""
    for day in days:
        checks.day(day, field)
    others = db.session.execute(
        select(Session.id, Session.day, Session.start, Session.end).where(
            Session.training_id == training.id,
            Session.day.in_(days),
            Session.cancelled_at.is_(None),
        )
    )
    problem = planning_problem(
        days, start, end, break_start, break_end, (PlannedSlot(*row) for row in others), session_id
    )
    if problem is None:
        return
    if problem.clash is not None:
        raise _overlap_refusal(problem.clash)
    raise Refusal(problem.code, SCHEDULE_MESSAGES[problem.code])


def _new_sessions(
    training: Training,
    days: list[date],
    start: time,
    end: time,
    break_start: time | None,
    break_end: time | None,
    location: str,
    trainer: User | None,
    field: str = "date",
) -> list[Session]:
    """The training's new sessions on ``days``, checked and built (not yet added): one session
    planned alone and a series are held to the same rules, in the same order."""
    _check_planning(training, days, start, end, break_start, break_end, None, field)
    checks.text(location or "", "location")
    check_trainer(trainer, training)
    return [
        Session(
            training=training,
            day=day,
            start=start,
            end=end,
            break_start=break_start,
            break_end=break_end,
            location=location or "",
            trainer=trainer,
        )
        for day in days
    ]


def _overlap_refusal(clash: PlannedSlot) -> Refusal:
    return Refusal(
        "overlap",
        _l(
            "This session overlaps the session of %(day)s from %(start)s to %(end)s (#%(id)s).",
            day=clash.day.strftime("%d/%m/%Y"),
            start=format_time(clash.start, "HH:mm"),
            end=format_time(clash.end, "HH:mm"),
            id=clash.id,
        ),
        status=409,
        session_id=clash.id,
    )


def create_session(
    actor: Actor,
    training: Training,
    day: date,
    start: time,
    end: time,
    break_start: time | None = None,
    break_end: time | None = None,
    location: str = "",
    trainer: User | None = None,
) -> Session:
    (session,) = _new_sessions(
        training, [day], start, end, break_start, break_end, location, trainer
    )
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "session.create", session, after=audit.snapshot(session))
    return session


SESSION_FIELDS = (
    "day",
    "start",
    "end",
    "break_start",
    "break_end",
    "location",
    "trainer_id",
    "cancelled_at",
    "cancel_reason",
)


def update_session(
    actor: Actor,
    session: Session,
    day: date,
    start: time,
    end: time,
    break_start: time | None,
    break_end: time | None,
    location: str,
    trainer: User | None,
    now: datetime,
    reason: str | None = None,
    *,
    early_minutes: int,
) -> None:
    """Move a session, change its times, break, place or trainer; audited before/after.
    ``early_minutes``: how long before the start scanning opens (the settings').

    A change that would leave a registration outside the session (from scanning's opening to
    the end) is refused with that reason, unless support makes it and says why: the reason is
    kept in the audit record. A submitted or cancelled session does not change.
    """
    if session.cancelled:
        raise Refusal("cancelled", _l("This session was cancelled."), status=409)
    if session.submitted_at is not None and not session.reopened:
        raise Refusal(
            "already_submitted",
            _l("This session was submitted: reopen it first (support)."),
            status=409,
        )
    check_schedule(session.training, day, start, end, break_start, break_end, session.id)
    checks.text(location or "", "location")
    if trainer is not None and trainer.id != session.trainer_id:
        check_trainer(trainer, session.training)
    registered = [
        at
        for at in db.session.scalars(
            select(Registration.at).where(Registration.session_id == session.id)
        )
        if at is not None  # a registration without a time has nothing to compare
    ]
    outside = registrations_outside(
        local_datetime(day, start),
        local_datetime(day, end),
        registered,
        timedelta(minutes=early_minutes),
    )
    override = (reason or "").strip()
    role = actor.user.role.value if actor.user is not None else ""
    if outside and not change_overrides_registrations(role, override):
        raise Refusal(
            "registrations_outside",
            _l(
                "%(n)s registrations (the first at %(at)s) would fall outside the session. "
                "Correct them first, or ask support, who can make the change with a reason.",
                n=len(outside),
                at=format_datetime(outside[0], "dd/MM/yyyy HH:mm"),
            ),
            status=409,
        )
    before = audit.snapshot(session, SESSION_FIELDS)
    session.day, session.start, session.end = day, start, end
    session.break_start, session.break_end = break_start, break_end
    session.location, session.trainer = location or "", trainer
    db.session.flush()
    after = audit.snapshot(session, SESSION_FIELDS)
    if outside:
        after["override_reason"] = override
    audit.record(actor, "session.change", session, before, after)


def cancel_session(actor: Actor, session: Session, reason: str, now: datetime) -> int:
    """Cancel a session that nobody was registered in; returns how many participants are told.

    It stays (archive, audit) with the status cancelled and counts nowhere. One with
    registrations cannot be cancelled: it was held, its registrations are corrected instead.
    """
    if session.cancelled:
        raise Refusal("already_cancelled", _l("This session was already cancelled."), status=409)
    if session.submitted_at is not None:
        raise Refusal("already_submitted", _l("This session was submitted."), status=409)
    if _has_registrations(Session.id == session.id):
        raise Refusal(
            "has_registrations",
            _l(
                "This session has registrations, so it cannot be cancelled. "
                "Ask support to reopen it and correct the registrations."
            ),
            status=409,
        )
    reason = checks.text((reason or "").strip(), "reason", one_line=False)
    before = audit.snapshot(session, SESSION_FIELDS)
    session.cancelled_at, session.cancel_reason = now, reason
    db.session.flush()
    audit.record(actor, "session.cancel", session, before, audit.snapshot(session, SESSION_FIELDS))
    people = db.session.scalars(
        select(Participant)
        .join(Enrolment, Enrolment.participant_id == Participant.id)
        .where(Enrolment.session_id == session.id, Participant.ended_at.is_(None))
    ).all()
    for person in people:
        messages.queue_cancellation_mail(person, session)
    return len(people)


def _lock(session: Session) -> None:
    """The session read again under a row lock (SQLite: the write lock a writing request
    holds), so that of two submits, reopenings or closings at once the second sees the first's
    and is refused, instead of both passing the check on what they read before."""
    db.session.flush()  # a refresh would drop unflushed changes
    db.session.refresh(session, with_for_update=True)


def submit_session(actor: Actor, session: Session, now: datetime) -> None:
    """The promotor submits an executed session after its deadline; it then stays locked."""
    _lock(session)
    if session.submitted_at is not None and not session.reopened:
        raise Refusal("already_submitted", _l("This session was already submitted."), status=409)
    if not is_locked(session, now) and not session.reopened:
        raise Refusal(
            "not_yet_closed",
            _l("A session can be submitted once its registration deadline has passed."),
            status=409,
        )
    before = audit.snapshot(session)
    session.submitted_at = now
    if session.reopened:
        session.reclosed_at = now
    db.session.flush()
    audit.record(actor, "session.submit", session, before, audit.snapshot(session))


def reopen_session(actor: Actor, session: Session, reason: str, now: datetime) -> None:
    """Support reopens a locked session; the reason is mandatory and recorded."""
    if not reason or not reason.strip():
        raise Refusal("reason_required", _l("Give the reason for reopening."))
    _lock(session)
    if session.reopened:
        raise Refusal("already_open", _l("This session is already reopened."), status=409)
    if not is_locked(session, now):
        raise Refusal("not_locked", _l("This session is not locked."), status=409)
    before = audit.snapshot(session)
    session.reopened_at = now
    session.reclosed_at = None
    session.reopen_reason = reason.strip()
    session.was_reopened = True
    db.session.flush()
    audit.record(actor, "session.reopen", session, before, audit.snapshot(session))


def close_reopened_session(actor: Actor, session: Session, now: datetime) -> None:
    """Support closes a reopened session again: it locks for good."""
    _lock(session)
    if not session.reopened:
        raise Refusal("not_reopened", _l("This session is not reopened."), status=409)
    before = audit.snapshot(session)
    session.reclosed_at = now
    db.session.flush()
    audit.record(actor, "session.close", session, before, audit.snapshot(session))


TRAINING_DETAILS = (
    "kind",
    "recognition_number",
    "joint_committee",
    "joint_committee_date",
    "per_school_year",
    "exam_date",
    "hours_method",
)


def set_training_details(actor: Actor, training: Training, **details: object) -> None:
    """The training's certificate data (docs/rules.md, "Certificates"), its lesson periods and exam date; audited."""
    unknown = set(details) - set(TRAINING_DETAILS)
    if unknown:
        raise ValueError(f"not a training detail: {', '.join(sorted(unknown))}")
    if "hours_method" in details and details["hours_method"] not in HOURS_METHODS:
        raise ValueError(f"not an hours method: {details['hours_method']}")
    for name, value in details.items():
        if isinstance(value, date):
            checks.day(value, name)
        elif isinstance(value, str):
            checks.text(value, name)
    before = audit.snapshot(training, TRAINING_DETAILS)
    for name, value in details.items():
        setattr(training, name, value)
    db.session.flush()
    audit.record(
        actor, "training.change", training, before, audit.snapshot(training, TRAINING_DETAILS)
    )


@dataclass(frozen=True)
class SeriesLine:
    """One date of a proposed series, and what stands in its way."""

    day: date
    holiday: str | None
    closure: str | None
    overlap: Session | None  # another session of the training at that time
    trainer_busy: list[Session]  # the trainer's other sessions at that time (a warning)

    @property
    def planned_by_default(self) -> bool:
        return self.holiday is None and self.closure is None and self.overlap is None


SERIES_MESSAGES = {
    "no_weekdays": _l("Choose at least one weekday."),
    "out_of_range": _l("Give dates between 01/01/2000 and 31/12/2100."),
    "last_before_first": _l("The last date must not be before the first."),
    "too_long": _l(
        "A series covers at most %(n)s days; plan a longer one in parts.", n=MAX_SERIES_DAYS
    ),
}


def preview_series(
    training: Training,
    first: date,
    last: date,
    weekdays: list[int],
    start: time,
    end: time,
    break_start: time | None,
    break_end: time | None,
    trainer: User | None,
    language: str = "nl",
) -> list[SeriesLine]:
    """The dates a series would plan, each with the holiday, closure day, overlap or the
    trainer's other session it meets. Nothing is created: that waits for the confirmation."""
    problem = schedule_problem(start, end, break_start, break_end)
    if problem:
        raise Refusal(problem, SCHEDULE_MESSAGES[problem])
    check_trainer(trainer, training)
    try:
        proposed = series_days(first, last, weekdays, _closures(first, last), language)
    except SeriesProblem as exc:
        raise Refusal(str(exc), SERIES_MESSAGES[str(exc)], field="first") from exc
    days = [p.day for p in proposed]
    same_training = db.session.scalars(
        select(Session).where(
            Session.training_id == training.id,
            Session.day.in_(days),
            Session.cancelled_at.is_(None),
        )
    ).all()
    busy = (
        db.session.scalars(
            select(Session).where(
                Session.trainer_id == trainer.id,
                Session.day.in_(days),
                Session.cancelled_at.is_(None),
                Session.start < end,
                Session.end > start,
            )
        ).all()
        if trainer is not None
        else []
    )
    lines = []
    for p in proposed:
        clash = find_overlap(
            PlannedSlot(None, p.day, start, end),
            (PlannedSlot(s.id, s.day, s.start, s.end) for s in same_training if s.day == p.day),
        )
        overlap = next((s for s in same_training if clash and s.id == clash.id), None)
        lines.append(
            SeriesLine(
                p.day,
                p.holiday,
                p.closure,
                overlap,
                [s for s in busy if s.day == p.day and s.training_id != training.id],
            )
        )
    return lines


def _closures(first: date, last: date) -> dict[date, str]:
    rows = db.session.execute(
        select(ClosureDay.day, ClosureDay.label).where(
            ClosureDay.day >= first, ClosureDay.day <= last
        )
    )
    return {day: label or "" for day, label in rows}


def plan_series(
    actor: Actor,
    training: Training,
    days: list[date],
    start: time,
    end: time,
    break_start: time | None,
    break_end: time | None,
    location: str,
    trainer: User | None,
) -> list[Session]:
    """Create the confirmed dates of a series, all or none (one transaction).

    The overlap rule is checked for every date against one read of the training's sessions
    on those days, and the sessions are written together.
    """
    days = sorted(set(days))
    if not days:
        raise Refusal("no_days", _l("Tick at least one date."))
    sessions = _new_sessions(
        training, days, start, end, break_start, break_end, location, trainer, field="days"
    )
    db.session.add_all(sessions)
    db.session.flush()
    for session in sessions:
        audit.record(actor, "session.create", session, after=audit.snapshot(session))
    return sessions


def restore_session(actor: Actor, session: Session, now: datetime) -> None:
    """Undo a cancellation: the session counts again, as planned. Refused when another session
    of the training now takes its time (the overlap names it), and once its registration
    deadline has passed (it was left out of every figure and export meanwhile). The enrolled
    participants are not mailed: their enrolments never ended, and the promotor tells them."""
    if not session.cancelled:
        raise Refusal("not_cancelled", _l("This session is not cancelled."), status=409)
    # A cancelled session takes no registrations, but one could predate a data repair.
    if _has_registrations(Session.id == session.id):
        raise Refusal(
            "has_registrations",
            _l("This session has registrations, so it cannot be restored."),
            status=409,
        )
    # A cancelled session counts as locked; what matters here is its deadline.
    if now > session_times(session).deadline:
        raise Refusal(
            "locked",
            _l("The registration deadline of this session has passed: it stays cancelled."),
            status=409,
        )
    check_schedule(
        session.training,
        session.day,
        session.start,
        session.end,
        session.break_start,
        session.break_end,
        session.id,
    )
    before = audit.snapshot(session, SESSION_FIELDS)
    session.cancelled_at, session.cancel_reason = None, None
    db.session.flush()
    audit.record(actor, "session.restore", session, before, audit.snapshot(session, SESSION_FIELDS))
