"""Text that a database can store and a person can read: no control characters."""

from __future__ import annotations

import re

# Control characters have no place in a name, an address or a reason; PostgreSQL refuses NUL
# outright. Tab, line feed and carriage return stay allowed (text areas, pasted text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    return bool(_CONTROL.search(value))


def without_control_characters(value: str) -> str:
    """For search boxes and filters: what can be searched for, rather than a refusal."""
    return _CONTROL.sub("", value)
