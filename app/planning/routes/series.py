"""Planning a series of sessions in one step: the form, the preview of every date, the
confirmation."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import scoping
from app.clock import now as _now
from app.extensions import db
from app.models import (
    User,
)
from app.participants.operations import enrolling
from app.planning import bp
from app.planning import operations as planning
from app.planning.forms import (
    SeriesForm,
)
from app.planning.routes.common import _trainer_choices, _training
from app.views import actor, choices, refusals_shown


@bp.route("/trainings/<int:training_id>/series", methods=["GET", "POST"])
@login_required
def series(training_id: int) -> ResponseReturnValue:
    """Plan a series in one step: the form, a preview of every date, then the confirmation."""
    scoping.require_planner(current_user)
    training = _training(training_id)
    form = SeriesForm(prefix="series")
    form.trainer.choices = choices(
        [(0, _("(no trainer yet)")), *_trainer_choices(training.project.branch_id)]
    )
    lines = None
    if form.validate_on_submit():
        trainer = db.session.get(User, form.trainer.data) if form.trainer.data else None
        with refusals_shown(form, "first"):
            lines = planning.preview_series(
                training,
                form.first.data,
                form.last.data,
                form.weekdays.data,
                form.start.data,
                form.end.data,
                form.break_start.data,
                form.break_end.data,
                trainer,
                language=str(get_locale() or "nl"),
            )
            if request.form.get("step") == "confirm":
                plannable = {line.day for line in lines if line.overlap is None}
                chosen = [day for day in _iso_days(form.days.data) if day in plannable]
                created = planning.plan_series(
                    actor(),
                    training,
                    chosen,
                    form.start.data,
                    form.end.data,
                    form.break_start.data,
                    form.break_end.data,
                    (form.location.data or "").strip(),
                    trainer,
                )
                enrolled = 0
                if form.enrol_all.data:
                    enrolled = sum(
                        enrolling.enrol_training_participants(actor(), session, now=_now()).created
                        for session in created
                    )
                flash(
                    ngettext("%(num)d session planned.", "%(num)d sessions planned.", len(created))
                    + (" " + _("%(n)s enrolments made.", n=enrolled) if enrolled else ""),
                    "success",
                )
                return redirect(url_for("planning.training", training_id=training.id))
    return render_template("planning/series.html", training=training, form=form, lines=lines)


def _iso_days(values: list[str] | None) -> list[date]:
    days = []
    for value in values or []:
        try:
            days.append(date.fromisoformat(value))
        except (TypeError, ValueError):
            continue  # not a date the preview offered: ignored, never planned
    return days
