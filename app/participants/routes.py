"""Participant pages: list, add one, import a file, detail with the QR code actions."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app import scoping
from app.extensions import db
from app.mail.messages import enrolled_sessions, participant_code
from app.models import Branch, Enrolment, Participant
from app.participants import bp
from app.participants import operations as people
from app.participants.forms import ImportForm, ParticipantForm
from app.participants.importing import ImportResult, import_participants
from app.planning.forms import ConfirmForm
from app.planning.timing import status_of
from app.text import without_control_characters
from app.views import actor, attempt, branch_choices, choices
from qr.images import code_png

LIST_LIMIT = 500


def _branch(name: str) -> Branch | None:
    return (
        db.session.scalars(select(Branch).where(Branch.name == name)).first()
        if name in dict(branch_choices(current_user))
        else None
    )


def _forms() -> tuple[ParticipantForm, ImportForm]:
    branches = choices(branch_choices(current_user))
    form = ParticipantForm(prefix="add")
    form.branch.choices = branches
    import_form = ImportForm(prefix="import")
    import_form.branch.choices = branches
    return form, import_form


def _index_page(form: ParticipantForm, import_form: ImportForm, report: ImportResult | None = None):  # type: ignore[no-untyped-def]
    search = without_control_characters(request.args.get("q") or "").strip()[:100]
    query = scoping.participants(current_user)
    if search:
        # autoescape: "_" and "%" are searched for as typed (jan_peeters@...), not as wildcards.
        needle = search.lower()
        query = query.where(
            or_(
                func.lower(Participant.name).contains(needle, autoescape=True),
                func.lower(Participant.email).contains(needle, autoescape=True),
            )
        )
    items = db.session.scalars(
        query.options(selectinload(Participant.branch))
        .order_by(Participant.name, Participant.id)
        .limit(LIST_LIMIT + 1)
    ).all()
    counts = dict(
        db.session.execute(
            select(Enrolment.participant_id, func.count())
            .where(Enrolment.participant_id.in_([p.id for p in items]))
            .group_by(Enrolment.participant_id)
        ).all()
    )
    return render_template(
        "participants/index.html",
        participants=items[:LIST_LIMIT],
        more=len(items) > LIST_LIMIT,
        counts=counts,
        search=search,
        form=form,
        import_form=import_form,
        report=report,
    )


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    form, import_form = _forms()
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
            return redirect(url_for("participants.detail", participant_id=participant.id))
    return _index_page(form, import_form)


@bp.post("/import")
@login_required
def import_file():  # type: ignore[no-untyped-def]
    """Import a file; the page then shows how many were added and each refused line."""
    scoping.require_planner(current_user)
    form, import_form = _forms()
    report = None
    if import_form.validate_on_submit():
        upload = import_form.file.data
        report = attempt(
            lambda: import_participants(
                actor(), _branch(import_form.branch.data), upload.filename or "", upload.read()
            ),
            form=import_form,
            field="file",
        )
    return _index_page(form, import_form, report)


def _participant(participant_id: int) -> Participant:
    scoping.require_planner(current_user)
    return scoping.get_one(
        scoping.participants(current_user), Participant, participant_id, "participant"
    )


def _detail_page(participant: Participant, revealed: str | None = None):  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    return render_template(
        "participants/detail.html",
        participant=participant,
        sessions=[(s, status_of(s, now)) for s in enrolled_sessions(participant)],
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
    revealed = attempt(lambda: people.reveal_national_number(actor(), participant))
    response = _detail_page(participant, revealed)
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/<int:participant_id>/resend")
@login_required
def resend(participant_id: int):  # type: ignore[no-untyped-def]
    participant = _participant(participant_id)
    if ConfirmForm().validate_on_submit():
        attempt(
            lambda: people.resend_code(actor(), participant),
            _("The QR code mail to %(email)s is queued again.", email=participant.email),
        )
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.post("/<int:participant_id>/reissue")
@login_required
def reissue(participant_id: int):  # type: ignore[no-untyped-def]
    participant = _participant(participant_id)
    if ConfirmForm().validate_on_submit():
        attempt(
            lambda: people.reissue_code(actor(), participant, datetime.now(UTC)),
            _(
                "The old code is revoked; a new code is mailed to %(email)s.",
                email=participant.email,
            ),
        )
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.get("/<int:participant_id>/qr.png")
@login_required
def qr_image(participant_id: int):  # type: ignore[no-untyped-def]
    participant = _participant(participant_id)
    response = Response(code_png(participant_code(participant)), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response
