"""Closure days: the days the organisation is closed, for every branch (central support adds
and removes them). They move registration deadlines and skip the digest's mornings, so a day in
the past is never added or taken back; the sessions planned on new closure days are named, to
cancel or keep."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit, checks
from app.audit import Actor
from app.db import LOCK_CLOSURE_DAYS, lock_key
from app.errors import Refusal
from app.extensions import db
from app.models import ClosureDay, Session
from app.scoping import require_central
from app.timing import forget_closure_days


def add_closure_day(actor: Actor, day: date, label: str, today: date | None = None) -> ClosureDay:
    """A day the organisation is closed. Not in the past: it would move registration
    deadlines that already passed, and sessions locked by them would open again."""
    require_central(actor)
    checks.day(day, "day")
    checks.text(label or "", "label")
    if today is not None and day < today:
        raise Refusal(
            "closure_in_past",
            _l("A closure day in the past would move deadlines that already passed."),
            field="day",
        )
    if db.session.scalars(select(ClosureDay).where(ClosureDay.day == day)).first():
        raise Refusal("duplicate_closure", _l("This day is already a closure day."))
    closure = ClosureDay(day=day, label=(label or "").strip())
    db.session.add(closure)
    db.session.flush()
    audit.record(
        actor, "closure_day.create", closure, after={"day": day.isoformat(), "label": closure.label}
    )
    forget_closure_days()
    return closure


MAX_CLOSURE_RANGE = 120  # days: a school holiday is at most a few weeks


def closure_range(first: date, last: date | None) -> list[date]:
    """The days from ``first`` to ``last`` (inclusive); one day without ``last``."""
    last = last or first
    if last < first:
        raise Refusal("closure_range", _l("The last day cannot come before the first."))
    if (last - first).days >= MAX_CLOSURE_RANGE:
        raise Refusal(
            "closure_range",
            _l("A range of closure days is at most %(n)s days.", n=MAX_CLOSURE_RANGE),
            field="until",
        )
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def sessions_on(days: list[date]) -> list[Session]:
    """The planned (not cancelled) sessions on those days, every branch's: a closure day is the
    whole organisation's."""
    if not days:
        return []
    return list(
        db.session.scalars(
            select(Session)
            .where(Session.day.in_(days), Session.cancelled_at.is_(None))
            .order_by(Session.day, Session.start, Session.id)
        )
    )


def add_closure_days(
    actor: Actor, first: date, last: date | None, label: str, today: date
) -> list[ClosureDay]:
    """Every day of a range as a closure day (those that already are one are left as they
    are); the same rules as :func:`add_closure_day` for each.

    Two requests adding overlapping days at once: the second waits for the first's commit,
    then finds its days (a single day refused as a duplicate, a range adding only the others).
    """
    require_central(actor)
    lock_key(LOCK_CLOSURE_DAYS, "closure_days")
    days = closure_range(first, last)
    known = set(db.session.scalars(select(ClosureDay.day).where(ClosureDay.day.in_(days))))
    if known and len(days) == 1:
        raise Refusal("duplicate_closure", _l("This day is already a closure day."))
    return [add_closure_day(actor, day, label, today) for day in days if day not in known]


def remove_closure_day(actor: Actor, closure: ClosureDay, today: date) -> None:
    """Take back a closure day that has not come yet (a past one stays: see above)."""
    require_central(actor)
    if closure.day < today:
        raise Refusal(
            "closure_in_past",
            _l("A closure day in the past would move deadlines that already passed."),
        )
    audit.record(
        actor,
        "closure_day.delete",
        closure,
        before={"day": closure.day.isoformat(), "label": closure.label},
    )
    db.session.delete(closure)
    db.session.flush()
    forget_closure_days()
