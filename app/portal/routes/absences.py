"""The participant's absences and the justifications they upload for them."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import Refusal
from app.extensions import db, limiter
from app.models import (
    Justification,
    JustificationKind,
    JustificationRequest,
    Participant,
)
from app.portal import bp, identity
from app.portal.forms import JustificationUploadForm
from app.portal.identity import PortalIdentity, portal_required
from app.portal.routes.common import _records, _today
from app.reasons import JUSTIFICATION_KIND_LABELS
from app.supervision.operations import documents as documents_ops
from app.views import choices, refusals_shown


def _upload_form(records: list[Participant]) -> JustificationUploadForm:
    form = JustificationUploadForm()
    form.kind.choices = choices((k.value, JUSTIFICATION_KIND_LABELS[k]) for k in JustificationKind)
    options = documents_ops.own_absences([p.id for p in records], _today())
    form.sessions.choices = choices(
        (s.id, f"{s.day.strftime('%d/%m/%Y')} {s.start:%H:%M} {s.training.name}")
        for s, _ in options
    )
    return form


def _upload_limit() -> str:
    return current_app.config["RATELIMIT_PORTAL_UPLOAD"]


def _uploader_key() -> str:
    who = identity.current_identity()
    return "portal-upload:" + (who.email if who else request.remote_addr or "")


@bp.route("/absences", methods=["GET", "POST"])
@limiter.limit(_upload_limit, key_func=_uploader_key, scope="portal-upload", methods=["POST"])
@portal_required
def absences(who: PortalIdentity) -> ResponseReturnValue:
    """Justified absences and the documents sent, with their outcome; a new document."""
    records = _records(who)
    form = _upload_form(records)
    if form.validate_on_submit():
        options = {
            s.id: (s, pid)
            for s, pid in documents_ops.own_absences([p.id for p in records], _today())
        }
        chosen = [options[i] for i in form.sessions.data if i in options]
        owners = {pid for _, pid in chosen}
        upload = form.document.data
        with refusals_shown(form, "document"):
            if len(owners) > 1:
                raise Refusal(
                    "several_records",
                    _("Send one document per training organisation."),
                    field="sessions",
                )
            participant = next(p for p in records if p.id in owners) if owners else records[0]
            documents_ops.submit_justification(
                who.actor,
                participant,
                [s for s, _ in chosen],
                JustificationKind(form.kind.data),
                form.note.data or "",
                (upload.filename or "", upload.read()) if upload else None,
                _today(),
            )
            flash(
                _("Your document is sent. Your training organisation accepts or rejects it."),
                "success",
            )
            return redirect(url_for("portal.absences"))
    ids = [p.id for p in records]
    return render_template(
        "portal/absences.html",
        form=form,
        kind_labels=JUSTIFICATION_KIND_LABELS,
        justifications=list(
            db.session.scalars(
                select(Justification)
                .where(Justification.participant_id.in_(ids), Justification.revoked_at.is_(None))
                .order_by(Justification.handed_in_on.desc(), Justification.id.desc())
            )
        )
        if ids
        else [],
        requests=list(
            db.session.scalars(
                select(JustificationRequest)
                .where(JustificationRequest.participant_id.in_(ids))
                .order_by(JustificationRequest.submitted_at.desc())
            )
        )
        if ids
        else [],
    )
