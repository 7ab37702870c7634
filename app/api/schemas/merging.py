"""Merging a duplicate participant record into the one kept."""

from typing import Annotated

from app.api.schemas.fields import Answer, IdField, OutMoment, Request
from app.api.schemas.participants import ParticipantOut


class MergeIn(Request):
    """The duplicate record (of the same branch) that ends and is merged into this one."""

    duplicate_id: Annotated[int, IdField()]


class MergeOut(Answer):
    """The record kept, and the duplicate: ended, naming the record it was merged into. Its
    registrations are carried over as corrections (``registrations``); enrolments, justified
    absences, exemptions and certificates moved."""

    participant: ParticipantOut
    duplicate_id: int
    merged_into_id: int
    ended_at: OutMoment
    registrations: int
