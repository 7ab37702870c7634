from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from app import scoping
from app.extensions import db
from app.models import Participant
from app.participants import bp


@bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    items = db.session.scalars(scoping.participants(current_user).order_by(Participant.name)).all()
    return render_template("participants/index.html", participants=items)
