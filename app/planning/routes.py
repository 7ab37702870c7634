from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify, render_template
from flask_login import current_user, login_required

from app import scoping
from app.extensions import db
from app.models import Project, Session
from app.planning import bp
from app.planning.timing import session_times, status_of
from app.scanning.roster import roster
from app.web import BRUSSELS


@bp.get("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    """Sessions in scope: today's first, then upcoming, then the past (with their status)."""
    now = datetime.now(UTC)
    today = now.astimezone(BRUSSELS).date()
    sessions = db.session.scalars(
        scoping.sessions(current_user).order_by(Session.day, Session.start)
    ).all()
    rows = [(s, status_of(s, now)) for s in sessions]
    return render_template(
        "planning/home.html",
        today=[r for r in rows if r[0].day == today],
        upcoming=[r for r in rows if r[0].day > today],
        past=[r for r in reversed(rows) if r[0].day < today],
    )


@bp.get("/projects")
@login_required
def projects():  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    items = db.session.scalars(scoping.projects(current_user).order_by(Project.name)).all()
    return render_template("planning/projects.html", projects=items)


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int):  # type: ignore[no-untyped-def]
    session = scoping.get_one(scoping.sessions(current_user), Session, session_id, "session")
    now = datetime.now(UTC)
    times = session_times(session)
    return render_template(
        "planning/session.html",
        session=session,
        times=times,
        status=status_of(session, now, times),
        roster=roster(session),
    )


@bp.get("/sessions/<int:session_id>/roster.json")
@login_required
def session_roster_json(session_id: int):  # type: ignore[no-untyped-def]
    """The live state the session page polls (cookie-authenticated, read-only)."""
    session = scoping.get_one(scoping.sessions(current_user), Session, session_id, "session")
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
