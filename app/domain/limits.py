"""What the product accepts at all: the range of dates and ids, and text a reader can take.

Every date the product takes (sessions, enrolments, justifications, exams, closure days,
filters) lies in ``EARLIEST_DAY`` .. ``LATEST_DAY``: a session in the year 9999 has a deadline
past what a datetime can hold, and one in the year 1 prints with a local-mean-time offset.
Every id fits the database's 32-bit integer. See docs/rules.md, "Limits".
"""

from __future__ import annotations

import re
from datetime import date

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
MAX_ID = 2**31 - 1

# Control characters have no place in a name, an address or a reason (PostgreSQL refuses NUL
# outright); a lone surrogate cannot be encoded as UTF-8. Tab, line feed and carriage return
# are allowed in multi-line text only: in a one-line value (a code, a number, a name) they
# break CSV rows and spreadsheet cells later.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029\x85]")


def day_in_range(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def id_in_range(value: int) -> bool:
    return 1 <= value <= MAX_ID


def has_control_characters(value: str) -> bool:
    """Characters no stored text may hold (line breaks excepted)."""
    return bool(_CONTROL.search(value))


def has_line_breaks(value: str) -> bool:
    """Line breaks and tabs, which a one-line value may not hold."""
    return bool(_LINE_BREAKS.search(value))


def without_control_characters(value: str) -> str:
    """For search boxes and filters: what can be searched for, rather than a refusal."""
    return _LINE_BREAKS.sub(" ", _CONTROL.sub("", value))


# The same two character classes, for the API's JSON Schema (app/api/schemas.py), which states
# this rule as a pattern so that clients and generated tests see exactly what is refused.
CONTROL_CHARACTERS = _CONTROL
LINE_BREAKS = _LINE_BREAKS
