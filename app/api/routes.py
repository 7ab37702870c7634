"""API endpoints: the schema parses the request, one operation runs, the schema shapes the answer.

No endpoint commits: ``app.db.Application`` commits a successful answer once, or rolls back.
Lists run a fixed number of queries whatever their length (tests count them).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, ClassVar, Protocol, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from app import metrics, scoping
from app.api import bp, cursor
from app.api import schemas as s
from app.api.auth import current_actor, current_principal, principal_is_fresh, reauthenticate
from app.api.editing import version_of
from app.api.openapi import REFUSALS, endpoint
from app.attendance.figures import training_figures
from app.attendance.reports import rows as attendance_rows
from app.clock import now as _now
from app.domain.cutoff import scan_opens
from app.errors import Refusal
from app.extensions import db
from app.mail.messages import participant_code
from app.models import (
    AuditRecord,
    ClosureDay,
    Participant,
    Project,
    Registration,
    Role,
    SelfReport,
    Session,
    Supervisor,
    Training,
    User,
)
from app.participants.operations import creating, enrolling
from app.planning import operations as planning
from app.scanning import refused as refused_scans
from app.scanning import service
from app.scanning.roster import roster
from app.scoping import Principal
from app.security import qr_public_key
from app.settings import settings
from app.supervision.operations import selfreports
from app.supervision.operations import supervisors as supervisors_ops
from app.timing import session_times, status_of
from qr import public_key_to_pem

PLANNERS_ONLY = {403: "Only promotors and support may plan"}
NO_FRONT_DESK = {403: "Not for front desk accounts"}


def _user() -> User:
    user = current_actor().user
    assert user is not None
    return user


def _trainers(emails: list[str], field: str) -> list[User]:
    """The users with these addresses (one query), in the caller's branch or central."""
    if not emails:
        return []
    wanted = [email.lower() for email in emails]
    found = {
        user.email: user for user in db.session.scalars(select(User).where(User.email.in_(wanted)))
    }
    branch_id = _user().branch_id
    trainers = []
    for email in wanted:
        trainer = found.get(email)
        if trainer is None or (branch_id and trainer.branch_id not in (None, branch_id)):
            raise s.invalid(field, _l("There is no user with this email address."))
        trainers.append(trainer)
    return trainers


# --- Sessions as the API shows them (a fixed number of queries for any number) ---------------


def _closures(days: list[date]) -> list[date]:
    """The closure days that can move the deadline of a session on any of ``days``."""
    if not days:
        return []
    return list(
        db.session.scalars(
            select(ClosureDay.day).where(
                ClosureDay.day > min(days), ClosureDay.day <= max(days) + timedelta(days=31)
            )
        )
    )


def _sessions_out(sessions: list[Session]) -> list[s.SessionOut]:
    closures = _closures([session.day for session in sessions])
    now = _now()
    early_minutes = settings().scan_early_minutes
    answers = []
    for session in sessions:
        times = session_times(session, closures)
        answers.append(
            s.SessionOut(
                id=session.id,
                training_id=session.training_id,
                training_name=session.training.name,
                date=session.day,
                start=session.start,
                end=session.end,
                break_start=session.break_start,
                break_end=session.break_end,
                location=session.location,
                trainer_email=session.trainer.email if session.trainer else None,
                status=status_of(session, now, times),
                reopened=session.reopened,
                scan_opens=scan_opens(times.start, early_minutes),
                deadline=times.deadline,
                cancelled=session.cancelled,
                cancel_reason=session.cancel_reason,
                version=version_of(session),
            )
        )
    return answers


def _session_out(session: Session) -> s.SessionOut:
    return _sessions_out([session])[0]


_WITH_TRAINING_AND_TRAINER = (joinedload(Session.training), joinedload(Session.trainer))


# --- Paging ----------------------------------------------------------------------------------


T = TypeVar("T")


class _Audited(Protocol):
    """A model whose changes the audit records name by table and id."""

    id: ClassVar[InstrumentedAttribute[int]]
    __tablename__: str


def _changed_since(model: type[_Audited], since: datetime) -> ColumnElement[bool]:
    """Objects created or changed from ``since``: those with an audit record from then (on
    the audit records' (object, time) index)."""
    return model.id.in_(
        select(AuditRecord.object_id).where(
            AuditRecord.object_type == model.__tablename__,
            AuditRecord.at >= since,
        )
    )


def _page(
    query: Select[T],
    paging: s.Paging,
    order: tuple[Any, ...],
    *options: ExecutableOption,
) -> tuple[list[T], dict[str, Any]]:
    """One page of ``query`` in ``order`` and the total: two queries whatever the size.

    With a ``cursor`` (``CursorPaging``) the page is the rows after the one it names, on
    the order's index at any depth (``app.api.cursor``); every page answers the cursor of
    the next one (``next_cursor``, null on the last), so a client may start either way."""
    given = getattr(paging, "cursor", None)
    if given is not None and paging.page != 1:
        raise Refusal(
            "cursor_with_page",
            _l("Give either a cursor or a page, not both."),
            status=400,
            field="cursor",
        )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    walked = query
    if given is not None:
        walked = walked.where(cursor.after(order, cursor.read(paging, order, given)))
    else:
        walked = walked.offset((paging.page - 1) * paging.per_page)
    # One row more than the page tells whether a next page exists.
    items = list(
        db.session.scalars(
            walked.options(*options).order_by(*order).limit(paging.per_page + 1)
        ).unique()
    )
    more = len(items) > paging.per_page
    items = items[: paging.per_page]
    page: dict[str, Any] = {"total": total or 0, "page": paging.page, "per_page": paging.per_page}
    if hasattr(paging, "cursor"):
        page["next_cursor"] = cursor.make(paging, order, items[-1]) if more else None
    return items, page


def _slice(items: list[T], paging: s.Paging) -> tuple[list[T], dict[str, Any]]:
    """One page of a list built whole (a roster, a training's figures), and its page facts:
    the same ``page``/``per_page``/``total`` as a list paged in the database."""
    start = (paging.page - 1) * paging.per_page
    return items[start : start + paging.per_page], {
        "total": len(items),
        "page": paging.page,
        "per_page": paging.per_page,
    }


# --- Routes ----------------------------------------------------------------------------------


@bp.get("/qr/public-key")
@endpoint(s.PublicKeyOut, summary="The public key that checks QR codes offline")
def public_key() -> s.PublicKeyOut:
    return s.PublicKeyOut(algorithm="Ed25519", public_key_pem=public_key_to_pem(qr_public_key()))


@bp.get("/projects")
@endpoint(s.ProjectList, query=s.CursorPaging, summary="List the projects in scope")
def list_projects(query: s.CursorPaging) -> s.ProjectList:
    found = scoping.projects(_user())
    if query.updated_since is not None:
        found = found.where(_changed_since(Project, query.updated_since))
    items, page = _page(found, query, (Project.id,), joinedload(Project.branch))
    return s.ProjectList(items=[s.ProjectOut.of(p) for p in items], **page)


@bp.post("/projects")
@endpoint(
    s.ProjectOut,
    status=201,
    body=s.ProjectCreate,
    summary="Create a project",
    refuses={**PLANNERS_ONLY, 400: REFUSALS[400] + "; or an unknown branch (unknown_branch)"},
)
def create_project(body: s.ProjectCreate) -> s.ProjectOut:
    scoping.require_planner(_user())
    return s.ProjectOut.of(
        planning.create_project(current_actor(), body.name, body.number, body.branch)
    )


@bp.get("/projects/<int:project_id>")
@endpoint(s.ProjectOut, summary="One project")
def get_project(project_id: int) -> s.ProjectOut:
    return s.ProjectOut.of(
        scoping.get_one(scoping.projects(_user()), Project, project_id, "project")
    )


@bp.get("/trainings")
@endpoint(s.TrainingList, query=s.CursorPaging, summary="List the trainings in scope")
def list_trainings(query: s.CursorPaging) -> s.TrainingList:
    found = scoping.trainings(_user())
    if query.updated_since is not None:
        found = found.where(_changed_since(Training, query.updated_since))
    items, page = _page(found, query, (Training.id,), selectinload(Training.trainers))
    return s.TrainingList(items=[s.TrainingOut.of(t) for t in items], **page)


@bp.post("/trainings")
@endpoint(
    s.TrainingOut,
    status=201,
    body=s.TrainingCreate,
    summary="Create a training",
    refuses={**PLANNERS_ONLY, 404: "No such project in scope"},
)
def create_training(body: s.TrainingCreate) -> s.TrainingOut:
    user = _user()
    scoping.require_planner(user)
    project = scoping.get_one(scoping.projects(user), Project, body.project_id, "project")
    training = planning.create_training(
        current_actor(),
        project,
        body.name,
        body.code,
        body.mode,
        _trainers(body.trainers, "trainers"),
    )
    if body.hours_method != training.hours_method:
        planning.set_training_details(current_actor(), training, hours_method=body.hours_method)
    return s.TrainingOut.of(training)


@bp.get("/trainings/<int:training_id>")
@endpoint(s.TrainingOut, summary="One training")
def get_training(training_id: int) -> s.TrainingOut:
    return s.TrainingOut.of(
        scoping.get_one(scoping.trainings(_user()), Training, training_id, "training")
    )


@bp.get("/sessions")
@endpoint(s.SessionList, query=s.SessionFilter, summary="List the sessions in scope")
def list_sessions(query: s.SessionFilter) -> s.SessionList:
    sessions = scoping.sessions(_user())
    if query.date is not None:
        sessions = sessions.where(Session.day == query.date)
    if query.date_from is not None:
        sessions = sessions.where(Session.day >= query.date_from)
    if query.date_to is not None:
        sessions = sessions.where(Session.day <= query.date_to)
    if query.training_id is not None:
        sessions = sessions.where(Session.training_id == query.training_id)
    if query.updated_since is not None:
        sessions = sessions.where(_changed_since(Session, query.updated_since))
    items, page = _page(
        sessions, query, (Session.day, Session.start, Session.id), *_WITH_TRAINING_AND_TRAINER
    )
    return s.SessionList(items=_sessions_out(items), **page)


@bp.post("/sessions")
@endpoint(
    s.SessionOut,
    status=201,
    body=s.SessionCreate,
    summary="Plan a session",
    refuses={
        **PLANNERS_ONLY,
        400: REFUSALS[400] + "; or impossible times (end_before_start, break_...), "
        "or a trainer_email that names no user",
        404: "No such training in scope",
        409: "Overlaps another session of the training (overlap, with its session_id)",
    },
)
def create_session(body: s.SessionCreate) -> s.SessionOut:
    user = _user()
    scoping.require_planner(user)
    training = scoping.get_one(scoping.trainings(user), Training, body.training_id, "training")
    trainer = _trainers([body.trainer_email], "trainer_email")[0] if body.trainer_email else None
    session = planning.create_session(
        current_actor(),
        training,
        body.date,
        body.start,
        body.end,
        body.break_start,
        body.break_end,
        body.location,
        trainer,
    )
    return _session_out(session)


def _session(session_id: int) -> Session:
    return scoping.get_one(
        scoping.sessions(_user()).options(*_WITH_TRAINING_AND_TRAINER),
        Session,
        session_id,
        "session",
    )


@bp.get("/sessions/<int:session_id>")
@endpoint(s.SessionOut, summary="One session")
def get_session(session_id: int) -> s.SessionOut:
    return _session_out(_session(session_id))


@bp.get("/sessions/<int:session_id>/roster")
@endpoint(
    s.RosterOut,
    query=s.Paging,
    summary="Who is enrolled, and whether they are in or out (``participants`` paged)",
)
def session_roster(session_id: int, query: s.Paging) -> s.RosterOut:
    session = _session(session_id)
    entries, page = _slice(roster(session), query)
    return s.RosterOut(
        session=_session_out(session),
        repeat_seconds=settings().scan_repeat_seconds,
        participants=[
            s.RosterEntryOut(
                id=e.participant.id,
                name=e.participant.name,
                key_version=e.participant.key_version,
                state=e.state,
                last_at=e.last_at,
            )
            for e in entries
        ],
        **page,
    )


@bp.get("/sessions/<int:session_id>/registrations")
@endpoint(
    s.RegistrationList,
    query=s.Paging,
    summary="Every registration of a session, corrections included, paged",
)
def session_registrations(session_id: int, query: s.Paging) -> s.RegistrationList:
    session = _session(session_id)
    found = select(Registration).where(Registration.session_id == session.id)
    if query.updated_since is not None:
        found = found.where(Registration.received_at >= query.updated_since)
    items, page = _page(found, query, (Registration.at, Registration.id))
    return s.RegistrationList(items=[s.RegistrationOut.of(r) for r in items], **page)


@bp.get("/registrations")
@endpoint(
    s.RegistrationList,
    query=s.RegistrationFilter,
    summary="Every registration in scope, corrections included, paged (for a year of a branch)",
    description="Ordered by id, so a page once read stays the same while new registrations "
    "come in (they come last); ``updated_since`` selects by the time they were received.",
)
def list_registrations(query: s.RegistrationFilter) -> s.RegistrationList:
    sessions = scoping.sessions(_user()).with_only_columns(Session.id)
    if query.date_from is not None:
        sessions = sessions.where(Session.day >= query.date_from)
    if query.date_to is not None:
        sessions = sessions.where(Session.day <= query.date_to)
    if query.session_id is not None:
        sessions = sessions.where(Session.id == query.session_id)
    found = select(Registration).where(Registration.session_id.in_(sessions))
    if query.participant_id is not None:
        found = found.where(Registration.participant_id == query.participant_id)
    if query.updated_since is not None:
        found = found.where(Registration.received_at >= query.updated_since)
    items, page = _page(found, query, (Registration.id,))
    return s.RegistrationList(items=[s.RegistrationOut.of(r) for r in items], **page)


@bp.get("/sessions/<int:session_id>/enrolments")
@endpoint(
    s.ParticipantList, query=s.Paging, summary="The participants enrolled in a session, paged"
)
def session_enrolments(session_id: int, query: s.Paging) -> s.ParticipantList:
    entries, page = _slice(roster(_session(session_id)), query)
    return s.ParticipantList(items=[s.ParticipantOut.of(e.participant) for e in entries], **page)


@bp.post("/sessions/<int:session_id>/enrolments")
@endpoint(
    {201: (s.EnrolmentOut, "Enrolled"), 200: (s.EnrolmentOut, "Already enrolled")},
    body=s.EnrolmentCreate,
    summary="Enrol a participant in a session",
    refuses={**PLANNERS_ONLY, 404: "No such session or participant in scope"},
)
def enrol(session_id: int, body: s.EnrolmentCreate) -> tuple[s.EnrolmentOut, int]:
    user = _user()
    scoping.require_planner(user)
    session = _session(session_id)
    participant = scoping.get_one(
        scoping.participants(user), Participant, body.participant_id, "participant"
    )
    enrolment, created = enrolling.enrol(current_actor(), session, participant, now=_now())
    answer = s.EnrolmentOut(
        id=enrolment.id, session_id=session.id, participant_id=participant.id, created=created
    )
    return answer, 201 if created else 200


def _participants_in_scope() -> Select[Participant]:
    """The caller's participants. Front desk accounts see no participant records, as on the
    web (names, addresses and external ids are for those who plan and teach)."""
    user = _user()
    if user.role == Role.FRONTDESK:
        raise Refusal("forbidden", _l("You may not do this."), status=403)
    return scoping.participants(user)


@bp.get("/participants")
@endpoint(
    s.ParticipantList,
    query=s.CursorPaging,
    summary="List the participants in scope",
    refuses=NO_FRONT_DESK,
)
def list_participants(query: s.CursorPaging) -> s.ParticipantList:
    found = _participants_in_scope()
    if query.updated_since is not None:
        found = found.where(_changed_since(Participant, query.updated_since))
    items, page = _page(found, query, (Participant.name, Participant.id))
    return s.ParticipantList(items=[s.ParticipantOut.of(p) for p in items], **page)


@bp.post("/participants")
@endpoint(
    s.ParticipantOut,
    status=201,
    body=s.ParticipantCreate,
    summary="Add a participant",
    refuses={
        **PLANNERS_ONLY,
        400: REFUSALS[400] + "; or an invalid email address (invalid_email) or national "
        "register number (invalid_national_number), or an unknown branch",
        409: "The national register number, email address or external id is already registered",
    },
)
def create_participant(body: s.ParticipantCreate) -> s.ParticipantOut:
    user = _user()
    scoping.require_planner(user)
    participant = creating.create_participant(
        current_actor(),
        planning.branch_for(current_actor(), body.branch),
        body.name,
        body.email,
        body.national_number,
        body.external_id,
    )
    return s.ParticipantOut.of(participant)


def _participant(participant_id: int) -> Participant:
    return scoping.get_one(_participants_in_scope(), Participant, participant_id, "participant")


@bp.get("/participants/<int:participant_id>")
@endpoint(s.ParticipantOut, summary="One participant", refuses=NO_FRONT_DESK)
def get_participant(participant_id: int) -> s.ParticipantOut:
    return s.ParticipantOut.of(_participant(participant_id))


@bp.get("/participants/<int:participant_id>/code")
@endpoint(s.CodeOut, summary="A participant's QR code (its text)", refuses=PLANNERS_ONLY)
def participant_code_view(participant_id: int) -> s.CodeOut:
    scoping.require_planner(_user())
    participant = _participant(participant_id)
    return s.CodeOut(code=participant_code(participant), key_version=participant.key_version)


@bp.post("/scans")
@endpoint(
    s.ScanOut,
    body=s.ScanCreate,
    summary="Register a scan (check-in or check-out)",
    description="Refusal codes: "
    + ", ".join(service.REFUSAL_CODES)
    + ". The same nonce sent again with the same body by the same caller gets the same answer "
    "and records nothing; with another body, or by another caller, it is refused "
    "(409 nonce_reused).",
    refuses={
        **NO_FRONT_DESK,
        404: "No such session in the caller's scope (unknown_session)",
        409: "This nonce was used for another scan (nonce_reused), or a conflict at commit",
        422: "Refused by a rule: the code, the enrolment or the session's window",
    },
)
def scan(body: s.ScanCreate) -> s.ScanOut:
    request_ = service.ScanRequest(
        session_id=body.session_id,
        code=body.code,
        nonce=body.nonce,
        scanned_at=body.scanned_at,
        direction=body.direction,
    )
    now = _now()
    caller = current_principal()
    try:
        try:
            answer = service.scan(_scanning(caller), request_, now, settings())
        except service.CallerChanged:
            # The token was read before it was revoked, or before its user changed: read it
            # again. Nothing was written yet (the facts query comes before any write).
            caller = reauthenticate()
            answer = service.scan(_scanning(caller), request_, now, settings())
    except service.CallerChanged:
        raise
    except Refusal as refusal:
        refused_scans.keep(caller, body.session_id, body.code, refusal.code, now)
        metrics.count_scan("refused", refusal.code)
        raise
    metrics.count_scan("repeat" if answer.get("repeat") else "accepted", "")
    return s.ScanOut.model_validate(answer)


def _scanning(principal: Principal) -> Principal:
    """The caller, if they may scan. The role may come from this process's token cache: a
    refusal from it is checked against the database first, so a stale role never refuses."""
    if principal.role == Role.FRONTDESK and not principal_is_fresh():
        principal = reauthenticate()
    if principal.role == Role.FRONTDESK:
        raise Refusal("forbidden", _l("Front desk accounts cannot register scans."), status=403)
    return principal


@bp.get("/trainings/<int:training_id>/attendance")
@endpoint(
    s.AttendanceOut,
    query=s.Paging,
    summary="The attendance figures per participant (hours with two decimals), paged",
    refuses=NO_FRONT_DESK,
)
def training_attendance(training_id: int, query: s.Paging) -> s.AttendanceOut:
    user = _user()
    if user.role == Role.FRONTDESK:
        raise Refusal("forbidden", _l("You may not do this."), status=403)
    training = scoping.get_one(scoping.trainings(user), Training, training_id, "training")
    figures = training_figures(training, _now())
    rows, page = _slice(attendance_rows(figures), query)
    # The report's rows may grow columns for the web; the API answers what its schema says.
    fields = s.AttendanceRowOut.model_fields
    return s.AttendanceOut(
        training_id=training.id,
        hours_method=figures.method,
        items=[s.AttendanceRowOut(**{k: v for k, v in r.items() if k in fields}) for r in rows],
        **page,
    )


# --- Supervisors and self-reported e-learning hours ---------------------------------------------


def _supervisors_out(supervisors: list[Supervisor]) -> list[s.SupervisorOut]:
    """Each supervisor with their participants (two queries for any number)."""
    ids = [supervisor.id for supervisor in supervisors]
    linked: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for participant_id, supervisor_id in db.session.execute(
            select(Participant.id, Participant.supervisor_id)
            .where(Participant.supervisor_id.in_(ids), Participant.ended_at.is_(None))
            .order_by(Participant.id)
        ):
            if supervisor_id is not None:  # the query asks for linked ones only
                linked[supervisor_id].append(participant_id)
    return [
        s.SupervisorOut(
            id=supervisor.id,
            name=supervisor.name,
            email=supervisor.email,
            branch=supervisor.branch.name,
            participant_ids=linked[supervisor.id],
        )
        for supervisor in supervisors
    ]


def _supervisors_in_scope() -> Select[Supervisor]:
    user = _user()
    scoping.require_planner(user)
    query = select(Supervisor).options(joinedload(Supervisor.branch))
    if user.branch_id is not None:
        query = query.where(Supervisor.branch_id == user.branch_id)
    return query


def _scoped_participants(ids: list[int], field: str) -> list[Participant]:
    if not ids:
        return []
    found = {
        p.id: p
        for p in db.session.scalars(
            scoping.participants(_user()).where(Participant.id.in_(set(ids)))
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise Refusal(
            "not_found", _l("There is no participant with this id."), status=404, field=field
        )
    return [found[i] for i in dict.fromkeys(ids)]


@bp.get("/supervisors")
@endpoint(
    s.SupervisorList,
    query=s.CursorPaging,
    summary="List the supervisors in scope",
    refuses=PLANNERS_ONLY,
)
def list_supervisors(query: s.CursorPaging) -> s.SupervisorList:
    found = _supervisors_in_scope()
    if query.updated_since is not None:
        found = found.where(_changed_since(Supervisor, query.updated_since))
    items, page = _page(found, query, (Supervisor.name, Supervisor.id))
    return s.SupervisorList(items=_supervisors_out(items), **page)


@bp.post("/supervisors")
@endpoint(
    s.SupervisorOut,
    status=201,
    body=s.SupervisorCreate,
    summary="Add a supervisor, optionally linked to participants",
    refuses={
        **PLANNERS_ONLY,
        400: REFUSALS[400] + "; or an invalid email address (invalid_email), or an unknown branch",
        404: "A participant_id that names no participant in scope",
        403: PLANNERS_ONLY[403] + "; or a participant of another branch (other_branch)",
        409: "The branch has a supervisor with this address (duplicate_supervisor)",
    },
)
def create_supervisor(body: s.SupervisorCreate) -> s.SupervisorOut:
    scoping.require_planner(_user())
    participants = _scoped_participants(body.participant_ids, "participant_ids")
    supervisor = supervisors_ops.create_supervisor(
        current_actor(), planning.branch_for(current_actor(), body.branch), body.name, body.email
    )
    supervisors_ops.link_participants(current_actor(), supervisor, participants)
    return _supervisors_out([supervisor])[0]


def _supervisor(supervisor_id: int) -> Supervisor:
    return scoping.get_one(_supervisors_in_scope(), Supervisor, supervisor_id, "supervisor")


@bp.get("/supervisors/<int:supervisor_id>")
@endpoint(s.SupervisorOut, summary="One supervisor and their participants", refuses=PLANNERS_ONLY)
def get_supervisor(supervisor_id: int) -> s.SupervisorOut:
    return _supervisors_out([_supervisor(supervisor_id)])[0]


@bp.post("/supervisors/<int:supervisor_id>/participants")
@endpoint(
    s.SupervisorOut,
    body=s.SupervisorLink,
    summary="Make this supervisor the supervisor of these participants",
    refuses={
        **PLANNERS_ONLY,
        404: "No such supervisor, or a participant_id that names no participant in scope",
        403: PLANNERS_ONLY[403] + "; or a participant of another branch (other_branch)",
        409: "A participant whose record ended (participant_ended)",
    },
)
def link_supervisor(supervisor_id: int, body: s.SupervisorLink) -> s.SupervisorOut:
    supervisor = _supervisor(supervisor_id)
    participants = _scoped_participants(body.participant_ids, "participant_ids")
    supervisors_ops.link_participants(current_actor(), supervisor, participants)
    return _supervisors_out([supervisor])[0]


def self_report_out(state: selfreports.ReportState) -> s.SelfReportOut:
    """A report as the API shows it, with who decided it (a supervisor, or a planner)."""
    r, decision = state.report, state.decision
    return s.SelfReportOut(
        id=r.id,
        training_id=r.training_id,
        participant_id=r.participant_id,
        date=r.day,
        start=r.start,
        end=r.end,
        minutes=r.minutes,
        hours=round(r.minutes / 60, 2),
        description=r.description,
        state=state.state,
        replaces_id=r.replaces_id,
        sent_at=r.created_at,
        decided_at=decision.decided_at if decision else None,
        decided_by=decision.decider if decision else None,
        reason=(decision.reason or None) if decision else None,
    )


@bp.get("/trainings/<int:training_id>/self-reports")
@endpoint(
    s.SelfReportList,
    query=s.Paging,
    summary="The e-learning hours participants reported for a training, with their state, paged",
    description="A supervisor approves or rejects reports in the portal; a planner may do so "
    "through `POST /self-reports/{id}/approve` or `/reject`, and `decided_by` names who did. "
    "Only reports in the state `approved` count in the figures.",
    refuses=PLANNERS_ONLY,
)
def training_self_reports(training_id: int, query: s.Paging) -> s.SelfReportList:
    user = _user()
    scoping.require_planner(user)
    training = scoping.get_one(scoping.trainings(user), Training, training_id, "training")
    reports = list(
        db.session.scalars(
            select(SelfReport)
            .where(SelfReport.training_id == training.id)
            .order_by(SelfReport.day, SelfReport.start, SelfReport.id)
        )
    )
    # The states need every report (a correction replaces the one it names): page after.
    states, page = _slice(selfreports.report_states(reports), query)
    items = [self_report_out(state) for state in states]
    return s.SelfReportList(items=items, **page)
