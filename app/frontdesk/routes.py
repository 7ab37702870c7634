"""The front desk's pages: today's sessions, a reminder to a trainer, a walk-in enrolled."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func

from app import scoping
from app.clock import now as _now
from app.domain.cutoff import BRUSSELS
from app.errors import Forbidden
from app.extensions import db
from app.forms import ConfirmForm
from app.frontdesk import bp
from app.frontdesk.forms import WalkInForm
from app.frontdesk.operations import frontdesk_lines, last_reminders, remind_trainer
from app.models import Participant, Role, Session
from app.participants.operations import creating, enrolling
from app.views import actor, refusals_shown


@bp.get("/frontdesk")
@login_required
def frontdesk() -> ResponseReturnValue:
    """Today's sessions: has anyone registered yet, how many are in, who needs a reminder."""
    _require_frontdesk()
    return _page(_now())


def _page(now: datetime, walk_in_form: WalkInForm | None = None) -> str:
    today, lines = frontdesk_lines(current_user, now)
    query = (request.args.get("q") or "").strip()[:100]
    found: list[Participant] = []
    if len(query) >= 2:
        # A walk-in (seed 000: "Gelieve dit aan de balie te melden"): find them by name or
        # email among the participants the front desk may see, ended records left out.
        pattern = f"%{query.lower()}%"
        found = list(
            db.session.scalars(
                scoping.participants(current_user)
                .where(
                    Participant.ended_at.is_(None),
                    func.lower(Participant.name).like(pattern)
                    | func.lower(Participant.email).like(pattern),
                )
                .order_by(Participant.name, Participant.id)
                .limit(20)
            )
        )
    open_today = [line.session for line in lines if not line.session.cancelled]
    return render_template(
        "frontdesk/frontdesk.html",
        lines=lines,
        today=today,
        query=query,
        found=found,
        open_today=open_today,
        form=ConfirmForm(),
        walk_in_form=walk_in_form or _walk_in_form(open_today),
        reminded=last_reminders([line.session.id for line in lines]),
    )


def _require_frontdesk() -> None:
    if current_user.role not in (Role.FRONTDESK, Role.ADMIN, Role.PROMOTOR):
        raise Forbidden()


@bp.post("/frontdesk/sessions/<int:session_id>/remind")
@login_required
def frontdesk_remind(session_id: int) -> ResponseReturnValue:
    """Mail the trainer of one of today's sessions that nothing is registered yet."""
    _require_frontdesk()
    today = _now().astimezone(BRUSSELS).date()
    session = scoping.get_one(
        scoping.sessions(current_user).where(Session.day == today), Session, session_id, "session"
    )
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            trainer = remind_trainer(actor(), session, _now())
            flash(_("%(name)s is reminded by mail.", name=trainer.display_name), "success")
    return redirect(url_for("frontdesk.frontdesk"))


@bp.post("/frontdesk/enrol")
@login_required
def frontdesk_enrol() -> ResponseReturnValue:
    """Enrol a walk-in in one of today's sessions (scoped: the front desk's branch)."""
    _require_frontdesk()
    today = _now().astimezone(BRUSSELS).date()
    session = scoping.get_one(
        scoping.sessions(current_user).where(Session.day == today),
        Session,
        request.form.get("session_id", type=int),
        "session",
    )
    person = scoping.get_one(
        scoping.participants(current_user),
        Participant,
        request.form.get("participant_id", type=int),
        "participant",
    )
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            _enrolment, new = enrolling.enrol(actor(), session, person, now=_now())
            message = (
                _(
                    "%(name)s is enrolled in %(training)s (%(start)s): they can be scanned now.",
                    name=person.name,
                    training=session.training.name,
                    start=session.start.strftime("%H:%M"),
                )
                if new
                else _("%(name)s was already enrolled in this session.", name=person.name)
            )
            flash(message, "success")
    return redirect(url_for("frontdesk.frontdesk"))


def _walk_in_form(open_today: list[Session]) -> WalkInForm:
    form = WalkInForm(prefix="new")
    form.session_id.choices = [
        (s.id, f"{s.start.strftime('%H:%M')}–{s.end.strftime('%H:%M')} {s.training.name}")
        for s in open_today
    ]
    return form


@bp.post("/frontdesk/new")
@login_required
def frontdesk_new() -> ResponseReturnValue:
    """Add a walk-in who has no record yet and enrol them in one of today's sessions: the
    first enrolment mails their QR code, and they can be scanned at once."""
    _require_frontdesk()
    now = _now()
    today = now.astimezone(BRUSSELS).date()
    open_today = list(
        db.session.scalars(
            scoping.sessions(current_user)
            .where(Session.day == today, Session.cancelled_at.is_(None))
            .order_by(Session.start, Session.id)
        )
    )
    form = _walk_in_form(open_today)
    if not form.validate_on_submit():
        return _page(now, walk_in_form=form), 400
    session = next(s for s in open_today if s.id == form.session_id.data)
    with refusals_shown(form):
        person = creating.create_participant(
            actor(),
            session.training.project.branch,
            form.name.data,
            form.email.data,
            form.national_number.data,
        )
        enrolling.enrol(actor(), session, person, now=_now())
        flash(
            _(
                "%(name)s is added and enrolled in %(training)s (%(start)s): the QR code is on "
                "its way by mail, and they can be scanned now.",
                name=person.name,
                training=session.training.name,
                start=session.start.strftime("%H:%M"),
            ),
            "success",
        )
        return redirect(url_for("frontdesk.frontdesk"))
    return _page(now, walk_in_form=form), 400
