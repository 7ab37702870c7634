"""JSON as the standard defines it, wherever a request's JSON is read.

Python's ``json`` reads ``NaN``, ``Infinity`` and ``-Infinity``, which are not JSON, and turns a
number like ``1e999`` into an infinite float. Neither can be stored (PostgreSQL's json type
refuses them: a 500 where a 400 belongs) nor read back by another program. The app's JSON
provider (``request.get_json``) and the exchange, which keeps the event as received, read
through ``loads`` here, which refuses them with ``NonStandardNumber``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask.json.provider import DefaultJSONProvider


class NonStandardNumber(ValueError):
    """``NaN``, ``Infinity`` or a number too large for a float: not a JSON number we take."""


def _constant(name: str) -> Any:
    raise NonStandardNumber(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NonStandardNumber(f"{text} is out of range")
    return value


def loads(text: str | bytes, **kwargs: Any) -> Any:
    kwargs.setdefault("parse_constant", _constant)
    kwargs.setdefault("parse_float", _float)
    return json.loads(text, **kwargs)


def is_non_standard(error: BaseException | None) -> bool:
    """Whether ``error`` (a ``BadRequest`` from ``get_json``) came from such a number."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, NonStandardNumber):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)
