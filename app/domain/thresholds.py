"""The figures per participant and the thresholds that follow from them (docs/rules.md,
"Hours and thresholds (figures)").

Durations are ``timedelta``; ratios are ``Fraction`` so a threshold exactly on the line is
decided exactly (2/3, 10%), never by a rounding error.

What counts (the seeds, decided where they are silent):
- *Hours actually given* (werkelijk gegeven lesuren, ``AttendanceFigures.planned``) are the
  planned hours (start to end minus the break) of the sessions already held; a future session is
  not given yet and counts nowhere.
- *Counting hours* are the hours actually given, minus exempted hours (vrijstelling: neither
  present nor absent) and hours missed through late enrolment.
- A session in which the participant counts as present (the Syntra rule) adds its planned hours
  to *present*; the roll call and the paper list work per lesson, so the exam rule does too.
- An absence is *justified* or *unjustified* for all the session's planned hours.
- An *incomplete* session (check-in, no check-out yet) counts nowhere until someone resolves it;
  *future* sessions count nowhere.
- The exam rule (2/3 attended) counts attended hours only: a justified absence excuses the
  participant but is not attendance (seed 000: "minstens 2/3 van de lessen bijgewoond").
- Paid educational leave is lost when unjustified absence exceeds 10% of the counting hours;
  exactly 10% keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Literal

EXAM_MIN_ATTENDANCE = Fraction(2, 3)
PAID_LEAVE_MAX_UNJUSTIFIED = Fraction(1, 10)
ZERO = timedelta(0)
_TICK = timedelta(microseconds=1)

Status = Literal["present", "absent", "exempt", "late_enrolment", "incomplete", "future"]


@dataclass(frozen=True, slots=True)
class SessionAttendance:
    """One participant in one session, as the figures need it."""

    planned: timedelta
    present: timedelta
    status: Status
    justified: bool = False


@dataclass(frozen=True, slots=True)
class AttendanceFigures:
    """Hours per participant, for a training or for one lesson period."""

    planned: timedelta = ZERO  # sessions already given
    exempted: timedelta = ZERO
    late_enrolment: timedelta = ZERO
    present: timedelta = ZERO
    justified: timedelta = ZERO
    unjustified: timedelta = ZERO
    incomplete: timedelta = ZERO

    @property
    def counting(self) -> timedelta:
        """The hours the thresholds are measured against."""
        return self.planned - self.exempted - self.late_enrolment

    def _ratio(self, part: timedelta) -> Fraction:
        # Nothing to count yet is no failure: 0, never a division by zero.
        if self.counting <= ZERO:
            return Fraction(0)
        return _fraction(part, self.counting)

    @property
    def attendance_ratio(self) -> Fraction:
        """Present hours over counting hours (0 when nothing counts yet)."""
        return self._ratio(self.present)

    @property
    def justified_ratio(self) -> Fraction:
        """Justified absence over counting hours (0 when nothing counts yet)."""
        return self._ratio(self.justified)

    @property
    def unjustified_ratio(self) -> Fraction:
        """Unjustified absence over counting hours (0 when nothing counts yet)."""
        return self._ratio(self.unjustified)


def figures_for(
    sessions: Iterable[SessionAttendance], extra_exempted: timedelta = ZERO
) -> AttendanceFigures:
    """Add up one participant's sessions; ``extra_exempted`` is an exemption in hours."""
    totals = dict.fromkeys(
        (
            "planned",
            "exempted",
            "late_enrolment",
            "present",
            "justified",
            "unjustified",
            "incomplete",
        ),
        ZERO,
    )
    for s in sessions:
        if s.status == "future":
            continue
        totals["planned"] += s.planned
        if s.status == "exempt":
            totals["exempted"] += s.planned
        elif s.status == "late_enrolment":
            totals["late_enrolment"] += s.planned
        elif s.status == "present":
            totals["present"] += s.planned
        elif s.status == "incomplete":
            totals["incomplete"] += s.planned
        elif s.justified:
            totals["justified"] += s.planned
        else:
            totals["unjustified"] += s.planned
    totals["exempted"] += min(extra_exempted, totals["planned"] - totals["exempted"])
    return AttendanceFigures(**totals)


def exam_eligible(figures: AttendanceFigures) -> bool:
    """At least two thirds of the counting hours attended (nothing to count: eligible)."""
    if figures.counting <= ZERO:
        return True
    return figures.attendance_ratio >= EXAM_MIN_ATTENDANCE


def keeps_paid_leave(figures: AttendanceFigures) -> bool:
    """Unjustified absence of at most 10% of the period's counting hours."""
    return figures.unjustified_ratio <= PAID_LEAVE_MAX_UNJUSTIFIED


def at_risk(figures: AttendanceFigures, next_session: timedelta, remaining: timedelta) -> list[str]:
    """The thresholds that one more unjustified absence (of ``next_session``) would put out of
    reach, while they can still be met now: the early warning, in time to act.

    Measured against the whole training (or period): ``remaining`` is the planned hours not yet
    given, ``next_session`` included. The exam rule looks at the best case (attending every
    remaining lesson); paid leave at the unjustified hours against all counting hours.
    """
    total = figures.counting + remaining
    if total <= ZERO or next_session <= ZERO:
        return []
    best = figures.present + remaining
    warnings = []
    if _fraction(best, total) >= EXAM_MIN_ATTENDANCE > _fraction(best - next_session, total):
        warnings.append("exam")
    unjustified = figures.unjustified
    if (
        _fraction(unjustified, total)
        <= PAID_LEAVE_MAX_UNJUSTIFIED
        < _fraction(unjustified + next_session, total)
    ):
        warnings.append("paid_leave")
    return warnings


def _fraction(part: timedelta, whole: timedelta) -> Fraction:
    # Whole microseconds, not float seconds: a threshold exactly on the line stays on it.
    return Fraction(part // _TICK, whole // _TICK)
