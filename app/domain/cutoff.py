"""The registration window of a session (docs/rules.md, "Registration window").

Registrations for a session on day D are accepted until 10:00 (Europe/Brussels) on the next
working day after D. A working day is Monday to Friday, not a Belgian public holiday and not a
closure day the organisation configured.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

BRUSSELS = ZoneInfo("Europe/Brussels")
DEADLINE_TIME = time(10, 0)
DEFAULT_EARLY_MINUTES = 60


@lru_cache(maxsize=16)
def belgian_public_holidays(year: int) -> frozenset[date]:
    """The Belgian public holidays of a year (the table is built once per year, not per scan)."""
    return frozenset(holidays.country_holidays("BE", years=year))


def is_working_day(day: date, closures: Iterable[date] = ()) -> bool:
    """Monday to Friday, not a Belgian public holiday, not a configured closure day."""
    if day.weekday() >= 5:
        return False
    if day in belgian_public_holidays(day.year):
        return False
    return day not in set(closures)


def next_working_day(day: date, closures: Iterable[date] = ()) -> date:
    """The first working day strictly after ``day``."""
    closed = set(closures)
    candidate = day + timedelta(days=1)
    while not is_working_day(candidate, closed):
        candidate += timedelta(days=1)
    return candidate


def registration_deadline(day: date, closures: Iterable[date] = ()) -> datetime:
    """Until when registrations for a session on ``day`` are accepted (aware, Brussels time).

    Built from the local wall-clock time so that 10:00 stays 10:00 across daylight-saving changes.
    """
    return datetime.combine(next_working_day(day, closures), DEADLINE_TIME, tzinfo=BRUSSELS)


def scan_opens(start: datetime, early_minutes: int = DEFAULT_EARLY_MINUTES) -> datetime:
    """The first moment a scan for a session starting at ``start`` is accepted."""
    return start - timedelta(minutes=early_minutes)


def window_refusal(
    at: datetime,
    *,
    start: datetime,
    deadline: datetime,
    now: datetime,
    early_minutes: int = DEFAULT_EARLY_MINUTES,
    reopened: bool = False,
) -> str | None:
    """Why a registration happening at ``at`` and received at ``now`` is refused, or ``None``.

    A registration must happen inside [start - early, deadline] and reach the server before the
    deadline. An offline scan keeps the time it was made, so only its arrival is held to the
    deadline. A session support reopened accepts registrations until it is closed again.
    """
    if at < scan_opens(start, early_minutes):
        return "too_early"
    if reopened:
        return None
    if at > deadline or now > deadline:
        return "registration_closed"
    return None
