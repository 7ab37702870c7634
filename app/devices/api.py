"""``POST /api/v1/devices/pair``: a scanner exchanges a pairing token for its own token.

Outside the API blueprint on purpose: that one authenticates every request by an API token,
while here the pairing token in the body is the only credential (as pretix's
``/api/v1/device/initialize``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from app.devices import bp
from app.devices.operations import exchange_pairing
from app.domain.limits import has_control_characters, has_line_breaks
from app.errors import Refusal
from app.extensions import limiter

MAX_BODY = 4096  # bytes: a pairing request is about a hundred
MAX_NAME = 120  # ApiToken.device_name


def _invalid(field: str, message: Any) -> Refusal:
    return Refusal("invalid_request", message, status=400, field=field)


def _body() -> dict[str, Any]:
    if (request.content_length or 0) > MAX_BODY:
        raise Refusal("too_large", _l("The request is too large."), status=413)
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY:
        raise Refusal("too_large", _l("The request is too large."), status=413)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise Refusal("invalid_json", _l("The request body must be a JSON object."), status=400)
    return data


def _one_line(data: dict[str, Any], field: str, max_length: int, required: bool) -> str:
    value = data.get(field)
    if value is None or value == "":
        if required:
            raise _invalid(field, _l("The field %(field)s is required.", field=field))
        return ""
    if not isinstance(value, str):
        raise _invalid(field, _l("The field %(field)s must be text.", field=field))
    if has_control_characters(value) or has_line_breaks(value):
        raise _invalid(
            field, _l("The field %(field)s contains invisible control characters.", field=field)
        )
    if len(value) > max_length:
        raise _invalid(
            field,
            _l("The field %(field)s is longer than %(n)s characters.", field=field, n=max_length),
        )
    return value.strip()


@bp.post("/pair")
@limiter.limit("30 per minute")
def pair():  # type: ignore[no-untyped-def]
    data = _body()
    pairing_token = _one_line(data, "token", 200, required=True)
    device_name = _one_line(data, "device_name", MAX_NAME, required=False)
    token, plain = exchange_pairing(pairing_token, device_name, datetime.now(UTC))
    response = jsonify(
        {
            "token": plain,
            "device_name": token.device_name,
            "user": {"name": token.user.display_name, "email": token.user.email},
        }
    )
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response
