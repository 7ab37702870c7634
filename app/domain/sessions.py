"""Rules about sessions: their times, their derived status and overlaps within a training."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.domain.cutoff import BRUSSELS


class SessionStatus(enum.StrEnum):
    """Derived, never typed in (rule: gepland, in uitvoering, uitgevoerd, ingediend)."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    EXECUTED = "executed"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"


def local_datetime(day: date, at: time) -> datetime:
    """A planned wall-clock time on a day, as an aware Brussels datetime."""
    return datetime.combine(day, at, tzinfo=BRUSSELS)


def session_status(
    start: datetime,
    end: datetime,
    *,
    submitted: bool,
    reopened: bool,
    now: datetime,
    cancelled: bool = False,
) -> SessionStatus:
    """Planned before the start, in progress during, executed after; submitted locks it.

    A session support reopened after submission shows as executed again until it is closed.
    A cancelled session is cancelled whatever the time (it was never given).
    """
    if cancelled:
        return SessionStatus.CANCELLED
    if submitted and not reopened:
        return SessionStatus.SUBMITTED
    if now < start:
        return SessionStatus.PLANNED
    if now < end:
        return SessionStatus.IN_PROGRESS
    return SessionStatus.EXECUTED


@dataclass(frozen=True, slots=True)
class PlannedSlot:
    """A session's place in time, enough to test overlaps."""

    id: int | None
    day: date
    start: time
    end: time


def find_overlap(candidate: PlannedSlot, others: Iterable[PlannedSlot]) -> PlannedSlot | None:
    """The first other session of the same training that overlaps ``candidate``, if any.

    Sessions that merely touch (one ends at 12:00, the next starts at 12:00) do not overlap.
    """
    for other in others:
        if other.id is not None and other.id == candidate.id:
            continue
        if other.day != candidate.day:
            continue
        if candidate.start < other.end and other.start < candidate.end:
            return other
    return None


def schedule_problem(
    start: time, end: time, break_start: time | None, break_end: time | None
) -> str | None:
    """What is wrong with a session's planned times, as a reason code, or ``None``."""
    if end <= start:
        return "end_before_start"
    if (break_start is None) != (break_end is None):
        return "break_incomplete"
    if break_start is not None and break_end is not None:
        if break_end <= break_start:
            return "break_end_before_start"
        if break_start <= start or break_end >= end:
            return "break_outside_session"
    return None


@dataclass(frozen=True, slots=True)
class PlanningProblem:
    """Why sessions cannot be planned as asked: a reason code of :func:`schedule_problem`, or
    ``"overlap"`` with the session of the training it would overlap."""

    code: str
    clash: PlannedSlot | None = None


def planning_problem(
    days: Iterable[date],
    start: time,
    end: time,
    break_start: time | None,
    break_end: time | None,
    others: Iterable[PlannedSlot],
    session_id: int | None = None,
) -> PlanningProblem | None:
    """What keeps a training's session(s) on ``days`` at these times from being planned, or
    ``None``: impossible times first, then an overlap with one of the training's ``others``
    (docs/rules.md, "Sessions overlap"). One session planned, a series or a session moved
    (``session_id``, which never overlaps itself) are held to this one rule."""
    problem = schedule_problem(start, end, break_start, break_end)
    if problem:
        return PlanningProblem(problem)
    others = list(others)
    for day in days:
        clash = find_overlap(PlannedSlot(session_id, day, start, end), others)
        if clash is not None:
            return PlanningProblem("overlap", clash)
    return None


# Who may make a change that leaves registrations outside the session: support (the role's
# value), and only with a reason that is kept.
OVERRIDING_ROLES = frozenset({"admin"})


def may_override_registrations_outside(role: str) -> bool:
    """Whether a user of this role may move or shorten a session past its registrations
    (docs/rules.md, "Sessions overlap"): support may, saying why; nobody else."""
    return role in OVERRIDING_ROLES


def change_overrides_registrations(role: str, reason: str | None) -> bool:
    """Whether a change that leaves registrations outside the session goes through: made by
    support (:func:`may_override_registrations_outside`) with a reason that is not blank."""
    return may_override_registrations_outside(role) and bool((reason or "").strip())


def registrations_outside(
    start: datetime, end: datetime, registered: Iterable[datetime], early: timedelta
) -> list[datetime]:
    """The registration times a session from ``start`` to ``end`` would no longer hold.

    A registration belongs to its session from the moment scanning opens (``early`` before the
    start) until the end; moving or shortening a session must not leave one outside, or the
    hours it proves would silently change (docs/rules.md, "Sessions overlap").
    """
    return sorted(at for at in registered if at < start - early or at > end)


def is_locked(
    *, deadline: datetime, now: datetime, submitted: bool, reopened: bool, cancelled: bool
) -> bool:
    """Whether a session takes no more registrations (docs/rules.md, "Locked sessions").

    A cancelled session is always locked (it was never given); one support reopened is open
    whatever the time, until it is closed again; a submitted one is locked; otherwise it locks
    once ``now`` is past its registration deadline (10:00 on the next working day).
    """
    if cancelled:
        return True
    if reopened:
        return False
    if submitted:
        return True
    return now > deadline
