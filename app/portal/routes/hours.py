"""E-learning hours: the participant reports them, and corrects a report."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.clock import now as _now
from app.domain.limits import id_in_range
from app.errors import NotFound, Refusal
from app.extensions import db
from app.models import (
    Participant,
    SelfReport,
    Training,
    TrainingMode,
)
from app.portal import bp
from app.portal.forms import HoursForm
from app.portal.identity import PortalIdentity, portal_required
from app.portal.routes.common import _records, _trainings_of
from app.supervision.operations import selfreports
from app.views import choices, refusals_shown


def _elearning(who: PortalIdentity) -> list[tuple[Training, Participant]]:
    return [(t, p) for t, p in _trainings_of(_records(who)) if t.mode == TrainingMode.ELEARNING]


def _hours_form(
    trainings: list[tuple[Training, Participant]], report: SelfReport | None = None
) -> HoursForm:
    form = HoursForm(obj=report) if report is not None and request.method == "GET" else HoursForm()
    form.training.choices = choices(
        (t.id, f"{t.name} ({t.code})" if t.code else t.name) for t, _ in trainings
    )
    if report is not None and request.method == "GET":
        form.training.data = report.training_id
        form.minutes.data = None if report.start else report.minutes
    return form


def _report(
    who: PortalIdentity,
    form: HoursForm,
    trainings: list[tuple[Training, Participant]],
    replaces: SelfReport | None,
) -> SelfReport:
    chosen = {t.id: (t, p) for t, p in trainings}.get(form.training.data)
    if chosen is None:
        raise Refusal("not_found", _("Choose one of your e-learning trainings."), field="training")
    has_times = form.start.data is not None or form.end.data is not None
    return selfreports.report_hours(
        who.actor,
        chosen[0],
        chosen[1],
        form.day.data,
        form.start.data,
        form.end.data,
        None if has_times else form.minutes.data,
        form.description.data or "",
        _now(),
        replaces=replaces,
    )


@bp.route("/hours", methods=["GET", "POST"])
@portal_required
def hours(who: PortalIdentity) -> ResponseReturnValue:
    """Report e-learning hours; the list of one's reports with their state."""
    trainings = _elearning(who)
    form = _hours_form(trainings)
    if trainings and form.validate_on_submit():
        with refusals_shown(form, "day"):
            _report(who, form, trainings, None)
            flash(_("Your hours are sent to your supervisor for approval."), "success")
            return redirect(url_for("portal.hours"))
    return _hours_page(who, trainings, form)


def _hours_page(
    who: PortalIdentity,
    trainings: list[tuple[Training, Participant]],
    form: HoursForm,
    correcting: SelfReport | None = None,
) -> str:
    ids = [p.id for p in _records(who)]
    reports = (
        list(
            db.session.scalars(
                select(SelfReport)
                .options(joinedload(SelfReport.training))
                .where(SelfReport.participant_id.in_(ids))
                .order_by(SelfReport.day.desc(), SelfReport.created_at.desc())
                .limit(200)
            )
        )
        if ids
        else []
    )
    return render_template(
        "portal/hours.html",
        form=form,
        trainings=trainings,
        reports=selfreports.report_states(reports),
        correcting=correcting,
        supervised={p.id: p.supervisor for p in _records(who)},
    )


@bp.route("/hours/<int:report_id>/correct", methods=["GET", "POST"])
@portal_required
def correct_hours(who: PortalIdentity, report_id: int) -> ResponseReturnValue:
    """Send a corrected version of a rejected (or an approved) report: a new report."""
    ids = [p.id for p in _records(who)]
    report = db.session.get(SelfReport, report_id) if id_in_range(report_id) else None
    if report is None or report.participant_id not in ids:
        raise NotFound("report")
    trainings = [(t, p) for t, p in _elearning(who) if t.id == report.training_id]
    form = _hours_form(trainings, report)
    if trainings and form.validate_on_submit():
        with refusals_shown(form, "day"):
            _report(who, form, trainings, report)
            flash(_("Your corrected hours are sent to your supervisor."), "success")
            return redirect(url_for("portal.hours"))
    return _hours_page(who, trainings, form, correcting=report)
