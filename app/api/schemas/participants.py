"""Participants, enrolments, codes, roll call and exemptions."""

import datetime as dt
from typing import Annotated

from app.api.editing import version_of
from app.api.schemas.fields import (
    Answer,
    ClockField,
    Flag,
    IdField,
    OptionalCount,
    OutMoment,
    Request,
    Text,
)
from app.models import (
    Branch,
    Participant,
)


class ParticipantCreate(Request):
    name: Annotated[str, Text(Participant.name)]
    email: Annotated[str, Text(Participant.email)]
    national_number: Annotated[str | None, Text(20, required=False)] = None
    branch: Annotated[str | None, Text(Branch.name, required=False)] = None
    # How the branch's school administration package knows the person (the exchange).
    external_id: Annotated[str | None, Text(64, required=False)] = None


class ParticipantOut(Answer):
    id: int
    name: str
    email: str
    national_number: str | None  # masked
    external_id: str | None
    key_version: int
    version: str = ""

    @classmethod
    def of(cls, participant: Participant) -> "ParticipantOut":
        return cls(
            id=participant.id,
            name=participant.name,
            email=participant.email,
            national_number=participant.masked_national_number or None,
            external_id=participant.external_id,
            key_version=participant.key_version,
            version=version_of(participant),
        )


class ParticipantPatch(Request):
    """A JSON merge patch (RFC 7396). A new email address receives nothing by itself (as on
    the web); ``send_code``: mail the QR code to it in the same step. ``external_id`` null or
    "" clears it; a national register number left out keeps the stored one."""

    name: Annotated[str | None, Text(Participant.name, required=False)] = None
    email: Annotated[str | None, Text(Participant.email, required=False)] = None
    national_number: Annotated[str | None, Text(20, required=False)] = None
    external_id: Annotated[str | None, Text(64, required=False)] = None
    send_code: Annotated[bool, Flag()] = False
    version: Annotated[str | None, Text(100, required=False)] = None


class CodeOut(Answer):
    code: str
    key_version: int


class EnrolmentCreate(Request):
    participant_id: Annotated[int, IdField()]


class ParticipantRef(Request):
    participant_id: Annotated[int, IdField()]


class ParticipantAtTime(Request):
    """A participant and a time of day on the session's date (Brussels)."""

    participant_id: Annotated[int, IdField()]
    time: Annotated[dt.time, ClockField()]


class IncompleteResolve(Request):
    """Close a participant's open check-in: the time they left and why it was not scanned."""

    participant_id: Annotated[int, IdField()]
    time: Annotated[dt.time, ClockField()]
    reason: Annotated[str, Text(500)]


class SessionClose(Request):
    """After the end: everyone still in left at the end, or at ``time``."""

    time: Annotated[dt.time | None, ClockField(required=False)] = None


class RollCallMarkIn(Request):
    participant_id: Annotated[int, IdField()]
    present: Annotated[bool, Flag()] = False
    remark: Annotated[str, Text(500, required=False, default="")] = ""


class RollCallIn(Request):
    """The roll call as the web's page confirms it: each participant present or not, with a
    remark. ``check_in_at_start``: the check-ins of those present at the session's start
    (else now); participants left out keep their earlier marks."""

    marks: list[RollCallMarkIn]
    check_in_at_start: Annotated[bool, Flag()] = True


class ExemptionCreate(Request):
    """An exemption for one session of the training, or for a number of minutes."""

    participant_id: Annotated[int, IdField()]
    session_id: Annotated[int | None, IdField(required=False)] = None
    minutes: Annotated[int | None, OptionalCount(100000)] = None
    reason: Annotated[str, Text(2000, required=False, one_line=False, default="")] = ""


class ExemptionOut(Answer):
    id: int
    training_id: int
    participant_id: int
    session_id: int | None
    minutes: int | None
    reason: str
    created_at: OutMoment
    revoked_at: OutMoment | None


class RegistrationsWritten(Answer):
    registration_ids: list[int]


class CountOut(Answer):
    """How many objects an action wrote or removed."""

    count: int


class TrainingEnrolmentOut(Answer):
    training_id: int
    participant_id: int
    sessions: int
    created: int
    # Cancelled sessions take nobody: left out of the enrolment and named here.
    skipped_session_ids: list[int] = []


class EnrolmentOut(Answer):
    id: int
    session_id: int
    participant_id: int
    created: bool
