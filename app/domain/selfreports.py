"""Hours a participant reports for an e-learning training (docs/rules.md, "E-learning
self-reports").

A report names a day and either a start and end time (Brussels wall-clock) or a duration. It is
refused, with the reason, when

- it gives neither times nor a duration, an end not after its start, or a duration outside
  1 minute .. 24 hours (``no_time``, ``end_before_start``, ``duration_range``);
- it ends in the future (``future``);
- it comes after the registration deadline of the day reported: 10:00 on the next working day
  (docs/rules.md, "Registration window"; ``registration_closed``). A correction of an earlier report of the same day was
  asked for after that report came in time, so it is not held to the deadline again;
- the day lies outside the participant's enrolment in the training (``before_enrolment``,
  ``after_termination``);
- its times overlap another report of the same person that still stands (waiting or approved,
  any training; ``overlap``);
- the person's reports of that day would add up to more than 24 hours (``over_24_hours``).

Durations are real elapsed time: on the day the clocks go back, 00:00-23:59 lasts 24 h 59 (and is
refused as more than a day).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.domain.cutoff import BRUSSELS, registration_deadline

MIN_DURATION = timedelta(minutes=1)
MAX_PER_DAY = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Reported:
    """What a report says: a day and either ``start``/``end`` or ``duration``."""

    day: date
    start: time | None = None
    end: time | None = None
    duration: timedelta | None = None
    id: int | None = None  # the stored report's id, to name it in an overlap


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    other_id: int | None = None


def interval(report: Reported) -> tuple[datetime, datetime] | None:
    """The report's start and end as aware datetimes, or ``None`` for a duration only."""
    if report.start is None or report.end is None:
        return None
    return (
        datetime.combine(report.day, report.start, tzinfo=BRUSSELS),
        datetime.combine(report.day, report.end, tzinfo=BRUSSELS),
    )


def reported_time(report: Reported) -> timedelta:
    """The time the report claims: between its start and end (elapsed), or its duration."""
    span = interval(report)
    if span is not None:
        return span[1].astimezone(UTC) - span[0].astimezone(UTC)
    return report.duration or timedelta(0)


def _shape_problem(report: Reported) -> Problem | None:
    if (report.start is None) != (report.end is None):
        return Problem("no_time")
    if report.start is None and report.duration is None:
        return Problem("no_time")
    if report.start is not None and report.end is not None and report.end <= report.start:
        return Problem("end_before_start")
    if not MIN_DURATION <= reported_time(report) <= MAX_PER_DAY:
        return Problem("duration_range")
    return None


def ends_at(report: Reported) -> datetime:
    """When the reported time ends at the earliest: its end, or for a duration only the day's
    midnight plus the duration (a duration reported today may not exceed the time passed)."""
    span = interval(report)
    if span is not None:
        return span[1]
    midnight = datetime.combine(report.day, time(0), tzinfo=BRUSSELS).astimezone(UTC)
    return midnight + reported_time(report)


def overlapping(report: Reported, others: Iterable[Reported]) -> Reported | None:
    """The first other report whose times overlap this one's (touching is no overlap)."""
    mine = interval(report)
    if mine is None:
        return None
    for other in others:
        theirs = interval(other)
        if theirs is not None and theirs[0] < mine[1] and mine[0] < theirs[1]:
            return other
    return None


def self_report_problem(
    report: Reported,
    others: Iterable[Reported],
    *,
    now: datetime,
    closures: Iterable[date] = (),
    enrolled_on: date | None = None,
    terminated_on: date | None = None,
    correcting_day: date | None = None,
) -> Problem | None:
    """Why ``report`` is refused (see the module's rules), or ``None`` when it is accepted.

    ``others`` are the person's reports that still stand (the one being corrected left out);
    ``correcting_day`` is the day of the report this one corrects, if it is a correction.
    """
    shape = _shape_problem(report)
    if shape is not None:
        return shape
    if ends_at(report) > now:
        return Problem("future")
    if correcting_day != report.day and now > registration_deadline(report.day, closures):
        return Problem("registration_closed")
    if enrolled_on is not None and report.day < enrolled_on:
        return Problem("before_enrolment")
    if terminated_on is not None and report.day > terminated_on:
        return Problem("after_termination")
    same_day = [other for other in others if other.day == report.day]
    clash = overlapping(report, same_day)
    if clash is not None:
        return Problem("overlap", clash.id)
    total = sum((reported_time(other) for other in same_day), reported_time(report))
    if total > MAX_PER_DAY:
        return Problem("over_24_hours")
    return None
