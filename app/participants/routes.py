"""Participant pages: list, add one, import a file, detail with the QR code actions."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app import scoping
from app.clock import now as clock_now
from app.errors import Forbidden
from app.extensions import db
from app.forms import ConfirmForm
from app.mail import outbox
from app.mail.messages import enrolled_sessions, participant_code
from app.models import Branch, Enrolment, Participant, Role, Session, Training
from app.participants import bp
from app.participants.forms import ImportForm, MergeForm, ParticipantEditForm, ParticipantForm
from app.participants.importing import ImportResult, import_participants
from app.participants.operations import codes, creating, editing, merging, unenrolling
from app.text import without_control_characters
from app.timing import status_of
from app.views import actor, branch_choices, choices, refusals_shown
from qr.images import code_png

LIST_LIMIT = 500


def _branch(name: str) -> Branch:
    """One of the branches the user may add participants to (the form offers only those)."""
    found = (
        db.session.scalars(select(Branch).where(Branch.name == name)).first()
        if name in dict(branch_choices(current_user))
        else None
    )
    if found is None:
        raise Forbidden()
    return found


def _forms() -> tuple[ParticipantForm, ImportForm]:
    branches = choices(branch_choices(current_user))
    form = ParticipantForm(prefix="add")
    form.branch.choices = branches
    import_form = ImportForm(prefix="import")
    import_form.branch.choices = branches
    import_form.enrol_in.choices = choices([("", _("(do not enrol)")), *_enrol_targets()])
    return form, import_form


def _index_page(
    form: ParticipantForm, import_form: ImportForm, report: ImportResult | None = None
) -> str:
    search = without_control_characters(request.args.get("q") or "").strip()[:100]
    query = scoping.participants(current_user).where(Participant.ended_at.is_(None))
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
        held_elsewhere=_held_elsewhere(),
        participants=items[:LIST_LIMIT],
        more=len(items) > LIST_LIMIT,
        counts=counts,
        mailed=outbox.code_mails_sent([p.id for p in items]),
        search=search,
        form=form,
        import_form=import_form,
        report=report,
    )


def _central_support() -> bool:
    return current_user.role == Role.ADMIN and current_user.branch_id is None


def _held_elsewhere() -> list[Participant]:
    """For central support: the records whose national register number another branch's
    record also holds, waiting to be resolved (nobody else learns of the other record)."""
    if not _central_support():
        return []
    return list(
        db.session.scalars(
            select(Participant)
            .where(Participant.national_number_conflict_index.is_not(None))
            .order_by(Participant.id)
            .limit(LIST_LIMIT)
        )
    )


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    scoping.require_planner(current_user)
    form, import_form = _forms()
    if form.validate_on_submit():
        with refusals_shown(form, "national_number"):
            participant = creating.create_participant(
                actor(),
                _branch(form.branch.data),
                form.name.data,
                form.email.data,
                form.national_number.data,
                form.external_id.data,
            )
            flash(_("Participant added."), "success")
            return redirect(url_for("participants.detail", participant_id=participant.id))
    return _index_page(form, import_form)


@bp.post("/import")
@login_required
def import_file() -> ResponseReturnValue:
    """Import a file; the page then shows how many were added and each refused line."""
    scoping.require_planner(current_user)
    form, import_form = _forms()
    report = None
    if import_form.validate_on_submit():
        upload = import_form.file.data
        with refusals_shown(import_form, "file"):
            report = import_participants(
                actor(),
                _branch(import_form.branch.data),
                upload.filename or "",
                upload.read(),
                _enrol_target(import_form.enrol_in.data),
                now=clock_now(),
            )
    return _index_page(form, import_form, report)


def _enrol_targets() -> list[tuple[str, str]]:
    """Trainings in scope (every session) and their coming sessions, as select options."""
    trainings = db.session.scalars(
        scoping.trainings(current_user).order_by(Training.name, Training.id)
    ).all()
    today = clock_now().date()
    sessions = db.session.scalars(
        scoping.sessions(current_user)
        .where(Session.day >= today, Session.cancelled_at.is_(None))
        .order_by(Session.day, Session.start)
        .limit(LIST_LIMIT)
    ).all()
    return [
        *(
            (f"training:{t.id}", _("%(training)s: every session", training=t.name))
            for t in trainings
        ),
        *(
            (f"session:{s.id}", f"{s.training.name} · {s.day.strftime('%d/%m/%Y')} {s.start:%H:%M}")
            for s in sessions
        ),
    ]


def _enrol_target(value: str | None) -> Training | Session | None:
    kind, _sep, raw = (value or "").partition(":")
    if not raw.isdigit():
        return None
    if kind == "training":
        return scoping.get_one(scoping.trainings(current_user), Training, int(raw), "training")
    return scoping.get_one(scoping.sessions(current_user), Session, int(raw), "session")


def _participant(participant_id: int) -> Participant:
    scoping.require_planner(current_user)
    return scoping.get_one(
        scoping.participants(current_user), Participant, participant_id, "participant"
    )


def _detail_page(
    participant: Participant,
    revealed: str | None = None,
    edit_form: ParticipantEditForm | None = None,
    merge_form: MergeForm | None = None,
    email_changed: bool = False,
) -> str:
    # Imported here: app.supervision's routes import the attendance area, which imports this one.
    from app.supervision.forms import SupervisorForm

    now = clock_now()
    sessions = enrolled_sessions(participant, cancelled=True)
    trainings = {s.training_id: s.training for s in sessions}
    return render_template(
        "participants/detail.html",
        participant=participant,
        sessions=[(s, status_of(s, now)) for s in sessions],
        trainings=sorted(trainings.values(), key=lambda t: (t.name, t.id)),
        form=ConfirmForm(),
        revealed=revealed,
        edit_form=edit_form or ParticipantEditForm(prefix="edit", obj=participant, formdata=None),
        merge_form=merge_form or _merge_form(participant),
        email_changed=email_changed,
        code_mail=outbox.code_mail_state(participant.id),
        is_admin=current_user.role == Role.ADMIN,
        number_holders=(
            creating.national_number_holders(participant)
            if _central_support() and participant.national_number_conflict_index
            else []
        ),
        supervisor_form=SupervisorForm(
            prefix="supervisor",
            formdata=None,
            supervisor_name=participant.supervisor.name if participant.supervisor else "",
            supervisor_email=participant.supervisor.email if participant.supervisor else "",
        ),
    )


def _merge_form(participant: Participant) -> MergeForm:
    form = MergeForm(prefix="merge")
    others = db.session.scalars(
        scoping.participants(current_user)
        .where(
            Participant.branch_id == participant.branch_id,
            Participant.id != participant.id,
            Participant.ended_at.is_(None),
        )
        .order_by(Participant.name, Participant.id)
        .limit(LIST_LIMIT)
    )
    form.duplicate.choices = choices((p.id, f"{p.name} ({p.email}) #{p.id}") for p in others)
    return form


@bp.post("/<int:participant_id>/edit")
@login_required
def edit(participant_id: int) -> ResponseReturnValue:
    """Correct a participant's name, email or national register number."""
    participant = _participant(participant_id)
    form = ParticipantEditForm(prefix="edit")
    if form.validate_on_submit():
        with refusals_shown(form, "email"):
            changed = editing.update_participant(
                actor(),
                participant,
                form.name.data,
                form.email.data,
                form.national_number.data,
                form.external_id.data or "",
                now=clock_now(),
            )
            flash(_("Participant changed."), "success")
            if changed:
                return _detail_page(participant, email_changed=True)
            return redirect(url_for("participants.detail", participant_id=participant.id))
    return _detail_page(participant, edit_form=form)


@bp.post("/<int:participant_id>/merge")
@login_required
def merge(participant_id: int) -> ResponseReturnValue:
    """Support merges a duplicate record into this one; the duplicate ends."""
    scoping.require_admin(current_user)
    kept = _participant(participant_id)
    form = _merge_form(kept)
    if form.validate_on_submit():
        duplicate = _participant(form.duplicate.data)
        with refusals_shown(form, "duplicate"):
            merging.merge_participants(actor(), kept, duplicate, clock_now())
            flash(
                _(
                    "%(name)s (#%(id)s) is merged into this record.",
                    name=duplicate.name,
                    id=duplicate.id,
                ),
                "success",
            )
            return redirect(url_for("participants.detail", participant_id=kept.id))
    return _detail_page(kept, merge_form=form)


@bp.post("/<int:participant_id>/sessions/<int:session_id>/unenrol")
@login_required
def unenrol_session(participant_id: int, session_id: int) -> ResponseReturnValue:
    participant = _participant(participant_id)
    session = scoping.get_one(scoping.sessions(current_user), Session, session_id, "session")
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            unenrolling.unenrol(actor(), session, participant)
            flash(_("%(name)s is taken off this session.", name=participant.name), "success")
    if request.form.get("back") == "session":
        return redirect(url_for("planning.session_detail", session_id=session.id))
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.post("/<int:participant_id>/trainings/<int:training_id>/unenrol")
@login_required
def unenrol_training(participant_id: int, training_id: int) -> ResponseReturnValue:
    participant = _participant(participant_id)
    training = scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            count = unenrolling.unenrol_training(actor(), training, participant)
            flash(
                ngettext(
                    "%(name)s is taken off the training (%(num)d session).",
                    "%(name)s is taken off the training (%(num)d sessions).",
                    count,
                    name=participant.name,
                ),
                "success",
            )
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.get("/<int:participant_id>")
@login_required
def detail(participant_id: int) -> ResponseReturnValue:
    return _detail_page(_participant(participant_id))


@bp.post("/<int:participant_id>/reveal")
@login_required
def reveal(participant_id: int) -> ResponseReturnValue:
    """Show the full national register number once, and record who looked."""
    participant = _participant(participant_id)
    if not ConfirmForm().validate_on_submit() or participant.national_number_encrypted is None:
        return redirect(url_for("participants.detail", participant_id=participant.id))
    revealed = None
    with refusals_shown():
        revealed = creating.reveal_national_number(actor(), participant)
    response = _detail_page(participant, revealed)
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/<int:participant_id>/national-number/keep")
@login_required
def keep_national_number(participant_id: int) -> ResponseReturnValue:
    """Central support: the same person in two branches, each record keeps the number."""
    if not _central_support():
        raise Forbidden()
    participant = _participant(participant_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            creating.keep_national_number(actor(), participant)
            flash(_("The national register number is kept on this record."), "success")
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.post("/<int:participant_id>/resend")
@login_required
def resend(participant_id: int) -> ResponseReturnValue:
    participant = _participant(participant_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            codes.resend_code(actor(), participant, clock_now())
            flash(
                _("The QR code mail to %(email)s is queued again.", email=participant.email),
                "success",
            )
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.post("/<int:participant_id>/reissue")
@login_required
def reissue(participant_id: int) -> ResponseReturnValue:
    participant = _participant(participant_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            codes.reissue_code(actor(), participant, clock_now())
            flash(
                _(
                    "The old code is revoked; a new code is mailed to %(email)s.",
                    email=participant.email,
                ),
                "success",
            )
    return redirect(url_for("participants.detail", participant_id=participant.id))


@bp.get("/<int:participant_id>/qr.png")
@login_required
def qr_image(participant_id: int) -> ResponseReturnValue:
    participant = _participant(participant_id)
    response = Response(code_png(participant_code(participant)), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response
