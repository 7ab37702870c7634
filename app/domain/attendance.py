"""Hours present in a session, and whether a participant counts as present (docs/rules.md,
"Hours and thresholds (figures)").

Registrations are ``(kind, at)`` pairs with ``kind`` "in" or "out" and ``at`` an aware datetime,
in any order. Durations are computed on absolute time, so a session across a daylight-saving
change counts the hours that really passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, NamedTuple

Kind = Literal["in", "out"]
Registration = tuple[Kind, datetime]
Interval = tuple[datetime, datetime]

DEFAULT_GRACE = timedelta(minutes=10)


def presence_intervals(registrations: Iterable[Registration]) -> list[Interval]:
    """Each check-in up to the next check-out, merged where they overlap.

    A second check-in while already in keeps the first one (the person never left); a check-out
    with no check-in before it is ignored; a check-in with no check-out after it is open and
    yields no interval: the software does not invent a check-out.
    """
    return _intervals(_ordered(registrations))


def _intervals(ordered: list[Registration]) -> list[Interval]:
    intervals: list[Interval] = []
    opened: datetime | None = None
    for kind, at in ordered:
        if kind == "in" and opened is None:
            opened = at
        elif kind == "out" and opened is not None:
            if at > opened:
                intervals.append((opened, at))
            opened = None
    return _merge(intervals)


def _utc(moment: datetime) -> datetime:
    """Aware datetimes with the same tzinfo subtract as wall-clock times in Python; in UTC the
    difference is the time that really passed, also across a daylight-saving change."""
    if moment.tzinfo is UTC:  # as the database gives them: nothing to convert
        return moment
    if moment.tzinfo is None:
        raise ValueError("naive datetime: registrations and session times must be aware")
    return moment.astimezone(UTC)


def _ordered(registrations: Iterable[Registration]) -> list[Registration]:
    ordered = [(kind, _utc(at)) for kind, at in registrations]
    ordered.sort(key=_instant)
    return ordered


def _instant(registration: Registration) -> tuple[datetime, bool]:
    # At the same instant a check-out sorts before a check-in (out, then back in).
    return registration[1], registration[0] == "in"


def _merge(intervals: list[Interval]) -> list[Interval]:
    if len(intervals) < 2:
        return intervals  # nothing to merge (the usual case: one check-in, one check-out)
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap(a: Interval, b: Interval) -> timedelta:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return end - start if end > start else timedelta(0)


def is_incomplete(registrations: Iterable[Registration]) -> bool:
    """True when the last check-in has no check-out after it (to be resolved by a person)."""
    return _last_is_in(_ordered(registrations))


def _last_is_in(ordered: list[Registration]) -> bool:
    return bool(ordered) and ordered[-1][0] == "in"


class Span(NamedTuple):
    """A session's start, end and planned break in UTC; no break unless both ends are set."""

    start: datetime
    end: datetime
    break_start: datetime | None
    break_end: datetime | None


def span(
    start: datetime, end: datetime, break_start: datetime | None, break_end: datetime | None
) -> Span:
    if break_start is None or break_end is None:
        return Span(_utc(start), _utc(end), None, None)
    return Span(_utc(start), _utc(end), _utc(break_start), _utc(break_end))


def present_time(
    start: datetime,
    end: datetime,
    break_start: datetime | None,
    break_end: datetime | None,
    registrations: Iterable[Registration],
) -> timedelta:
    """Time between check-ins and check-outs, clipped to the session, minus the planned break."""
    return _present(span(start, end, break_start, break_end), presence_intervals(registrations))


def _present(session: Span, intervals: list[Interval]) -> timedelta:
    start, end, break_start, break_end = session
    whole = (start, end)
    pause = (
        (max(start, break_start), min(end, break_end))
        if break_start is not None and break_end is not None
        else None
    )
    total = timedelta(0)
    for interval in intervals:
        total += _overlap(interval, whole)
        if pause is not None:
            total -= _overlap(interval, pause)
    return total


def planned_time(
    start: datetime, end: datetime, break_start: datetime | None, break_end: datetime | None
) -> timedelta:
    """The session's hours that count: start to end minus the planned break."""
    start, end = _utc(start), _utc(end)
    if break_start is None or break_end is None:
        return end - start
    return (end - start) - _overlap((start, end), (_utc(break_start), _utc(break_end)))


def _covers(intervals: list[Interval], part: Interval, grace: timedelta) -> bool:
    """One presence interval spans the part, allowing ``grace`` at each edge.

    A gap in the middle of the part breaks the cover: the person was not there the whole part.
    """
    wanted_start, wanted_end = part[0] + grace, part[1] - grace
    if wanted_end <= wanted_start:
        return any(_overlap(i, part) > timedelta(0) for i in intervals)
    for start, end in intervals:  # noqa: SIM110 - no generator per call: the figures call this per line
        if start <= wanted_start and end >= wanted_end:
            return True
    return False


def counts_as_present(
    start: datetime,
    end: datetime,
    break_start: datetime | None,
    break_end: datetime | None,
    registrations: Iterable[Registration],
    grace: timedelta = DEFAULT_GRACE,
) -> bool:
    """The Syntra rule: present when attending the whole part before or after the break.

    Without a break the whole session must be attended. Arriving up to ``grace`` late or
    leaving up to ``grace`` early still counts as the whole part.
    """
    return _counts(
        span(start, end, break_start, break_end), presence_intervals(registrations), grace
    )


def _counts(session: Span, intervals: list[Interval], grace: timedelta) -> bool:
    start, end, break_start, break_end = session
    if not intervals:
        return False  # nobody covers anything without a presence interval
    if break_start is None or break_end is None:
        return _covers(intervals, (start, end), grace)
    return _covers(intervals, (start, break_start), grace) or _covers(
        intervals, (break_end, end), grace
    )


class Presence(NamedTuple):
    """One participant in one session: :func:`present_time`, :func:`is_incomplete` and
    :func:`counts_as_present` together."""

    present: timedelta
    incomplete: bool
    counts_as_present: bool


def presence(
    session: Span, registrations: Iterable[Registration], grace: timedelta = DEFAULT_GRACE
) -> Presence:
    """The three answers above from one pass over the registrations (sorted once, intervals
    built once), for a session's :func:`span` worked out once: the figures of a whole training
    ask them for every participant and session."""
    ordered = _ordered(registrations)
    intervals = _intervals(ordered)
    return Presence(
        _present(session, intervals), _last_is_in(ordered), _counts(session, intervals, grace)
    )


def hours(duration: timedelta) -> Decimal:
    """A duration as decimal hours with two decimals, for reports and certificates."""
    # Whole microseconds, not float seconds, so the rounding never depends on a binary fraction.
    microseconds = duration // timedelta(microseconds=1)
    return (Decimal(microseconds) / Decimal(3_600_000_000)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
