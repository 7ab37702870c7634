"""Justified absences: the promotor's form (with its document, as multipart/form-data), the
answer, and the list's filter."""

import datetime as dt
import re
from typing import Annotated, Any

from werkzeug.datastructures import FileStorage

from app.api.schemas.fields import (
    Answer,
    Checked,
    Choice,
    DayField,
    IdField,
    OutDay,
    OutMoment,
    QueryChoice,
    Request,
    Text,
    _problem,
)
from app.api.schemas.paging import Paging
from app.attendance import operations as attendance
from app.domain.limits import MAX_ID
from app.models import JustificationKind

# Far more than one absence spans; and far under the 1000 parts werkzeug parses in one form
# (past that it answers 413 before the schema can name the field).
MAX_SESSIONS = 100


def FormIdList() -> Checked:
    """A multipart field given once per id (``session_ids=4&session_ids=7``); at least one."""

    def check(value: Any) -> list[int]:
        if value is None or value == [] or value == "":
            raise _problem("required")
        values = value if isinstance(value, list) else [value]
        if len(values) > MAX_SESSIONS:
            raise _problem("invalid")
        ids = []
        for item in values:
            if isinstance(item, str) and re.fullmatch(r"[0-9]{1,12}", item):
                item = int(item)
            if isinstance(item, bool) or not isinstance(item, int):
                raise _problem("whole_number")
            if not 1 <= item <= MAX_ID:
                raise _problem("id_range", max=MAX_ID)
            ids.append(item)
        return list(dict.fromkeys(ids))

    schema = {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "minItems": 1,
        "maxItems": MAX_SESSIONS,
    }
    return Checked(check, schema)


def DocumentField() -> Checked:
    """An uploaded file (a multipart part with a file name): its name and at most one byte more
    than a document may hold, so the operation's size check sees a file that is too large
    without the API reading all of it. Left out (or without a file name): no document."""

    def check(value: Any) -> tuple[str, bytes] | None:
        if value is None or value == "":
            return None
        if not isinstance(value, FileStorage):
            raise _problem("invalid")
        if not value.filename:
            return None
        return value.filename, value.stream.read(attendance.MAX_DOCUMENT_BYTES + 1)

    return Checked(check, {"type": "string", "format": "binary"})


class JustificationCreate(Request):
    """What the promotor's form asks (multipart/form-data): the participant, the sessions of
    theirs the absence concerns (``session_ids``, once per session), its kind, the day the
    document came in, a note, the document (PDF, PNG or JPEG, at most 5 MB) and, for support
    only, the reason to accept it after the 14-day deadline."""

    participant_id: Annotated[int, IdField(query=True)]
    session_ids: Annotated[list[int], FormIdList()]
    kind: Annotated[JustificationKind, Choice(JustificationKind)]
    handed_in: Annotated[dt.date, DayField(query=True)]
    note: Annotated[str, Text(2000, required=False, one_line=False, default="")] = ""
    override_reason: Annotated[
        str | None, Text(2000, required=False, one_line=False, default=None)
    ] = None
    document: Annotated[tuple[str, bytes] | None, DocumentField()] = None


class JustificationFilter(Paging):
    """``GET /justifications``: of one participant, of one training or session, or of the
    sessions from ``date_from`` to ``date_to``; revoked ones only with ``revoked=true``."""

    participant_id: Annotated[int | None, IdField(required=False, query=True)] = None
    training_id: Annotated[int | None, IdField(required=False, query=True)] = None
    session_id: Annotated[int | None, IdField(required=False, query=True)] = None
    date_from: Annotated[dt.date | None, DayField(required=False, query=True)] = None
    date_to: Annotated[dt.date | None, DayField(required=False, query=True)] = None


class JustificationOut(Answer):
    """A justified absence. ``override_reason``: why support accepted it late; ``revoked_at``:
    withdrawn (recorded by mistake), when it no longer counts."""

    id: int
    participant_id: int
    session_ids: list[int]
    kind: JustificationKind
    handed_in: OutDay
    note: str
    override_reason: str | None
    document: bool
    document_name: str | None
    document_type: str | None
    created_by: str | None  # the user's email address
    created_at: OutMoment
    revoked_at: OutMoment | None


class JustificationList(Answer):
    items: list[JustificationOut]
    total: int = 0
    page: int = 1
    per_page: int = 0


class JustificationRequestFilter(Paging):
    """``GET /justification-requests``: the documents participants sent from the portal, of
    one participant, in one state (``waiting`` for the promotor, ``accepted``, ``rejected``)."""

    participant_id: Annotated[int | None, IdField(required=False, query=True)] = None
    state: Annotated[str | None, QueryChoice(["waiting", "accepted", "rejected"])] = None


class JustificationRequestReject(Request):
    """Why the document is refused: the participant reads it in the portal."""

    reason: Annotated[str, Text(2000, one_line=False)]


class JustificationRequestOut(Answer):
    """A document a participant sent for an absence; accepting it records the justified
    absence (``justification_id``), handed in on the day it was sent."""

    id: int
    participant_id: int
    session_ids: list[int]
    kind: JustificationKind
    note: str
    handed_in: OutDay
    document_name: str
    document_type: str
    submitted_at: OutMoment
    state: str  # waiting, accepted or rejected
    decided_at: OutMoment | None
    decided_by: str | None  # the user's email address
    reason: str | None
    justification_id: int | None


class JustificationRequestList(Answer):
    items: list[JustificationRequestOut]
    total: int = 0
    page: int = 1
    per_page: int = 0
