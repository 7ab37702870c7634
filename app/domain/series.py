"""Planning a series of sessions: every chosen weekday between two dates, in one step.

Days that fall on a Belgian public holiday or a closure day are proposed but not planned
unless the promotor ticks them back; so are days that would overlap another session. See
docs/rules.md, "Planning in series".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

from app.domain.limits import day_in_range

MAX_SERIES_DAYS = 400  # a series longer than a school year and a bit is a typing error


@dataclass(frozen=True, slots=True)
class SeriesDay:
    """One proposed date: ``holiday`` or ``closure`` name why it is skipped by default."""

    day: date
    holiday: str | None = None
    closure: str | None = None

    @property
    def skipped_by_default(self) -> bool:
        return self.holiday is not None or self.closure is not None


class SeriesProblem(ValueError):
    """Why the series cannot be proposed: a reason code."""


def series_days(
    first: date,
    last: date,
    weekdays: Iterable[int],
    closures: Mapping[date, str] | None = None,
    language: str = "nl",
) -> list[SeriesDay]:
    """Every date from ``first`` to ``last`` (both included) on one of ``weekdays`` (Monday 0).

    Belgian public holidays (the ``holidays`` package, names in Dutch) and the organisation's
    closure days are marked, not left out: the promotor decides. ``language`` names the
    holidays ("nl", "en", "fr", "de").
    """
    chosen = set(weekdays)
    if not chosen or not chosen <= set(range(7)):
        raise SeriesProblem("no_weekdays")
    if not (day_in_range(first) and day_in_range(last)):
        raise SeriesProblem("out_of_range")
    if last < first:
        raise SeriesProblem("last_before_first")
    if (last - first).days > MAX_SERIES_DAYS:
        raise SeriesProblem("too_long")
    closures = closures or {}
    years = range(first.year, last.year + 1)
    public = holidays.country_holidays("BE", years=years, language=language)
    result: list[SeriesDay] = []
    day = first
    while day <= last:
        if day.weekday() in chosen:
            result.append(SeriesDay(day, public.get(day), closures.get(day)))
        day += timedelta(days=1)
    return result
