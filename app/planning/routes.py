"""Planning pages: projects, trainings, sessions and the session page with its roster."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app import scoping
from app.extensions import db
from app.models import Participant, Project, Role, Session, Training, TrainingMode, User
from app.participants import operations as people
from app.planning import bp
from app.planning import operations as planning
from app.planning.forms import (
    ConfirmForm,
    EnrolForm,
    ProjectForm,
    ReasonForm,
    SessionForm,
    TrainingForm,
)
from app.planning.timing import is_locked, session_times, status_of
from app.scanning.roster import roster
from app.views import actor, attempt, branch_choices, choices
from app.web import BRUSSELS


def _now() -> datetime:
    return datetime.now(UTC)


@bp.get("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    """Sessions in scope: today's first, then upcoming, then the past (with their status)."""
    now = _now()
    today = now.astimezone(BRUSSELS).date()
    query = scoping.sessions(current_user).order_by(Session.day, Session.start)
    if request.args.get("filter") == "reopened":
        query = query.where(Session.was_reopened.is_(True))
    rows = [(s, status_of(s, now)) for s in db.session.scalars(query)]
    return render_template(
        "planning/home.html",
        today=[r for r in rows if r[0].day == today],
        upcoming=[r for r in rows if r[0].day > today],
        past=[r for r in reversed(rows) if r[0].day < today],
        reopened_only=request.args.get("filter") == "reopened",
    )


@bp.route("/projects", methods=["GET", "POST"])
@login_required
def projects():  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    form = ProjectForm()
    form.branch.choices = choices(branch_choices(current_user))
    if form.validate_on_submit():
        project = attempt(
            lambda: planning.create_project(
                actor(), form.name.data, form.number.data, form.branch.data
            ),
            _("Project created."),
            form=form,
        )
        if project is not None:
            return redirect(url_for("planning.project", project_id=project.id))
    items = db.session.scalars(scoping.projects(current_user).order_by(Project.name)).all()
    return render_template("planning/projects.html", projects=items, form=form)


def _trainer_choices(branch_id: int | None) -> list[tuple[int, str]]:
    query = select(User).where(User.active.is_(True), User.role.in_([Role.TRAINER, Role.PROMOTOR]))
    if branch_id is not None:
        query = query.where((User.branch_id == branch_id) | User.branch_id.is_(None))
    return [
        (u.id, f"{u.display_name} ({u.email})")
        for u in db.session.scalars(query.order_by(User.name))
    ]


@bp.route("/projects/<int:project_id>", methods=["GET", "POST"])
@login_required
def project(project_id: int):  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    project = scoping.get_one(scoping.projects(current_user), Project, project_id, "project")
    form = TrainingForm()
    form.trainers.choices = choices(_trainer_choices(project.branch_id))
    if form.validate_on_submit():
        trainers = [
            db.session.get(User, i)
            for i in form.trainers.data
            if i in dict(_trainer_choices(project.branch_id))
        ]

        def create() -> Training:
            training = planning.create_training(
                actor(),
                project,
                form.name.data,
                form.code.data or "",
                TrainingMode(form.mode.data),
                trainers,
            )
            training.per_school_year = form.per_school_year.data
            training.exam_date = form.exam_date.data
            return training

        training = attempt(create, _("Training created."), form=form)
        if training is not None:
            return redirect(url_for("planning.training", training_id=training.id))
    return render_template("planning/project.html", project=project, form=form)


@bp.route("/trainings/<int:training_id>", methods=["GET", "POST"])
@login_required
def training(training_id: int):  # type: ignore[no-untyped-def]
    training = scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")
    form = SessionForm()
    form.trainer.choices = choices(
        [(0, _("(none)")), *_trainer_choices(training.project.branch_id)]
    )
    if form.validate_on_submit():
        scoping.require_planner(current_user)
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
                form.location.data or "",
                trainer,
            ),
            _("Session planned."),
            form=form,
        )
        if session is not None:
            return redirect(url_for("planning.training", training_id=training.id))
    now = _now()
    sessions = db.session.scalars(
        scoping.sessions(current_user)
        .where(Session.training_id == training.id)
        .order_by(Session.day, Session.start)
    ).all()
    enrol_form = EnrolForm(prefix="enrol")
    enrol_form.participants.choices = choices(_participant_choices(training.project.branch_id))
    return render_template(
        "planning/training.html",
        training=training,
        form=form,
        enrol_form=enrol_form,
        sessions=[(s, status_of(s, now)) for s in sessions],
        can_plan=current_user.role in scoping.PLANNERS,
    )


def _participant_choices(branch_id: int) -> list[tuple[int, str]]:
    query = scoping.participants(current_user).where(Participant.branch_id == branch_id)
    return [
        (p.id, f"{p.name} ({p.email})")
        for p in db.session.scalars(query.order_by(Participant.name))
    ]


@bp.post("/trainings/<int:training_id>/enrol")
@login_required
def enrol_training(training_id: int):  # type: ignore[no-untyped-def]
    """Enrol participants in every session of a training."""
    scoping.require_planner(current_user)
    training = scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")
    form = EnrolForm(prefix="enrol")
    form.participants.choices = choices(_participant_choices(training.project.branch_id))
    if form.validate_on_submit():
        chosen = db.session.scalars(
            scoping.participants(current_user).where(Participant.id.in_(form.participants.data))
        ).all()

        def enrol_all() -> int:
            return sum(
                people.enrol_in_training(actor(), list(training.sessions), p) for p in chosen
            )

        count = attempt(enrol_all)
        if count is not None:
            flash(_("%(n)s new enrolments.", n=count), "success")
    else:
        for error in form.participants.errors:
            flash(error, "error")
    return redirect(url_for("planning.training", training_id=training.id))


def _session(session_id: int) -> Session:
    return scoping.get_one(scoping.sessions(current_user), Session, session_id, "session")


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int):  # type: ignore[no-untyped-def]
    session = _session(session_id)
    now = _now()
    times = session_times(session)
    enrol_form = EnrolForm(prefix="enrol")
    enrol_form.participants.choices = choices(
        _participant_choices(session.training.project.branch_id)
    )
    return render_template(
        "planning/session.html",
        session=session,
        times=times,
        status=status_of(session, now, times),
        locked=is_locked(session, now, times),
        roster=roster(session),
        enrol_form=enrol_form,
        reason_form=ReasonForm(prefix="reopen"),
        confirm_form=ConfirmForm(),
        can_plan=current_user.role in scoping.PLANNERS,
        is_admin=current_user.role == Role.ADMIN,
    )


@bp.post("/sessions/<int:session_id>/enrol")
@login_required
def enrol_session(session_id: int):  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    session = _session(session_id)
    form = EnrolForm(prefix="enrol")
    form.participants.choices = choices(_participant_choices(session.training.project.branch_id))
    if form.validate_on_submit():
        chosen = db.session.scalars(
            scoping.participants(current_user).where(Participant.id.in_(form.participants.data))
        ).all()
        attempt(
            lambda: [people.enrol(actor(), session, p) for p in chosen],
            _("Participants enrolled."),
        )
    else:
        for error in form.participants.errors:
            flash(error, "error")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/reopen")
@login_required
def reopen(session_id: int):  # type: ignore[no-untyped-def]
    scoping.require_admin(current_user)
    session = _session(session_id)
    form = ReasonForm(prefix="reopen")
    if form.validate_on_submit():
        attempt(
            lambda: planning.reopen_session(actor(), session, form.reason.data, _now()),
            _("Session reopened."),
        )
    else:
        flash(_("Give the reason for reopening."), "error")
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
