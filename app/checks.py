"""Input checks every operation applies, whichever door the input came through (web form, API,
import, command line): the rules are in ``app.domain.limits``."""

from __future__ import annotations

from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from app.domain.limits import (
    EARLIEST_DAY,
    LATEST_DAY,
    day_in_range,
    has_control_characters,
    has_line_breaks,
)
from app.errors import Refusal


def day(value: date, field: str) -> date:
    """``value`` if it lies in the range the product takes, else a refusal naming ``field``."""
    if not day_in_range(value):
        raise Refusal(
            "date_out_of_range",
            _l(
                "Give a date between %(first)s and %(last)s.",
                first=format_date(EARLIEST_DAY, "dd/MM/yyyy"),
                last=format_date(LATEST_DAY, "dd/MM/yyyy"),
            ),
            field=field,
        )
    return value


def optional_day(value: date | None, field: str) -> date | None:
    return None if value is None else day(value, field)


def text(value: str, field: str, one_line: bool = True) -> str:
    """Text without control characters (and, for a one-line value, without line breaks)."""
    if has_control_characters(value):
        raise Refusal(
            "control_characters",
            _l("Remove the invisible control characters from this field."),
            field=field,
        )
    if one_line and has_line_breaks(value):
        raise Refusal(
            "line_break",
            _l("This field takes a single line (no line breaks or tabs)."),
            field=field,
        )
    return value


def clean_email(text: str) -> str:
    """A participant's or supervisor's address as the forms take it (the case kept: it is theirs)."""
    try:
        return validate_email(text or "", check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Refusal("invalid_email", _l("This is not a valid email address.")) from exc
