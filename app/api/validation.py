"""Reading a JSON body field by field, with a clear message for every mistake."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any, TypeVar

from flask import request
from flask_babel import lazy_gettext as _l

from app.errors import Refusal
from app.text import has_control_characters

E = TypeVar("E", bound=enum.Enum)
_MISSING = object()


def invalid(field: str, message: Any) -> Refusal:
    return Refusal("invalid_request", message, status=400, field=field)


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refusal("invalid_json", _l("The request body must be a JSON object."), status=400)
    return data


def _value(data: dict[str, Any], field: str, required: bool) -> Any:
    value = data.get(field, _MISSING)
    if value is _MISSING or value is None or value == "":
        if required:
            raise invalid(field, _l("The field %(field)s is required.", field=field))
        return None
    return value


def text(
    data: dict[str, Any], field: str, *, required: bool = True, max_length: int = 200
) -> str | None:
    value = _value(data, field, required)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(field, _l("The field %(field)s must be text.", field=field))
    if has_control_characters(value):
        raise invalid(
            field, _l("The field %(field)s contains invisible control characters.", field=field)
        )
    value = value.strip()
    if required and not value:
        raise invalid(field, _l("The field %(field)s is required.", field=field))
    if len(value) > max_length:
        raise invalid(
            field,
            _l("The field %(field)s is longer than %(n)s characters.", field=field, n=max_length),
        )
    return value


def integer(data: dict[str, Any], field: str, *, required: bool = True) -> int | None:
    value = _value(data, field, required)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, _l("The field %(field)s must be a whole number.", field=field))
    return value


def day(data: dict[str, Any], field: str, *, required: bool = True) -> date | None:
    value = text(data, field, required=required, max_length=10)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise invalid(
            field, _l("The field %(field)s must be a date YYYY-MM-DD.", field=field)
        ) from exc


def clock(data: dict[str, Any], field: str, *, required: bool = True) -> time | None:
    value = text(data, field, required=required, max_length=8)
    if value is None:
        return None
    try:
        parsed = time.fromisoformat(value)
    except ValueError as exc:
        raise invalid(field, _l("The field %(field)s must be a time HH:MM.", field=field)) from exc
    return parsed.replace(second=0, microsecond=0)


def moment(data: dict[str, Any], field: str, *, required: bool = True) -> datetime | None:
    value = text(data, field, required=required, max_length=40)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise invalid(
            field, _l("The field %(field)s must be an ISO 8601 date and time.", field=field)
        ) from exc
    if parsed.tzinfo is None:
        raise invalid(
            field, _l("The field %(field)s must include a time zone offset.", field=field)
        )
    return parsed


def choice(data: dict[str, Any], field: str, enum_type: type[E], *, default: E | None = None) -> E:
    value = _value(data, field, default is None)
    if value is None:
        assert default is not None
        return default
    try:
        return enum_type(value)
    except ValueError as exc:
        options = ", ".join(str(member.value) for member in enum_type)
        raise invalid(
            field,
            _l("The field %(field)s must be one of: %(options)s.", field=field, options=options),
        ) from exc
