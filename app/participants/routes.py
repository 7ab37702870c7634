"""Participant pages: list, add one, import a file, detail with the QR code actions."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app import scoping
from app.extensions import db
from app.mail.messages import enrolled_sessions, participant_code
from app.models import Branch, Participant
from app.participants import bp
from app.participants import operations as people
from app.participants.forms import ImportForm, ParticipantForm
from app.participants.importing import import_participants
from app.planning.forms import ConfirmForm
from app.views import actor, attempt, branch_choices, choices
from qr.images import code_png


def _branch(name: str) -> Branch | None:
    return (
        db.session.scalars(select(Branch).where(Branch.name == name)).first()
        if name in dict(branch_choices(current_user))
        else None
    )


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    form = ParticipantForm(prefix="add")
    form.branch.choices = choices(branch_choices(current_user))
    import_form = ImportForm(prefix="import")
    import_form.branch.choices = form.branch.choices
    if form.validate_on_submit():
        participant = attempt(
            lambda: people.create_participant(
                actor(),
                _branch(form.branch.data),
                form.name.data,
                form.email.data,
                form.national_number.data,
            ),
            _("Participant added."),
            form=form,
            field="national_number",
        )
        if participant is not None:
            return redirect(url_for("participants.index"))
    items = db.session.scalars(scoping.participants(current_user).order_by(Participant.name)).all()
    return render_template(
        "participants/index.html", participants=items, form=form, import_form=import_form
    )


@bp.post("/import")
@login_required
def import_file():  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    form = ImportForm(prefix="import")
    form.branch.choices = choices(branch_choices(current_user))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("participants.index"))
    upload = form.file.data
    result = attempt(
        lambda: import_participants(
            actor(), _branch(form.branch.data), upload.filename, upload.read()
        )
    )
    if result is not None:
        flash(_("%(n)s participants imported.", n=result.created), "success")
        for line, reason in result.problems:
            flash(_("Line %(line)s: %(reason)s", line=line, reason=reason), "error")
    return redirect(url_for("participants.index"))


def _participant(participant_id: int) -> Participant:
    scoping.require_planner(current_user)
    return scoping.get_one(
        scoping.participants(current_user), Participant, participant_id, "participant"
    )


def _detail_page(participant: Participant, revealed: str | None = None):  # type: ignore[no-untyped-def]
    return render_template(
        "participants/detail.html",
        participant=participant,
        sessions=enrolled_sessions(participant),
        form=ConfirmForm(),
        revealed=revealed,
    )


@bp.get("/<int:participant_id>")
@login_required
def detail(participant_id: int):  # type: ignore[no-untyped-def]
    return _detail_page(_participant(participant_id))


@bp.post("/<int:participant_id>/reveal")
@login_required
def reveal(participant_id: int):  # type: ignore[no-untyped-def]
    """Show the full national register number once, and record who looked."""
    participant = _participant(participant_id)
    if not ConfirmForm().validate_on_submit() or participant.national_number_encrypted is None:
        return redirect(url_for("participants.detail", participant_id=participant.id))
    revealed = people.reveal_national_number(actor(), participant)
    db.session.commit()
    return _detail_page(participant, revealed)


@bp.post("/<int:participant_id>/resend")
@login_required
def resend(participant_id: int):  # type: ignore[no-untyped-def]
    participant = _participant(participant_id)
    if ConfirmForm().validate_on_submit():
        attempt(
            lambda: people.resend_code(actor(), participant), _("The QR code mail is queued again.")
        )
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.post("/<int:participant_id>/reissue")
@login_required
def reissue(participant_id: int):  # type: ignore[no-untyped-def]
    participant = _participant(participant_id)
    if ConfirmForm().validate_on_submit():
        attempt(
            lambda: people.reissue_code(actor(), participant, datetime.now(UTC)),
            _("The old code is revoked; a new code is mailed."),
        )
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.get("/<int:participant_id>/qr.png")
@login_required
def qr_image(participant_id: int):  # type: ignore[no-untyped-def]
    participant = _participant(participant_id)
    response = Response(code_png(participant_code(participant)), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response
