"""Sessions, their filters and rosters."""

import datetime as dt
from typing import Annotated

from app.api.schemas.fields import (
    Answer,
    ClockField,
    DayField,
    Flag,
    IdField,
    OutClock,
    OutDay,
    OutMoment,
    Request,
    Text,
)
from app.api.schemas.paging import Paging
from app.domain.scanning import Direction
from app.domain.sessions import SessionStatus
from app.models import (
    Session,
    User,
)


class SessionCreate(Request):
    training_id: Annotated[int, IdField()]
    date: Annotated[dt.date, DayField()]
    start: Annotated[dt.time, ClockField()]
    end: Annotated[dt.time, ClockField()]
    break_start: Annotated[dt.time | None, ClockField(required=False)] = None
    break_end: Annotated[dt.time | None, ClockField(required=False)] = None
    location: Annotated[str, Text(Session.location, required=False, default="")] = ""
    trainer_email: Annotated[str | None, Text(User.email, required=False)] = None


class SessionPatch(Request):
    """A JSON merge patch (RFC 7396): only the fields given change; null removes the break
    or the trainer. ``reason``: support's reason for a change that leaves registrations
    outside the session. ``confirm_trainer``: plan with a trainer booked elsewhere then."""

    date: Annotated[dt.date | None, DayField(required=False)] = None
    start: Annotated[dt.time | None, ClockField(required=False)] = None
    end: Annotated[dt.time | None, ClockField(required=False)] = None
    break_start: Annotated[dt.time | None, ClockField(required=False)] = None
    break_end: Annotated[dt.time | None, ClockField(required=False)] = None
    location: Annotated[str, Text(Session.location, required=False, default="")] = ""
    trainer_email: Annotated[str | None, Text(User.email, required=False)] = None
    reason: Annotated[str | None, Text(2000, required=False, one_line=False)] = None
    confirm_trainer: Annotated[bool, Flag()] = False
    version: Annotated[str | None, Text(100, required=False)] = None


class SessionCancel(Request):
    reason: Annotated[str, Text(2000, required=False, one_line=False, default="")] = ""
    version: Annotated[str | None, Text(100, required=False)] = None


class SessionRestore(Request):
    version: Annotated[str | None, Text(100, required=False)] = None


class SessionFilter(Paging):
    """``GET /sessions``: on one day, or from ``date_from`` to ``date_to``; of one training."""

    date: Annotated[dt.date | None, DayField(required=False, query=True)] = None
    date_from: Annotated[dt.date | None, DayField(required=False, query=True)] = None
    date_to: Annotated[dt.date | None, DayField(required=False, query=True)] = None
    training_id: Annotated[int | None, IdField(required=False, query=True)] = None


class RegistrationFilter(Paging):
    """``GET /registrations``: every registration in scope (corrections included), of the
    sessions from ``date_from`` to ``date_to``, of one session or participant."""

    date_from: Annotated[dt.date | None, DayField(required=False, query=True)] = None
    date_to: Annotated[dt.date | None, DayField(required=False, query=True)] = None
    session_id: Annotated[int | None, IdField(required=False, query=True)] = None
    participant_id: Annotated[int | None, IdField(required=False, query=True)] = None


class SessionOut(Answer):
    id: int
    training_id: int
    training_name: str
    date: OutDay
    start: OutClock
    end: OutClock
    break_start: OutClock | None
    break_end: OutClock | None
    location: str
    trainer_email: str | None
    status: SessionStatus
    reopened: bool
    scan_opens: OutMoment
    deadline: OutMoment
    cancelled: bool = False
    cancel_reason: str | None = None
    version: str = ""


class RosterEntryOut(Answer):
    id: int
    name: str
    key_version: int
    state: Direction
    last_at: OutMoment | None


class RosterOut(Answer):
    session: SessionOut
    # One page of the roster (see Paging): the participants in all pages, and this page.
    participants: list[RosterEntryOut]
    total: int = 0
    page: int = 1
    per_page: int = 0
