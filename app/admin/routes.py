from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from app import scoping
from app.admin import bp
from app.extensions import db
from app.mail.outbox import smtp_configured
from app.models import OutboxMail, User


@bp.get("/users")
@login_required
def users():  # type: ignore[no-untyped-def]
    scoping.require_admin(current_user)
    items = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("admin/users.html", users=items)


@bp.get("/outbox")
@login_required
def outbox():  # type: ignore[no-untyped-def]
    """The stored mail: what was sent, what waits; without SMTP, the demo reads mail here."""
    scoping.require_planner(current_user)
    query = select(OutboxMail).order_by(OutboxMail.id.desc()).limit(200)
    if current_user.branch_id is not None:
        from app.models import Participant

        query = query.join(Participant, OutboxMail.participant_id == Participant.id).where(
            Participant.branch_id == current_user.branch_id
        )
    return render_template(
        "admin/outbox.html", mails=db.session.scalars(query).all(), smtp=smtp_configured()
    )
