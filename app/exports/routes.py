"""The paper list per training and period; a project's export and submission page.

Always through the user's scope: another branch's training or project answers 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app import scoping
from app.certificates.contents import periods
from app.clock import now as _now
from app.domain.limits import day_in_range
from app.errors import Forbidden, NotFound
from app.exports import bp
from app.exports import operations as ops
from app.forms import ConfirmForm
from app.models import Project, Role, Session, Training
from app.views import actor, refusals_shown
from app.web import file_response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _project(project_id: int) -> Project:
    scoping.require_planner(current_user)
    return scoping.get_one(scoping.projects(current_user), Project, project_id, "project")


def _range(values: Mapping[str, str]) -> tuple[date, date] | None:
    try:
        start = date.fromisoformat(values.get("start", ""))
        end = date.fromisoformat(values.get("end", ""))
    except (ValueError, TypeError):
        return None
    if not (day_in_range(start) and day_in_range(end)):
        return None
    return (start, end) if start <= end else None


@bp.get("/trainings/<int:training_id>/paper-list/<int:index>.pdf")
@login_required
def paper_list(training_id: int, index: int) -> ResponseReturnValue:
    """The paper list of the training's ``index``-th lesson period (trainers print it too)."""
    if current_user.role not in (Role.ADMIN, Role.PROMOTOR, Role.TRAINER, Role.FRONTDESK):
        raise Forbidden()
    training = scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")
    found = periods(training)
    if not 0 <= index < len(found):
        raise NotFound("period")
    return file_response(
        ops.paper_list(training, found[index], _now()),
        "application/pdf",
        f"aanwezigheidslijst-{training.id}-{found[index][0]}.pdf",
        inline=True,
    )


@bp.get("/projects/<int:project_id>/submission")
@login_required
def submission(project_id: int) -> ResponseReturnValue:
    project = _project(project_id)
    chosen = _range(request.args)
    if request.args.get("start") and chosen is None:
        flash(_("Give a start and an end date (the end not before the start)."), "error")
    return render_template(
        "exports/submission.html",
        project=project,
        form=ConfirmForm(),
        start=chosen[0].isoformat() if chosen else request.args.get("start", ""),
        end=chosen[1].isoformat() if chosen else request.args.get("end", ""),
        plan=ops.submission_plan(project, *chosen, _now()) if chosen else None,
    )


@bp.get("/projects/<int:project_id>/submission.<any(csv, xlsx):fmt>")
@login_required
def download(project_id: int, fmt: str) -> ResponseReturnValue:
    project = _project(project_id)
    chosen = _range(request.args)
    if chosen is None:
        flash(_("Give a start and an end date (the end not before the start)."), "error")
        return redirect(url_for("exports.submission", project_id=project.id))
    rows = ops.audited_export(actor(), current_user, project, *chosen, fmt, _now())
    name = f"registraties-{project.number}-{chosen[0]}-{chosen[1]}".replace(" ", "_")
    if fmt == "csv":
        body, mimetype = ops.export_csv(rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = ops.export_xlsx(rows, project, *chosen), XLSX
    return file_response(body, mimetype, f"{name}.{fmt}")


@bp.post("/projects/<int:project_id>/submission")
@login_required
def submit(project_id: int) -> ResponseReturnValue:
    project = _project(project_id)
    chosen = _range(request.form)
    if not ConfirmForm().validate_on_submit() or chosen is None:
        flash(_("Give a start and an end date (the end not before the start)."), "error")
        return redirect(url_for("exports.submission", project_id=project.id))
    with refusals_shown():
        submitted, skipped = ops.submit_period(actor(), project, *chosen, _now())
        flash(
            ngettext("%(num)d session submitted.", "%(num)d sessions submitted.", len(submitted)),
            "success",
        )
        for item in skipped:
            if item.skip not in ("already_submitted", "cancelled"):
                flash(
                    _("Not submitted: %(session)s. %(reason)s", session=_label(item.session),
                      reason=item.reason),
                    "warning",
                )  # fmt: skip
    return redirect(
        url_for(
            "exports.submission",
            project_id=project.id,
            start=chosen[0].isoformat(),
            end=chosen[1].isoformat(),
        )
    )


def _label(session: Session) -> str:
    return f"{session.training.name} {session.day:%d/%m/%Y} {session.start:%H:%M}"
