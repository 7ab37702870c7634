"""Project pages: the list, creating and editing a project, and the trainings it holds."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import scoping
from app.extensions import db
from app.models import (
    Project,
    Session,
    Training,
    TrainingMode,
    User,
)
from app.planning import bp
from app.planning import operations as planning
from app.planning.forms import (
    ProjectForm,
    TrainingForm,
)
from app.planning.routes.common import _trainer_choices
from app.views import actor, branch_choices, choices, refusals_shown


@bp.route("/projects", methods=["GET", "POST"])
@login_required
def projects() -> ResponseReturnValue:
    scoping.require_planner(current_user)
    form = ProjectForm()
    form.branch.choices = choices(branch_choices(current_user))
    if form.validate_on_submit():
        with refusals_shown(form, "branch"):
            project = planning.create_project(
                actor(), form.name.data.strip(), form.number.data.strip(), form.branch.data
            )
            flash(_("Project created."), "success")
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


@bp.route("/projects/<int:project_id>", methods=["GET", "POST"])
@login_required
def project(project_id: int) -> ResponseReturnValue:
    scoping.require_planner(current_user)
    project = scoping.get_one(scoping.projects(current_user), Project, project_id, "project")
    form = TrainingForm()
    form.trainers.choices = choices(_trainer_choices(project.branch_id))
    if form.validate_on_submit():
        trainers = list(
            db.session.scalars(select(User).where(User.id.in_(form.trainers.data or [])))
        )
        with refusals_shown(form):
            training = planning.create_training(
                actor(),
                project,
                form.name.data.strip(),
                (form.code.data or "").strip(),
                TrainingMode(form.mode.data),
                trainers,
            )
            planning.set_training_details(actor(), training, **form.details())
            flash(_("Training created."), "success")
            return redirect(url_for("planning.training", training_id=training.id))
    return _project_page(project, form)


def _project_page(
    project: Project, form: TrainingForm, edit_form: ProjectForm | None = None
) -> str:
    form.trainers.choices = choices(_trainer_choices(project.branch_id))
    if edit_form is None:
        edit_form = ProjectForm(prefix="edit", obj=project)
        edit_form.branch.choices = choices(branch_choices(current_user))
        edit_form.branch.data = project.branch.name
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
        edit_form=edit_form,
    )


@bp.post("/projects/<int:project_id>/edit")
@login_required
def edit_project(project_id: int) -> ResponseReturnValue:
    """Rename or renumber a project, or move it to another branch before anything is registered."""
    scoping.require_planner(current_user)
    project = scoping.get_one(scoping.projects(current_user), Project, project_id, "project")
    form = ProjectForm(prefix="edit")
    form.branch.choices = choices(branch_choices(current_user))
    if form.validate_on_submit():
        with refusals_shown(form, "number"):
            planning.update_project(
                actor(), project, form.name.data.strip(), form.number.data.strip(), form.branch.data
            )
            flash(_("Project changed."), "success")
            return redirect(url_for("planning.project", project_id=project.id))
    return _project_page(project, TrainingForm(), edit_form=form)
