"""Paging: the same query for every list."""

import datetime as dt
from typing import Annotated, Any

from pydantic_core import PydanticCustomError

from app.api.schemas.fields import _MOMENT, Checked, CountField, MomentField, Request
from app.domain.limits import (
    MAX_ID,
)

MAX_PER_PAGE = 1000


def MomentQuery() -> Checked:
    """In a query string: an RFC 3339 date and time with its offset (``+`` written %2B)."""
    field = MomentField()
    return Checked(
        field.check, {"type": "string", "format": "date-time", "pattern": f"^{_MOMENT}$"}
    )


class Paging(Request):
    """Every list: ``page`` (from 1) of ``per_page`` items (at most 1000), with the ``total``;
    ``updated_since``: only what was created or changed from that moment (by its audit
    records; a registration by when it was received)."""

    page: Annotated[int, CountField(MAX_ID)] = 1
    per_page: Annotated[int, CountField(MAX_PER_PAGE)] = 100
    updated_since: Annotated[dt.datetime | None, MomentQuery()] = None


# A cursor is a few hundred characters at most; longer is not one.
MAX_CURSOR = 1000


def CursorField() -> Checked:
    """In a query string: a cursor as an answer gave it (its signature is checked where it
    is read, ``app.api.cursor``)."""

    def check(value: Any) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or len(value) > MAX_CURSOR:
            raise PydanticCustomError("invalid", "invalid")
        return value

    return Checked(check, {"type": "string", "maxLength": MAX_CURSOR})


class CursorPaging(Paging):
    """A top-level list: as ``Paging``, and ``cursor``, the ``next_cursor`` of the previous
    answer: the page after it, read on the index at any depth (``page`` is then left out)."""

    cursor: Annotated[str | None, CursorField()] = None
