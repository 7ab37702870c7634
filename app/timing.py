"""A session's moments in absolute time, from its planned day and times plus the rules."""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine

from app.domain import sessions as rules
from app.domain.cutoff import registration_deadline
from app.domain.sessions import SessionStatus, local_datetime, session_status
from app.extensions import db
from app.models import ClosureDay, Session


@dataclass(frozen=True, slots=True)
class SessionTimes:
    start: datetime
    end: datetime
    break_start: datetime | None
    break_end: datetime | None
    deadline: datetime


_CLOSURES = select(ClosureDay.day).where(
    ClosureDay.day > bindparam("after"), ClosureDay.day <= bindparam("until")
)


CLOSURE_CACHE_SECONDS = 30.0
# Closure days are configured weeks ahead and read on every scan: each process keeps them for
# a few seconds, per database engine (tests run many apps side by side).
_closure_cache: weakref.WeakKeyDictionary[Engine, dict[date, tuple[float, list[date]]]] = (
    weakref.WeakKeyDictionary()
)


def closure_days(around: date) -> list[date]:
    """Configured closure days that can matter for a deadline after ``around``."""
    cache = _closure_cache.setdefault(db.engine, {})
    hit = cache.get(around)
    if hit is not None and time.monotonic() - hit[0] < CLOSURE_CACHE_SECONDS:
        return hit[1]
    days = list(
        db.session.scalars(_CLOSURES, {"after": around, "until": around + timedelta(days=31)})
    )
    cache[around] = (time.monotonic(), days)
    return days


def forget_closure_days() -> None:
    """Call after closure days change, so this process sees them at once."""
    _closure_cache.pop(db.engine, None)


def session_times(session: Session, closures: list[date] | None = None) -> SessionTimes:
    start = local_datetime(session.day, session.start)
    if closures is None:
        closures = closure_days(session.day)
    return SessionTimes(
        start=start,
        end=local_datetime(session.day, session.end),
        break_start=local_datetime(session.day, session.break_start)
        if session.break_start
        else None,
        break_end=local_datetime(session.day, session.break_end) if session.break_end else None,
        deadline=registration_deadline(session.day, closures),
    )


def status_of(session: Session, now: datetime, times: SessionTimes | None = None) -> SessionStatus:
    # The status needs the start and end only: no deadline, so no closure days to read (a
    # list of sessions on many days would otherwise ask for them once per day).
    start = times.start if times else local_datetime(session.day, session.start)
    end = times.end if times else local_datetime(session.day, session.end)
    return session_status(
        start,
        end,
        submitted=session.submitted_at is not None,
        reopened=session.reopened,
        now=now,
        cancelled=session.cancelled,
    )


def is_locked(session: Session, now: datetime, times: SessionTimes | None = None) -> bool:
    """Locked: past the deadline, submitted or cancelled, and not reopened by support (the
    rule: ``app.domain.sessions.is_locked``)."""
    # The deadline needs the closure days (a query): read them only when the rule looks at the
    # deadline; a cancelled, reopened or submitted session is decided without it (``now`` is
    # passed as a placeholder the rule ignores then).
    decided_without_deadline = session.cancelled or session.reopened or session.submitted_at
    deadline = (
        times.deadline
        if times is not None
        else (now if decided_without_deadline else session_times(session).deadline)
    )
    return rules.is_locked(
        deadline=deadline,
        now=now,
        submitted=session.submitted_at is not None,
        reopened=session.reopened,
        cancelled=session.cancelled,
    )
