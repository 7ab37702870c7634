"""The exchange with administration packages (docs/exchange.md)."""

import datetime as dt
from typing import Annotated, Literal

from app.api.schemas.fields import Answer, Choice, ClockField, DayField, MomentField, Request, Text


class ExchangeParticipant(Request):
    """The participant as both sides know them: the connection's identifier."""

    scheme: Annotated[str, Choice(Literal["external_id", "email", "national_number"])]
    value: Annotated[str, Text(254)]


class ExchangeSession(Request):
    """The sender's own session, for information; the moment is ``date`` and ``part``."""

    id: Annotated[str | None, Text(100, required=False)] = None
    start: Annotated[dt.time | None, ClockField(required=False)] = None
    end: Annotated[dt.time | None, ClockField(required=False)] = None


class ExchangeEventData(Request):
    event_id: Annotated[str, Text(100)]
    participant: ExchangeParticipant
    date: Annotated[dt.date, DayField()]
    part: Annotated[Literal["am", "pm"], Choice(Literal["am", "pm"])]
    code: Annotated[str, Text(20)]
    state: Annotated[str | None, Text(30, required=False)] = None
    remark: Annotated[str, Text(2000, required=False, one_line=False, default="")] = ""
    registered_at: Annotated[dt.datetime, MomentField()]
    session: ExchangeSession | None = None


class ExchangeEventIn(Request):
    """One event, signed with the Standard Webhooks headers (webhook-id = data.event_id)."""

    type: Annotated[str, Choice(Literal["attendance.code"])]
    timestamp: Annotated[dt.datetime | None, MomentField(required=False)] = None
    data: ExchangeEventData


ExchangeOutcome = Literal["applied", "older", "duplicate", "no_session"]


class ExchangeAck(Answer):
    """What happened to an event: applied, older than what is held for that participant and
    moment (acknowledged, not applied), a duplicate of an event already received, or applied
    to no session (nothing of ours falls in that moment; remembered for the next decision)."""

    event_id: str
    outcome: ExchangeOutcome
    applied: bool
    message: str
    sessions: list[int]
