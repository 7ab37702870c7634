"""State changes for projects, trainings and sessions. They flush; the caller commits."""

from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import format_time
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit, checks
from app.audit import Actor
from app.domain.sessions import PlannedSlot, find_overlap, schedule_problem
from app.errors import Forbidden, Refusal
from app.extensions import db
from app.models import Branch, Project, Role, Session, Training, TrainingMode, User
from app.planning.timing import is_locked

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
    project = Project(name=name, number=number, branch=branch_for(actor, branch_name))
    db.session.add(project)
    db.session.flush()
    audit.record(actor, "project.create", project, after=audit.snapshot(project))
    return project


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
    training.trainers = list(trainers or [])
    db.session.add(training)
    db.session.flush()
    audit.record(actor, "training.create", training, after=audit.snapshot(training))
    return training


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
    checks.day(day, "date")
    problem = schedule_problem(start, end, break_start, break_end)
    if problem:
        raise Refusal(problem, SCHEDULE_MESSAGES[problem])
    others = db.session.execute(
        select(Session.id, Session.day, Session.start, Session.end).where(
            Session.training_id == training.id, Session.day == day
        )
    )
    clash = find_overlap(
        PlannedSlot(session_id, day, start, end), (PlannedSlot(*row) for row in others)
    )
    if clash is not None:
        raise Refusal(
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
    check_schedule(training, day, start, end, break_start, break_end)
    checks.text(location or "", "location")
    if (
        trainer is not None
        and trainer.role != Role.TRAINER
        and trainer.role
        not in (
            Role.PROMOTOR,
            Role.ADMIN,
        )
    ):
        raise Refusal("invalid_trainer", _l("This user cannot teach sessions."))
    session = Session(
        training=training,
        day=day,
        start=start,
        end=end,
        break_start=break_start,
        break_end=break_end,
        location=location or "",
        trainer=trainer,
    )
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "session.create", session, after=audit.snapshot(session))
    return session


def submit_session(actor: Actor, session: Session, now: datetime) -> None:
    """The promotor submits an executed session after its deadline; it then stays locked."""
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
)


def set_training_details(actor: Actor, training: Training, **details: object) -> None:
    """The training's certificate data (rule 10), its lesson periods and exam date; audited."""
    unknown = set(details) - set(TRAINING_DETAILS)
    if unknown:
        raise ValueError(f"not a training detail: {', '.join(sorted(unknown))}")
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
