"""Registrations and scans."""

import datetime as dt
from typing import Annotated

from pydantic import (
    WithJsonSchema,
)

from app.api.schemas.fields import Answer, Choice, IdField, MomentField, OutMoment, Request, Text
from app.domain.scanning import Direction, Requested
from app.models import (
    Kind,
    Registration,
    Source,
)


class RegistrationOut(Answer):
    id: int
    session_id: int
    participant_id: int
    kind: Kind | None
    at: OutMoment | None
    received_at: OutMoment
    source: Source
    nonce: str
    voids_id: int | None
    reason: str | None
    user_id: int | None
    token_id: int | None

    @classmethod
    def of(cls, r: Registration) -> "RegistrationOut":
        return cls(
            id=r.id,
            session_id=r.session_id,
            participant_id=r.participant_id,
            kind=r.kind,
            at=r.at,
            received_at=r.received_at,
            source=r.source,
            nonce=r.nonce,
            voids_id=r.voids_id,
            reason=r.reason,
            user_id=r.user_id,
            token_id=r.token_id,
        )


class ScanCreate(Request):
    session_id: Annotated[int, IdField()]
    code: Annotated[str, Text(400)]
    nonce: Annotated[str, Text(Registration.nonce)]
    scanned_at: Annotated[dt.datetime | None, MomentField(required=False)] = None
    direction: Annotated[Requested, Choice(Requested, default="auto")] = "auto"


class ScannedParticipant(Answer):
    id: int
    name: str


class ScanOut(Answer):
    """A scan's answer; a retry with the same nonce and body gets the same answer again."""

    direction: Direction
    participant: ScannedParticipant
    at: Annotated[
        str,
        WithJsonSchema(
            {
                "type": "string",
                "format": "date-time",
                "description": "In UTC: the registration's time, or for a repeat the time of "
                "the registration it repeats.",
            }
        ),
    ]
    repeat: bool
