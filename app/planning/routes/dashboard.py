"""The planning home page (today, upcoming, recent past, the month view) and the archive."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import Select, func, select

from app import scoping
from app.clock import now as _now
from app.domain.limits import day_in_range
from app.extensions import db
from app.models import (
    Role,
    Session,
)
from app.planning import bp
from app.planning.routes.common import _listed, _today, _with_status

PAST_ON_HOME = 10


ARCHIVE_PAGE_SIZE = 50


ARCHIVE_FILTERS = ("reopened", "unsubmitted")


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    """Sessions in scope: today's first, then upcoming, then the most recent past ones; or
    with ``?month=YYYY-MM`` every session of that month (the trainer's month view)."""
    now = _now()
    today = _today(now)
    scope = _listed(scoping.sessions(current_user))
    if "month" in request.args:
        return _month_page(scope, request.args.get("month", ""), today, now)
    todays = db.session.scalars(scope.where(Session.day == today).order_by(Session.start)).all()
    upcoming = db.session.scalars(
        scope.where(Session.day > today).order_by(Session.day, Session.start)
    ).all()
    past = db.session.scalars(
        scope.where(Session.day < today)
        .order_by(Session.day.desc(), Session.start.desc())
        .limit(PAST_ON_HOME + 1)
    ).all()
    return render_template(
        "planning/home.html",
        today=_with_status(todays, now),
        upcoming=_with_status(upcoming, now),
        past=_with_status(past[:PAST_ON_HOME], now),
        more_past=len(past) > PAST_ON_HOME,
        is_trainer=current_user.role == Role.TRAINER,
    )


def _month_page(scope: Select[Session], asked: str, today: date, now: datetime) -> str:
    try:
        first = date.fromisoformat(f"{asked}-01") if asked else today.replace(day=1)
    except ValueError:
        first = today.replace(day=1)
    if not day_in_range(first):
        first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    sessions = db.session.scalars(
        scope.where(Session.day >= first, Session.day < following).order_by(
            Session.day, Session.start
        )
    ).all()
    return render_template(
        "planning/month.html",
        first=first,
        sessions=_with_status(sessions, now),
        previous=previous.strftime("%Y-%m") if day_in_range(previous) else None,
        following=following.strftime("%Y-%m") if day_in_range(following) else None,
        is_trainer=current_user.role == Role.TRAINER,
    )


@bp.get("/archive")
@login_required
def archive() -> ResponseReturnValue:
    """Past sessions with their status, newest first; filter on reopened or not yet submitted."""
    now = _now()
    chosen = request.args.get("filter", "")
    if chosen not in ARCHIVE_FILTERS:
        chosen = ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = scoping.sessions(current_user).where(Session.day < _today(now))
    if chosen == "reopened":
        query = query.where(Session.was_reopened.is_(True))
    elif chosen == "unsubmitted":
        query = query.where(Session.submitted_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max((total + ARCHIVE_PAGE_SIZE - 1) // ARCHIVE_PAGE_SIZE, 1)
    page = min(page, pages)
    rows = db.session.scalars(
        _listed(query)
        .order_by(Session.day.desc(), Session.start.desc(), Session.id.desc())
        .offset((page - 1) * ARCHIVE_PAGE_SIZE)
        .limit(ARCHIVE_PAGE_SIZE)
    ).all()
    return render_template(
        "planning/archive.html",
        rows=_with_status(rows, now),
        chosen=chosen,
        page=page,
        pages=pages,
        total=total,
    )
