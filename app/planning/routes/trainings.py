"""The training page: planning a session, its details, editing it, enrolling its participants."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app import scoping
from app.clock import now as _now
from app.domain.cutoff import registration_deadline
from app.extensions import db
from app.models import (
    Enrolment,
    Participant,
    Session,
    Training,
    TrainingMode,
    User,
)
from app.participants.operations import enrolling as enrolling_ops
from app.planning import bp
from app.planning import operations as planning
from app.planning.forms import (
    EnrolForm,
    SessionForm,
    TrainingDetailsForm,
    TrainingEditForm,
)
from app.planning.routes.common import (
    _can_plan,
    _enrol_form,
    _flash_skipped,
    _listed,
    _trainer_choices,
    _trainer_free_or_confirmed,
    _training,
    _with_status,
)
from app.timing import closure_days
from app.views import actor, choices, refusals_shown
from app.web import BRUSSELS


def _session_form(training: Training) -> SessionForm:
    form = SessionForm()
    form.trainer.choices = choices(
        [(0, _("(no trainer yet)")), *_trainer_choices(training.project.branch_id)]
    )
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
    edit_form: TrainingEditForm | None = None,
) -> str:
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
        edit_form=edit_form or _training_edit_form(training),
        sessions=_with_status(sessions, now),
        enrolled=_enrolled_counts([s.id for s in sessions]),
        can_plan=_can_plan(),
    )


@bp.route("/trainings/<int:training_id>", methods=["GET", "POST"])
@login_required
def training(training_id: int) -> ResponseReturnValue:
    training = _training(training_id)
    if request.method == "POST":
        scoping.require_planner(current_user)
    form = _session_form(training)
    if form.validate_on_submit():
        trainer = db.session.get(User, form.trainer.data) if form.trainer.data else None
        if not _trainer_free_or_confirmed(form, trainer):
            return _training_page(training, form=form)
        if not _open_or_confirmed(form):
            return _training_page(training, form=form)
        with refusals_shown(form):
            session = planning.create_session(
                actor(),
                training,
                form.day.data,
                form.start.data,
                form.end.data,
                form.break_start.data,
                form.break_end.data,
                (form.location.data or "").strip(),
                trainer,
            )
            flash(_("Session planned."), "success")
            return redirect(url_for("planning.session_detail", session_id=session.id))
    return _training_page(training, form=form)


def _open_or_confirmed(form: SessionForm) -> bool:
    """A session whose registration deadline has passed is created locked (nobody can register
    in it): said before it is created, with who can reopen it, and planned only on
    confirmation (docs/rules.md, "Locked sessions")."""
    deadline = registration_deadline(form.day.data, closure_days(form.day.data))
    if deadline > _now() or form.confirm_past.data:
        return True
    form.day.errors = [
        *form.day.errors,
        _(
            "Registrations for this day closed on %(deadline)s: the session would be created "
            "locked, and only support can reopen it. Tick the box below to plan it anyway.",
            deadline=deadline.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M"),
        ),
    ]
    form.confirm_past.flags.shown = True
    return False


def _training_edit_form(training: Training) -> TrainingEditForm:
    form = TrainingEditForm(prefix="edit", obj=training)
    if not form.is_submitted():
        form.mode.data = training.mode.value
        form.trainers.data = [u.id for u in training.trainers]
    trainers = _trainer_choices(training.project.branch_id)
    known = dict(trainers)
    trainers += [(u.id, u.display_name) for u in training.trainers if u.id not in known]
    form.trainers.choices = choices(trainers)
    return form


@bp.post("/trainings/<int:training_id>/edit")
@login_required
def edit_training(training_id: int) -> ResponseReturnValue:
    """Rename a training, change its code, form or trainers."""
    scoping.require_planner(current_user)
    training = _training(training_id)
    form = _training_edit_form(training)
    if form.validate_on_submit():
        trainers = list(
            db.session.scalars(select(User).where(User.id.in_(form.trainers.data or [])))
        )
        with refusals_shown(form):
            planning.update_training(
                actor(),
                training,
                form.name.data.strip(),
                (form.code.data or "").strip(),
                TrainingMode(form.mode.data),
                trainers,
            )
            flash(_("Training changed."), "success")
            return redirect(url_for("planning.training", training_id=training.id))
    return _training_page(training, edit_form=form)


@bp.post("/trainings/<int:training_id>/details")
@login_required
def training_details(training_id: int) -> ResponseReturnValue:
    """Change the training's certificate data, lesson periods and exam date."""
    scoping.require_planner(current_user)
    training = _training(training_id)
    form = _details_form(training)
    if not form.validate_on_submit():
        return _training_page(training, details_form=form)
    with refusals_shown(form):
        planning.set_training_details(actor(), training, **form.details())
        flash(_("Training data saved."), "success")
        return redirect(url_for("planning.training", training_id=training.id))
    return _training_page(training, details_form=form)


def _enrolled_text(people: int, sessions: int | None, new: int) -> str:
    """ "1 deelnemer ingeschreven voor 3 sessies (1 nieuwe inschrijving).": each count with
    its own singular or plural."""
    parts = [ngettext("%(num)d participant enrolled", "%(num)d participants enrolled", people)]
    if sessions is not None:
        parts.append(ngettext("in %(num)d session", "in %(num)d sessions", sessions))
    parts.append(ngettext("(%(num)d new enrolment).", "(%(num)d new enrolments).", new))
    return " ".join(parts)


@bp.post("/trainings/<int:training_id>/enrol")
@login_required
def enrol_training(training_id: int) -> ResponseReturnValue:
    """Enrol participants in every session of a training."""
    scoping.require_planner(current_user)
    training = _training(training_id)
    form = _enrol_form(training.project.branch_id)
    if not form.validate_on_submit():
        return _training_page(training, enrol_form=form)
    chosen = db.session.scalars(
        scoping.participants(current_user).where(Participant.id.in_(form.participants.data))
    ).all()
    if not training.sessions and training.mode == TrainingMode.ELEARNING:
        # An e-learning training needs no session: its participants report their hours.
        with refusals_shown():
            created = sum(
                enrolling_ops.enrol_in_elearning(actor(), training, p, now=_now()) for p in chosen
            )
            flash(_enrolled_text(len(chosen), None, created), "success")
        return redirect(url_for("planning.training", training_id=training.id))
    if not training.sessions:
        flash(_("Plan a session first: this training has no sessions yet."), "error")
        return redirect(url_for("planning.training", training_id=training.id))
    with refusals_shown():
        enrolled = enrolling_ops.enrol_all(actor(), training.sessions, chosen, now=_now())
        given = len(training.sessions) - len(enrolled.skipped)
        flash(_enrolled_text(len(chosen), given, enrolled.created), "success")
        _flash_skipped(enrolled.skipped)
    return redirect(url_for("planning.training", training_id=training.id))
