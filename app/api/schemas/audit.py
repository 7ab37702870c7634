"""The audit trail."""

import datetime as dt
from typing import Annotated, Any, Literal

from app.api.schemas.fields import (
    Answer,
    CountField,
    DayField,
    IdField,
    OutMoment,
    QueryAction,
    QueryChoice,
    Request,
)
from app.api.schemas.paging import CursorField
from app.domain.limits import (
    MAX_ID,
)

AUDIT_OBJECT_TYPES = [
    "participant", "session", "training", "certificate", "registration", "project",
    "enrolment", "justification", "exemption", "supervisor", "user",
]  # fmt: skip
AUDIT_MAX_PER_PAGE = 200


class AuditFilter(Request):
    """``GET /audit``: the records in the caller's scope, newest first, narrowed by object
    (the participant, session or training a record belongs to, or one object by kind and id),
    by the acting user, by action (``session.cancel``, or ``session`` for every session
    action) and by Brussels days (both included); paged."""

    page: Annotated[int, CountField(MAX_ID)] = 1
    per_page: Annotated[int, CountField(AUDIT_MAX_PER_PAGE)] = 50
    participant_id: Annotated[int | None, IdField(required=False, query=True)] = None
    session_id: Annotated[int | None, IdField(required=False, query=True)] = None
    training_id: Annotated[int | None, IdField(required=False, query=True)] = None
    object_type: Annotated[str | None, QueryChoice(AUDIT_OBJECT_TYPES)] = None
    object_id: Annotated[int | None, IdField(required=False, query=True)] = None
    user_id: Annotated[int | None, IdField(required=False, query=True)] = None
    action: Annotated[str | None, QueryAction()] = None
    date_from: Annotated[dt.date | None, DayField(required=False, query=True)] = None
    date_to: Annotated[dt.date | None, DayField(required=False, query=True)] = None
    cursor: Annotated[str | None, CursorField()] = None


class AuditChangeOut(Answer):
    field: str
    before: str
    after: str


class AuditRecordOut(Answer):
    """One change: when, who (``who_kind``: user, token, portal, package or system), what
    object, what action, the before and after as stored and the changed fields in words."""

    id: int
    at: OutMoment
    who: str
    who_kind: Literal["user", "token", "portal", "package", "system"]
    user_id: int | None
    action: str
    object_type: str
    object_id: int | None
    object_label: str
    participant_id: int | None
    session_id: int | None
    training_id: int | None
    summary: str
    changes: list[AuditChangeOut]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditList(Answer):
    items: list[AuditRecordOut]
    total: int
    page: int
    per_page: int
    # The cursor of the page after this one (null: this is the last), see CursorPaging.
    next_cursor: str | None = None
