"""Closure days and the sessions planned on them."""

import datetime as dt
from typing import Annotated, Literal

from app.api.schemas.fields import (
    Answer,
    DayField,
    OptionalChoice,
    OutClock,
    OutDay,
    Request,
    Text,
)
from app.models import ClosureDay

Planned = Literal["cancel", "keep"]


class ClosureCreate(Request):
    """One closure day, or every day from ``day`` to ``until`` (a school holiday: at most 120
    days; days that already are one are left as they are). When sessions are planned on those
    days, ``planned`` says what happens to them: ``cancel`` (the enrolled participants get a
    mail; one with registrations stays) or ``keep``; without it the answer names them and
    nothing is added (409 sessions_planned)."""

    day: Annotated[dt.date, DayField()]
    until: Annotated[dt.date | None, DayField(required=False)] = None
    label: Annotated[str, Text(ClosureDay.label, required=False, default="")] = ""
    planned: Annotated[Planned | None, OptionalChoice(Planned)] = None


class ClosureDayOut(Answer):
    id: int
    date: OutDay
    label: str


class ClosureDayList(Answer):
    items: list[ClosureDayOut]
    total: int = 0
    page: int = 1
    per_page: int = 0
    next_cursor: str | None = None


class PlannedSessionOut(Answer):
    """A session planned on a closure day (every branch's: a closure day is the whole
    organisation's)."""

    id: int
    training_id: int
    training_name: str
    date: OutDay
    start: OutClock
    end: OutClock


class SessionNotCancelled(Answer):
    session_id: int
    error: str
    message: str


class ClosureCreated(Answer):
    """The closure days added, the sessions planned on those days, and with ``planned:
    cancel`` which were cancelled and which could not be (with the reason)."""

    items: list[ClosureDayOut]
    sessions: list[PlannedSessionOut]
    cancelled: list[int]
    not_cancelled: list[SessionNotCancelled]
