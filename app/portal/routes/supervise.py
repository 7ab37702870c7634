"""The supervisor's list: their participants' e-learning reports, approved or rejected."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from app.clock import now as _now
from app.extensions import db
from app.models import (
    Participant,
    SelfReport,
)
from app.portal import bp, identity
from app.portal.forms import DecisionForm
from app.portal.identity import PortalIdentity, portal_required
from app.supervision.operations import selfreports
from app.views import choices, refusals_shown


@bp.route("/supervise", methods=["GET", "POST"])
@portal_required
def supervise(who: PortalIdentity) -> ResponseReturnValue:
    """The reports of one's participants: approve or reject several at once."""
    form = DecisionForm()
    reports = list(
        db.session.scalars(
            selfreports.supervised_reports(who.email)
            .options(joinedload(SelfReport.training), joinedload(SelfReport.participant))
            .order_by(SelfReport.day.desc(), SelfReport.created_at.desc())
            .limit(300)
        )
    )
    states = selfreports.report_states(reports)
    form.reports.choices = choices((s.report.id, "") for s in states if s.state == "waiting")
    if request.method == "POST" and form.validate_on_submit():
        approve = request.form.get("decision") == "approve"
        with refusals_shown(form, "reason"):
            count = selfreports.decide(
                who.actor,
                who.email,
                form.reports.data or [],
                approve,
                form.reason.data or "",
                _now(),
            )
            flash(
                ngettext("%(num)d report approved.", "%(num)d reports approved.", count)
                if approve
                else ngettext("%(num)d report rejected.", "%(num)d reports rejected.", count),
                "success",
            )
            return redirect(url_for("portal.supervise"))
    participants = list(
        db.session.scalars(
            identity.supervised_participants(who).order_by(Participant.name, Participant.id)
        )
    )
    return render_template(
        "portal/supervise.html",
        form=form,
        waiting=[s for s in states if s.state == "waiting"],
        decided=[s for s in states if s.state != "waiting"],
        participants=participants,
    )
