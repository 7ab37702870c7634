"""Cursors for deep pages: keyset paging on each list's own stable order.

``page``/``per_page`` read with OFFSET, which costs more the deeper the page (the database
walks past every row before it) and, while rows come in, can show a row twice or skip one. A
cursor instead names the last row read by its values in the list's order (which always ends
in the id, so it is unique): the next page is the rows after it, found on the index whatever
the depth, and a row added meanwhile is either after the cursor (read later) or before it
(never shown), so no row that was there is skipped or repeated.

The cursor is opaque to clients: encrypted and authenticated (Fernet) with a key derived from
the application's secret, naming the list and the filters it was made for, so a changed,
foreign or stale cursor is a clear 400, never a wrong page. Encrypted, not only signed: the
values it holds may be a participant's name (that list runs by name), and a cursor travels in
query strings, which access logs keep.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date, datetime, time
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel
from sqlalchemy import and_, or_
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from app.errors import Refusal

# The query fields that move along a list rather than choose it.
_WALKING = {"page", "per_page", "cursor"}


def _fernet() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hmac.new(secret, b"aanwezig api cursor", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def invalid() -> Refusal:
    return Refusal(
        "invalid_cursor",
        _l(
            "This cursor is not valid for this list and these filters: start again without "
            "a cursor (or with the next_cursor of the previous answer, unchanged)."
        ),
        status=400,
        field="cursor",
    )


def _filters(query: BaseModel) -> str:
    """What the cursor was made for: the list (its endpoint) and its filters, as the query
    string gave them (a script sends the same ones along its walk)."""
    chosen = sorted(
        (key, value)
        for key, value in request.args.items(multi=True)
        if key in type(query).model_fields and key not in _WALKING
    )
    text = json.dumps([request.endpoint, chosen])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def columns(order: tuple[Any, ...]) -> list[tuple[Any, bool]]:
    """Each order column and whether it runs descending."""
    found = []
    for item in order:
        if isinstance(item, UnaryExpression) and item.modifier in (
            operators.desc_op,
            operators.asc_op,
        ):
            found.append((item.element, item.modifier is operators.desc_op))
        else:
            found.append((item, False))
    return found


def _plain(value: Any) -> Any:
    # Tagged, so that a date comes back a date (a string compares differently on PostgreSQL).
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"c": value.isoformat()}
    if value is None or isinstance(value, (int, str)):
        return value
    return {"s": str(value)}  # an enum value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if not isinstance(text, str):
            raise invalid()
        try:
            if tag == "t":
                return datetime.fromisoformat(text)
            if tag == "d":
                return date.fromisoformat(text)
            if tag == "c":
                return time.fromisoformat(text)
            if tag == "s":
                return text
        except ValueError:
            raise invalid() from None
        raise invalid()
    if value is None or isinstance(value, (int, str)):
        return value
    raise invalid()


def make(query: BaseModel, order: tuple[Any, ...], last: Any) -> str:
    """The cursor after ``last`` (a row of the list), for this list and its filters."""
    values = [_plain(getattr(last, column.key)) for column, _desc in columns(order)]
    plain = json.dumps([_filters(query), values], separators=(",", ":")).encode()
    return _fernet().encrypt(plain).decode()


def read(query: BaseModel, order: tuple[Any, ...], cursor: str) -> list[Any]:
    """The values a cursor names, or 400 when it is not one of this list's and filters'."""
    try:
        made_for, values = json.loads(_fernet().decrypt(cursor.encode()))
    except (InvalidToken, ValueError, TypeError):
        raise invalid() from None
    if made_for != _filters(query) or not isinstance(values, list):
        raise invalid()
    if len(values) != len(order):
        raise invalid()
    return [_typed(v) for v in values]


def after(order: tuple[Any, ...], values: list[Any]) -> ColumnElement[bool]:
    """The rows after ``values`` in ``order``: (a, b, c) > (x, y, z) written out, so that
    each column may run either way. The lists' order columns hold no NULL."""
    if any(v is None for v in values):
        raise invalid()
    ordered = columns(order)
    terms = []
    for n, (column, descending) in enumerate(ordered):
        equal = [c == v for (c, _d), v in zip(ordered[:n], values[:n], strict=True)]
        terms.append(and_(*equal, column < values[n] if descending else column > values[n]))
    return or_(*terms)
