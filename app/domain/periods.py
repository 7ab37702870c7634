"""Lesson periods for the attest van nauwgezetheid, and certificate deadlines (docs/rules.md,
"Lesson periods" and "Certificates").

Not organised per school year: a training of at most three months is one period; a longer one
is cut every three calendar months counted from its start (``start + 3k months``, clamped to the
month's end as ``dateutil.relativedelta`` does: a training starting on 31 August is cut on
30 November and 28/29 February). Each period ends the day before the next starts; the last
ends on the training's end. "At most three months" means ``end < start + 3 months``: a training
from 1 January to 31 March is one period, one from 1 January to 1 April is two.

Organised per school year: the periods are the school terms (trimesters) intersected with the
training. The terms start by default on 1 September, 1 January and 1 April; an organisation with
other term boundaries passes its own ``terms`` as (month, day) pairs; a term start is valid in
every year (29 February is refused).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

Period = tuple[date, date]
DEFAULT_TERM_STARTS: tuple[tuple[int, int], ...] = ((9, 1), (1, 1), (4, 1))
DILIGENCE_DUE_DAYS = 8
REGULAR_ENROLMENT_DUE_DAYS = 20
LATE_ENROLMENT_DUE_DAYS = 8
SECOND_SITTING_DUE_DAYS = 8


def lesson_periods(
    start: date,
    end: date,
    per_school_year: bool,
    terms: Sequence[tuple[int, int]] = DEFAULT_TERM_STARTS,
) -> list[Period]:
    """The lesson periods of a training from ``start`` to ``end`` (both included)."""
    if end < start:
        raise ValueError("a training cannot end before it starts")
    if per_school_year:
        return _terms(start, end, terms)
    cuts = []
    k = 1
    while (cut := start + relativedelta(months=3 * k)) <= end:
        cuts.append(cut)
        k += 1
    return _between(start, end, cuts)


def _between(start: date, end: date, cuts: list[date]) -> list[Period]:
    bounds = [start, *cuts]
    return [
        (first, (bounds[i + 1] - timedelta(days=1)) if i + 1 < len(bounds) else end)
        for i, first in enumerate(bounds)
    ]


def _terms(start: date, end: date, terms: Sequence[tuple[int, int]]) -> list[Period]:
    if (2, 29) in terms:
        # A boundary that exists one year in four would silently move the periods.
        raise ValueError("a term cannot start on 29 February")
    cuts = sorted(
        {
            date(year, month, day)
            for year in range(start.year, end.year + 1)
            for month, day in terms
            if start < date(year, month, day) <= end
        }
    )
    return _between(start, end, cuts)


def certificate_due(period_end: date) -> date:
    """The attest van nauwgezetheid is due within 8 days after its period ends."""
    return period_end + timedelta(days=DILIGENCE_DUE_DAYS)


def regular_enrolment_certificate_due(training_start: date, enrolled_on: date) -> date:
    """Within 20 days after the start, or within 8 days after a late enrolment."""
    if enrolled_on > training_start:
        return enrolled_on + timedelta(days=LATE_ENROLMENT_DUE_DAYS)
    return training_start + timedelta(days=REGULAR_ENROLMENT_DUE_DAYS)


def second_sitting_certificate_due(sitting_end: date) -> date:
    """Within 8 days after the end of the first and of the second sitting."""
    return sitting_end + timedelta(days=SECOND_SITTING_DUE_DAYS)
