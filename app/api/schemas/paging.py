"""Paging: the same query for every list."""

import datetime as dt
from typing import Annotated

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
