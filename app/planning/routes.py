"""Planning pages: projects, trainings, sessions, the session page with its roster, the archive."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from app import scoping
from app.extensions import db
from app.models import (
    Enrolment,
    Participant,
    Project,
    Role,
    Session,
    Training,
    TrainingMode,
    User,
)
from app.participants import operations as people
from app.planning import bp
from app.planning import operations as planning
from app.planning.forms import (
    ConfirmForm,
    EnrolForm,
    ProjectForm,
    ReopenForm,
    SessionForm,
    TrainingDetailsForm,
    TrainingForm,
)
from app.planning.timing import is_locked, session_times, status_of
from app.scanning.roster import roster
from app.views import actor, attempt, branch_choices, choices
from app.web import BRUSSELS

PAST_ON_HOME = 10
ARCHIVE_PAGE_SIZE = 50
ARCHIVE_FILTERS = ("reopened", "unsubmitted")


def _now() -> datetime:
    return datetime.now(UTC)


def _today(now: datetime) -> date:
    return now.astimezone(BRUSSELS).date()


def _can_plan() -> bool:
    return current_user.role in scoping.PLANNERS


def _with_status(sessions, now: datetime):  # type: ignore[no-untyped-def]
    return [(s, status_of(s, now)) for s in sessions]


def _listed(query):  # type: ignore[no-untyped-def]
    """A scoped session query with what the session tables show of each: its training (joined
    by the scope already) and its trainer, loaded with the list, not one query per row."""
    return query.options(contains_eager(Session.training), selectinload(Session.trainer))


# --- Home and archive ------------------------------------------------------------------------


@bp.get("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    """Sessions in scope: today's first, then upcoming, then the most recent past ones."""
    now = _now()
    today = _today(now)
    scope = _listed(scoping.sessions(current_user))
    todays = db.session.scalars(scope.where(Session.day == today).order_by(Session.start)).all()
    upcoming = db.session.scalars(
        scope.where(Session.day > today).order_by(Session.day, Session.start)
    ).all()
    past = db.session.scalars(
        scope.where(Session.day < today)
        .order_by(Session.day.desc(), Session.start.desc())
        .limit(PAST_ON_HOME + 1)
    ).all()
    return render_template(
        "planning/home.html",
        today=_with_status(todays, now),
        upcoming=_with_status(upcoming, now),
        past=_with_status(past[:PAST_ON_HOME], now),
        more_past=len(past) > PAST_ON_HOME,
        is_trainer=current_user.role == Role.TRAINER,
    )


@bp.get("/archive")
@login_required
def archive():  # type: ignore[no-untyped-def]
    """Past sessions with their status, newest first; filter on reopened or not yet submitted."""
    now = _now()
    chosen = request.args.get("filter", "")
    if chosen not in ARCHIVE_FILTERS:
        chosen = ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = scoping.sessions(current_user).where(Session.day < _today(now))
    if chosen == "reopened":
        query = query.where(Session.was_reopened.is_(True))
    elif chosen == "unsubmitted":
        query = query.where(Session.submitted_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + ARCHIVE_PAGE_SIZE - 1) // ARCHIVE_PAGE_SIZE, 1)
    page = min(page, pages)
    rows = db.session.scalars(
        _listed(query)
        .order_by(Session.day.desc(), Session.start.desc(), Session.id.desc())
        .offset((page - 1) * ARCHIVE_PAGE_SIZE)
        .limit(ARCHIVE_PAGE_SIZE)
    ).all()
    return render_template(
        "planning/archive.html",
        rows=_with_status(rows, now),
        chosen=chosen,
        page=page,
        pages=pages,
        total=total,
    )


# --- Projects ---------------------------------------------------------------------------------


@bp.route("/projects", methods=["GET", "POST"])
@login_required
def projects():  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    form = ProjectForm()
    form.branch.choices = choices(branch_choices(current_user))
    if form.validate_on_submit():
        project = attempt(
            lambda: planning.create_project(
                actor(), form.name.data.strip(), form.number.data.strip(), form.branch.data
            ),
            _("Project created."),
            form=form,
            field="branch",
        )
        if project is not None:
            return redirect(url_for("planning.project", project_id=project.id))
    items = db.session.scalars(
        scoping.projects(current_user)
        .options(selectinload(Project.branch))
        .order_by(Project.name, Project.id)
    ).all()
    training_counts = dict(
        db.session.execute(
            select(Training.project_id, func.count())
            .where(Training.project_id.in_([p.id for p in items]))
            .group_by(Training.project_id)
        ).all()
    )
    return render_template(
        "planning/projects.html", projects=items, training_counts=training_counts, form=form
    )


def _trainer_choices(branch_id: int | None) -> list[tuple[int, str]]:
    """Active users with the trainer role who may teach for the branch (or for every branch)."""
    query = select(User).where(User.active.is_(True), User.role == Role.TRAINER)
    if branch_id is not None:
        query = query.where((User.branch_id == branch_id) | User.branch_id.is_(None))
    return [
        (u.id, f"{u.name} ({u.email})" if u.name else u.email)
        for u in db.session.scalars(query.order_by(User.name, User.email))
    ]


@bp.route("/projects/<int:project_id>", methods=["GET", "POST"])
@login_required
def project(project_id: int):  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    project = scoping.get_one(scoping.projects(current_user), Project, project_id, "project")
    form = TrainingForm()
    form.trainers.choices = choices(_trainer_choices(project.branch_id))
    if form.validate_on_submit():
        trainers = list(
            db.session.scalars(select(User).where(User.id.in_(form.trainers.data or [])))
        )

        def create() -> Training:
            training = planning.create_training(
                actor(),
                project,
                form.name.data.strip(),
                (form.code.data or "").strip(),
                TrainingMode(form.mode.data),
                trainers,
            )
            planning.set_training_details(actor(), training, **form.details())
            return training

        training = attempt(create, _("Training created."), form=form)
        if training is not None:
            return redirect(url_for("planning.training", training_id=training.id))
    trainings = db.session.scalars(
        scoping.trainings(current_user)
        .where(Training.project_id == project.id)
        .options(selectinload(Training.trainers))
        .order_by(Training.name)
    ).all()
    session_counts = dict(
        db.session.execute(
            select(Session.training_id, func.count())
            .where(Session.training_id.in_([t.id for t in trainings]))
            .group_by(Session.training_id)
        ).all()
    )
    return render_template(
        "planning/project.html",
        project=project,
        trainings=trainings,
        session_counts=session_counts,
        form=form,
    )


# --- Trainings --------------------------------------------------------------------------------


def _training(training_id: int) -> Training:
    return scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")


def _participant_choices(
    branch_id: int, leave_out: set[int] | None = None
) -> list[tuple[int, str]]:
    """Participants of the branch in the user's scope, by name (minus ``leave_out``)."""
    query = scoping.participants(current_user).where(Participant.branch_id == branch_id)
    return [
        (p.id, f"{p.name} ({p.email})")
        for p in db.session.scalars(query.order_by(Participant.name, Participant.id))
        if not leave_out or p.id not in leave_out
    ]


def _session_form(training: Training) -> SessionForm:
    form = SessionForm()
    form.trainer.choices = choices(
        [(0, _("(no trainer yet)")), *_trainer_choices(training.project.branch_id)]
    )
    return form


def _enrol_form(branch_id: int, leave_out: set[int] | None = None) -> EnrolForm:
    form = EnrolForm(prefix="enrol")
    form.participants.choices = choices(_participant_choices(branch_id, leave_out))
    return form


def _enrolled_counts(session_ids: list[int]) -> dict[int, int]:
    if not session_ids:
        return {}
    return dict(
        db.session.execute(
            select(Enrolment.session_id, func.count())
            .where(Enrolment.session_id.in_(session_ids))
            .group_by(Enrolment.session_id)
        ).all()
    )


def _details_form(training: Training) -> TrainingDetailsForm:
    form = TrainingDetailsForm(prefix="details", obj=training)
    if not form.is_submitted():
        form.kind.data = training.kind.value
    return form


def _training_page(
    training: Training,
    form: SessionForm | None = None,
    enrol_form: EnrolForm | None = None,
    details_form: TrainingDetailsForm | None = None,
):  # type: ignore[no-untyped-def]
    now = _now()
    sessions = db.session.scalars(
        _listed(scoping.sessions(current_user))
        .where(Session.training_id == training.id)
        .order_by(Session.day, Session.start)
    ).all()
    branch_id = training.project.branch_id
    return render_template(
        "planning/training.html",
        training=training,
        form=form or _session_form(training),
        enrol_form=enrol_form or _enrol_form(branch_id),
        details_form=details_form or _details_form(training),
        sessions=_with_status(sessions, now),
        enrolled=_enrolled_counts([s.id for s in sessions]),
        can_plan=_can_plan(),
    )


@bp.route("/trainings/<int:training_id>", methods=["GET", "POST"])
@login_required
def training(training_id: int):  # type: ignore[no-untyped-def]
    training = _training(training_id)
    if request.method == "POST":
        scoping.require_planner(current_user)
    form = _session_form(training)
    if form.validate_on_submit():
        trainer = db.session.get(User, form.trainer.data) if form.trainer.data else None
        session = attempt(
            lambda: planning.create_session(
                actor(),
                training,
                form.day.data,
                form.start.data,
                form.end.data,
                form.break_start.data,
                form.break_end.data,
                (form.location.data or "").strip(),
                trainer,
            ),
            _("Session planned."),
            form=form,
        )
        if session is not None:
            return redirect(url_for("planning.training", training_id=training.id))
    return _training_page(training, form=form)


@bp.post("/trainings/<int:training_id>/details")
@login_required
def training_details(training_id: int):  # type: ignore[no-untyped-def]
    """Change the training's certificate data, lesson periods and exam date."""
    scoping.require_planner(current_user)
    training = _training(training_id)
    form = _details_form(training)
    if not form.validate_on_submit():
        return _training_page(training, details_form=form)
    attempt(
        lambda: planning.set_training_details(actor(), training, **form.details()),
        _("Training data saved."),
    )
    return redirect(url_for("planning.training", training_id=training.id))


@bp.post("/trainings/<int:training_id>/enrol")
@login_required
def enrol_training(training_id: int):  # type: ignore[no-untyped-def]
    """Enrol participants in every session of a training."""
    scoping.require_planner(current_user)
    training = _training(training_id)
    form = _enrol_form(training.project.branch_id)
    if not form.validate_on_submit():
        return _training_page(training, enrol_form=form)
    if not training.sessions:
        flash(_("Plan a session first: this training has no sessions yet."), "error")
        return redirect(url_for("planning.training", training_id=training.id))
    chosen = db.session.scalars(
        scoping.participants(current_user).where(Participant.id.in_(form.participants.data))
    ).all()

    created = attempt(lambda: people.enrol_all(actor(), list(training.sessions), chosen))
    if created is not None:
        flash(
            _(
                "%(people)s participants enrolled in %(sessions)s sessions (%(new)s new enrolments).",
                people=len(chosen),
                sessions=len(training.sessions),
                new=created,
            ),
            "success",
        )
    return redirect(url_for("planning.training", training_id=training.id))


# --- Sessions ---------------------------------------------------------------------------------


def _session(session_id: int) -> Session:
    return scoping.get_one(scoping.sessions(current_user), Session, session_id, "session")


def _session_page(
    session: Session,
    enrol_form: EnrolForm | None = None,
    reopen_form: ReopenForm | None = None,
):  # type: ignore[no-untyped-def]
    now = _now()
    times = session_times(session)
    entries = roster(session)
    if enrol_form is None and _can_plan():
        enrolled = {e.participant.id for e in entries}
        enrol_form = _enrol_form(session.training.project.branch_id, leave_out=enrolled)
    return render_template(
        "planning/session.html",
        session=session,
        times=times,
        status=status_of(session, now, times),
        locked=is_locked(session, now, times),
        deadline_passed=now > times.deadline,
        roster=entries,
        present=sum(1 for e in entries if e.state == "in"),
        enrol_form=enrol_form,
        reopen_form=reopen_form or ReopenForm(prefix="reopen"),
        confirm_form=ConfirmForm(),
        can_plan=_can_plan(),
        is_admin=current_user.role == Role.ADMIN,
    )


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int):  # type: ignore[no-untyped-def]
    return _session_page(_session(session_id))


@bp.post("/sessions/<int:session_id>/enrol")
@login_required
def enrol_session(session_id: int):  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    session = _session(session_id)
    form = _enrol_form(session.training.project.branch_id)
    if not form.validate_on_submit():
        return _session_page(session, enrol_form=form)
    chosen = db.session.scalars(
        scoping.participants(current_user).where(Participant.id.in_(form.participants.data))
    ).all()
    created = attempt(lambda: people.enrol_all(actor(), [session], chosen))
    if created is not None:
        flash(_("%(n)s participants enrolled.", n=created), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/reopen")
@login_required
def reopen(session_id: int):  # type: ignore[no-untyped-def]
    """Support reopens a locked session; the reason is mandatory."""
    scoping.require_admin(current_user)
    session = _session(session_id)
    form = ReopenForm(prefix="reopen")
    if not form.validate_on_submit():
        return _session_page(session, reopen_form=form)
    attempt(
        lambda: planning.reopen_session(actor(), session, form.reason.data, _now()),
        _("Session reopened: registrations are accepted again."),
    )
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/close")
@login_required
def close(session_id: int):  # type: ignore[no-untyped-def]
    scoping.require_admin(current_user)
    session = _session(session_id)
    if ConfirmForm().validate_on_submit():
        attempt(
            lambda: planning.close_reopened_session(actor(), session, _now()),
            _("Session closed again."),
        )
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/submit")
@login_required
def submit(session_id: int):  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    session = _session(session_id)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: planning.submit_session(actor(), session, _now()), _("Session submitted."))
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.get("/sessions/<int:session_id>/roster.json")
@login_required
def session_roster_json(session_id: int):  # type: ignore[no-untyped-def]
    """The live state the session page polls (cookie-authenticated, read-only)."""
    session = _session(session_id)
    return jsonify(
        [
            {
                "id": e.participant.id,
                "state": e.state,
                "last_at": e.last_at.astimezone(BRUSSELS).strftime("%H:%M") if e.last_at else None,
            }
            for e in roster(session)
        ]
    )
