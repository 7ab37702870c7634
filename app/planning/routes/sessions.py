"""The session page with its roster, and what changes a session: editing, cancelling, restoring,
enrolling, reopening, closing and submitting."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from app import scoping
from app.clock import now as _now
from app.domain.cutoff import scan_opens
from app.domain.sessions import may_override_registrations_outside
from app.extensions import db
from app.forms import ConfirmForm
from app.models import (
    AuditRecord,
    Participant,
    Role,
    Session,
    TrainingEnrolment,
    User,
)
from app.participants.operations import enrolling as enrolling_ops
from app.planning import bp
from app.planning import operations as planning
from app.planning.forms import (
    CancelForm,
    EnrolForm,
    ReopenForm,
    SessionEditForm,
)
from app.planning.routes.common import (
    _can_plan,
    _enrol_form,
    _flash_skipped,
    _trainer_choices,
    _trainer_free_or_confirmed,
)
from app.scanning.refused import counts_for_session
from app.scanning.roster import roster
from app.settings import settings
from app.timing import is_locked, session_times, status_of
from app.views import actor, choices, refusals_shown
from app.web import BRUSSELS


def _session(session_id: int) -> Session:
    return scoping.get_one(scoping.sessions(current_user), Session, session_id, "session")


def _session_page(
    session: Session,
    enrol_form: EnrolForm | None = None,
    reopen_form: ReopenForm | None = None,
    cancel_form: CancelForm | None = None,
) -> str:
    now = _now()
    times = session_times(session)
    entries = roster(session)
    enrolled = {e.participant.id for e in entries}
    if enrol_form is None and _can_plan():
        enrol_form = _enrol_form(session.training.project.branch_id, leave_out=enrolled)
    return render_template(
        "planning/session.html",
        session=session,
        times=times,
        scan_opens=scan_opens(times.start, settings().scan_early_minutes),
        status=status_of(session, now, times),
        locked=is_locked(session, now, times),
        deadline_passed=now > times.deadline,
        roster=entries,
        present=sum(1 for e in entries if e.state == "in"),
        enrol_form=enrol_form,
        reopen_form=reopen_form or ReopenForm(prefix="reopen"),
        cancel_form=cancel_form or CancelForm(prefix="cancel"),
        confirm_form=ConfirmForm(),
        can_plan=_can_plan(),
        is_admin=current_user.role == Role.ADMIN,
        not_enrolled=_training_participants_not_in(session, enrolled) if _can_plan() else 0,
        reopenings=_reopenings(session),
        refused=counts_for_session(session.id),
    )


def _training_participants_not_in(session: Session, enrolled: set[int]) -> int:
    """How many of the training's participants this session does not have yet."""
    ids = db.session.scalars(
        select(TrainingEnrolment.participant_id)
        .join(Participant, Participant.id == TrainingEnrolment.participant_id)
        .where(TrainingEnrolment.training_id == session.training_id, Participant.ended_at.is_(None))
    ).all()
    return len(set(ids) - enrolled)


def _reopenings(session: Session) -> list[AuditRecord]:
    """Every time support reopened the session, with its reason (the session keeps the last)."""
    if not session.was_reopened:
        return []
    return list(
        db.session.scalars(
            select(AuditRecord)
            .where(
                AuditRecord.object_type == Session.__tablename__,
                AuditRecord.object_id == session.id,
                AuditRecord.action == "session.reopen",
            )
            .order_by(AuditRecord.at, AuditRecord.id)
        )
    )


def _edit_form(session: Session) -> SessionEditForm:
    form = SessionEditForm(prefix="edit", obj=session)
    if not form.is_submitted():
        form.trainer.data = session.trainer_id or 0
    trainers = _trainer_choices(session.training.project.branch_id)
    if session.trainer is not None and session.trainer_id not in dict(trainers):
        trainers.append((session.trainer.id, session.trainer.display_name))  # as planned before
    form.trainer.choices = choices([(0, _("(no trainer yet)")), *trainers])
    return form


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(session_id: int) -> ResponseReturnValue:
    """Move a session, change its times, break, place or trainer."""
    scoping.require_planner(current_user)
    session = _session(session_id)
    form = _edit_form(session)
    if form.validate_on_submit():
        trainer = db.session.get(User, form.trainer.data) if form.trainer.data else None
        if _trainer_free_or_confirmed(form, trainer, leave_out=session.id):
            with refusals_shown(form):
                planning.update_session(
                    actor(),
                    session,
                    form.day.data,
                    form.start.data,
                    form.end.data,
                    form.break_start.data,
                    form.break_end.data,
                    (form.location.data or "").strip(),
                    trainer,
                    _now(),
                    reason=form.reason.data,
                    early_minutes=settings().scan_early_minutes,
                )
                flash(_("Session changed."), "success")
                return redirect(url_for("planning.session_detail", session_id=session.id))
    return render_template(
        "planning/session_edit.html",
        session=session,
        form=form,
        may_override=may_override_registrations_outside(current_user.role.value),
    )


@bp.post("/sessions/<int:session_id>/cancel")
@login_required
def cancel(session_id: int) -> ResponseReturnValue:
    """Cancel a session nobody was registered in; the enrolled participants get a mail."""
    scoping.require_planner(current_user)
    session = _session(session_id)
    form = CancelForm(prefix="cancel")
    if not form.validate_on_submit():
        return _session_page(session, cancel_form=form)
    with refusals_shown(form, "reason"):
        told = planning.cancel_session(actor(), session, form.reason.data or "", _now())
        flash(
            ngettext(
                "Session cancelled; %(num)d participant is told by mail.",
                "Session cancelled; %(num)d participants are told by mail.",
                told,
            ),
            "success",
        )
        return redirect(url_for("planning.session_detail", session_id=session.id))
    return _session_page(session, cancel_form=form)


@bp.post("/sessions/<int:session_id>/restore")
@login_required
def restore(session_id: int) -> ResponseReturnValue:
    """Undo a cancellation while nothing was registered in the session."""
    scoping.require_planner(current_user)
    session = _session(session_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        with refusals_shown():
            planning.restore_session(actor(), session, _now())
            flash(_("Session restored: it is planned again."), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/enrol-training")
@login_required
def enrol_training_participants(session_id: int) -> ResponseReturnValue:
    """Enrol every participant of the training in this (new) session."""
    scoping.require_planner(current_user)
    session = _session(session_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            enrolled = enrolling_ops.enrol_training_participants(actor(), session, now=_now())
            _flash_skipped(enrolled.skipped)
            if not enrolled.skipped:
                flash(
                    ngettext(
                        "%(num)d participant enrolled.",
                        "%(num)d participants enrolled.",
                        enrolled.created,
                    ),
                    "success",
                )
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int) -> ResponseReturnValue:
    return _session_page(_session(session_id))


@bp.post("/sessions/<int:session_id>/enrol")
@login_required
def enrol_session(session_id: int) -> ResponseReturnValue:
    scoping.require_planner(current_user)
    session = _session(session_id)
    form = _enrol_form(session.training.project.branch_id)
    if not form.validate_on_submit():
        return _session_page(session, enrol_form=form)
    chosen = db.session.scalars(
        scoping.participants(current_user).where(Participant.id.in_(form.participants.data))
    ).all()
    with refusals_shown():
        enrolled = enrolling_ops.enrol_all(actor(), [session], chosen, now=_now())
        _flash_skipped(enrolled.skipped)
        if not enrolled.skipped:
            flash(_("%(n)s participants enrolled.", n=enrolled.created), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/reopen")
@login_required
def reopen(session_id: int) -> ResponseReturnValue:
    """Support reopens a locked session; the reason is mandatory."""
    scoping.require_admin(current_user)
    session = _session(session_id)
    form = ReopenForm(prefix="reopen")
    if not form.validate_on_submit():
        if is_locked(session, _now()):
            return _session_page(session, reopen_form=form)
        # The reason field is shown only on a locked session: say why nothing happened.
        flash(_("This session is not locked."), "error")
        return redirect(url_for("planning.session_detail", session_id=session.id))
    with refusals_shown():
        planning.reopen_session(actor(), session, form.reason.data, _now())
        flash(_("Session reopened: registrations are accepted again."), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/close")
@login_required
def close(session_id: int) -> ResponseReturnValue:
    scoping.require_admin(current_user)
    session = _session(session_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            planning.close_reopened_session(actor(), session, _now())
            flash(_("Session closed again."), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/submit")
@login_required
def submit(session_id: int) -> ResponseReturnValue:
    scoping.require_planner(current_user)
    session = _session(session_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            planning.submit_session(actor(), session, _now())
            flash(_("Session submitted."), "success")
    return redirect(url_for("planning.session_detail", session_id=session.id))


@bp.get("/sessions/<int:session_id>/roster.json")
@login_required
def session_roster_json(session_id: int) -> ResponseReturnValue:
    """The live state the session page polls (cookie-authenticated, read-only)."""
    session = _session(session_id)
    return jsonify(
        [
            {
                "id": e.participant.id,
                "state": e.state,
                "last_at": e.last_at.astimezone(BRUSSELS).strftime("%H:%M") if e.last_at else None,
            }
            for e in roster(session)
        ]
    )
