"""The figures per participant and the thresholds that follow from them (docs/rules.md,
"Hours and thresholds (figures)").

Durations are ``timedelta``; ratios are ``Fraction`` so a threshold exactly on the line is
decided exactly (2/3, 10%), never by a rounding error. The rules in plain words, with their
sources and the decisions taken where the sources are silent, are in ``docs/rules.md``
("Hours and thresholds (figures)").

What counts:
- *Hours actually given* (werkelijk gegeven lesuren, ``AttendanceFigures.planned``) are the
  planned hours (start to end minus the break) of the sessions already held, plus the approved
  e-learning hours of the participant; a future session is not given yet and counts nowhere.
- *Counting hours* are the hours actually given, minus exempted hours (vrijstelling: neither
  present nor absent) and hours missed through late enrolment.
- *Hours present* depend on the training's ``hours_method`` (:data:`HoursMethod`):
  ``"registered"`` (the default) counts the registered time, clipped to the session and minus
  the break (``app.domain.attendance.present_time``); ``"lessons"`` (an organisation whose
  recognition counts whole lessons) gives a lesson counted present by the Syntra rule its full
  planned hours and any other lesson none.
- *Absence* is the rest of a held lesson's planned hours (planned minus present): *justified*
  when a justification names the session, *unjustified* otherwise. So a late arrival gives
  partial present and partial unjustified hours, unless it is justified.
- An *incomplete* session (check-in, no check-out yet) is given and counts, but is neither
  present nor absent until someone resolves it; *future* sessions count nowhere.
- The *exam rule* counts lessons, not hours (seed 000: "2/3de aanwezig", domain: "2/3 of the
  lessons"): lessons marked present (the Syntra rule, the X of the paper list) over the counting
  lessons, under both hours methods. A justified absence is excused but is not attendance.
  E-learning hours are not lessons: they are not in this count.
- *Paid educational leave* is judged per lesson period (:func:`paid_leave_periods`): it is lost
  in a period when unjustified absence exceeds 10% of that period's counting hours (those still
  to come included, so "lost" is final); exactly 10% keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal

EXAM_MIN_ATTENDANCE = Fraction(2, 3)
PAID_LEAVE_MAX_UNJUSTIFIED = Fraction(1, 10)
ZERO = timedelta(0)
_TICK = timedelta(microseconds=1)

Status = Literal["present", "absent", "exempt", "late_enrolment", "incomplete", "future"]
HoursMethod = Literal["registered", "lessons"]
HOURS_METHODS: tuple[HoursMethod, ...] = ("registered", "lessons")
DEFAULT_HOURS_METHOD: HoursMethod = "registered"
Period = tuple[date, date]


@dataclass(frozen=True, slots=True)
class SessionAttendance:
    """One participant in one session (or one approved e-learning report, ``lesson=False``),
    as the figures need it: ``present`` is the registered time (``present_time``), ``status``
    the per-lesson mark (``app.domain.participation.session_status``)."""

    planned: timedelta
    present: timedelta
    status: Status
    justified: bool = False
    lesson: bool = True
    # An exempted lesson or one before the enrolment has its own status whether or not it was
    # held; ``held`` says whether its hours were given yet (a "future" lesson never is).
    held: bool = True
    # Registrations can still be added to this lesson (ended, not locked yet): an absence in
    # it is provisional (docs/rules.md, "Provisional until the session locks").
    open: bool = False


@dataclass(frozen=True, slots=True)
class AttendanceFigures:
    """Hours per participant, for a training or for one lesson period, and the lessons the
    exam rule counts."""

    planned: timedelta = ZERO  # hours given: sessions already held, approved e-learning hours
    exempted: timedelta = ZERO
    late_enrolment: timedelta = ZERO
    present: timedelta = ZERO
    justified: timedelta = ZERO
    unjustified: timedelta = ZERO
    incomplete: timedelta = ZERO
    lessons: int = 0  # counting lessons: held, not exempted, not before the enrolment
    lessons_present: int = 0  # of which marked present (the Syntra rule)
    self_reported: timedelta = ZERO  # approved e-learning hours, included in planned and present
    # Of ``unjustified``: the hours in lessons whose registrations are still open (they can
    # still turn into presence until the session locks).
    unsettled: timedelta = ZERO

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

    @property
    def lesson_ratio(self) -> Fraction:
        """Lessons marked present over counting lessons (0 when none counts yet)."""
        return Fraction(self.lessons_present, self.lessons) if self.lessons else Fraction(0)


def hours_present(
    session: SessionAttendance, method: HoursMethod = DEFAULT_HOURS_METHOD
) -> timedelta:
    """The hours present a held, counting lesson gives: the registered time (never more than
    the planned hours), or per lesson its full planned hours when marked present, else none."""
    if method == "lessons":
        return session.planned if session.status == "present" else ZERO
    return min(session.present, session.planned)


def figures_for(
    sessions: Iterable[SessionAttendance],
    extra_exempted: timedelta = ZERO,
    method: HoursMethod = DEFAULT_HOURS_METHOD,
) -> AttendanceFigures:
    """Add up one participant's sessions; ``extra_exempted`` is an exemption in hours."""
    planned = exempted = late = present = justified = unjustified = incomplete = ZERO
    self_reported = unsettled = ZERO
    lessons = lessons_present = 0
    for s in sessions:
        if s.status == "future" or not s.held:
            # Not given yet: counts nowhere (an exempted lesson to come is not "to come"
            # either: see ``upcoming``).
            continue
        planned += s.planned
        if not s.lesson:
            self_reported += s.planned
        if s.status == "exempt":
            exempted += s.planned
            continue
        if s.status == "late_enrolment":
            late += s.planned
            continue
        if s.lesson:
            lessons += 1
            lessons_present += s.status == "present"
        if s.status == "incomplete":
            incomplete += s.planned
            continue
        here = hours_present(s, method)
        present += here
        if s.justified:
            justified += s.planned - here
        else:
            unjustified += s.planned - here
            if s.open:
                unsettled += s.planned - here
    exempted += min(extra_exempted, planned - exempted)
    return AttendanceFigures(
        planned, exempted, late, present, justified, unjustified, incomplete, lessons,
        lessons_present, self_reported, unsettled,
    )  # fmt: skip


def upcoming(sessions: Iterable[SessionAttendance]) -> list[timedelta]:
    """The planned hours of the counting lessons still to come, in the given order: an
    exempted lesson or one before the enrolment is never one of them, held or not."""
    return [s.planned for s in sessions if s.status == "future"]


def exam_eligible(figures: AttendanceFigures) -> bool:
    """At least two thirds of the counting lessons marked present (none to count: eligible)."""
    if figures.lessons <= 0:
        return True
    return figures.lesson_ratio >= EXAM_MIN_ATTENDANCE


def keeps_paid_leave(figures: AttendanceFigures, still_to_come: timedelta = ZERO) -> bool:
    """Unjustified absence of at most 10% of the period's counting hours.

    Before the period ends its counting hours include the lessons ``still_to_come``: "lost" is
    then final (no attendance can bring it back) and "kept" means "not lost so far".
    """
    total = figures.counting + still_to_come
    if total <= ZERO:
        return True
    return _fraction(figures.unjustified, total) <= PAID_LEAVE_MAX_UNJUSTIFIED


def at_risk(figures: AttendanceFigures, upcoming: Sequence[timedelta]) -> list[str]:
    """The thresholds that one more unjustified absence (the next lesson, ``upcoming[0]``)
    would put out of reach, while they can still be met now: the early warning, in time to act.

    ``upcoming`` are the planned hours of the lessons still to come, next first. The exam rule
    looks at the best case in lessons (attending every remaining lesson); paid leave at the
    unjustified hours against all counting hours of the training or period, those to come
    included.
    """
    if not upcoming or upcoming[0] <= ZERO:
        return []
    next_session = upcoming[0]
    warnings = []
    total_lessons = figures.lessons + len(upcoming)
    best = figures.lessons_present + len(upcoming)
    if Fraction(best, total_lessons) >= EXAM_MIN_ATTENDANCE > Fraction(best - 1, total_lessons):
        warnings.append("exam")
    total = figures.counting + sum(upcoming, ZERO)
    unjustified = figures.unjustified
    if total > ZERO and _fraction(unjustified, total) <= PAID_LEAVE_MAX_UNJUSTIFIED < _fraction(
        unjustified + next_session, total
    ):
        warnings.append("paid_leave")
    return warnings


LeaveState = Literal["kept", "kept_so_far", "provisional", "lost"]


def leave_state(figures: AttendanceFigures, still_to_come: timedelta = ZERO) -> LeaveState:
    """The verdict on paid leave in one period, never final on what can still change:

    - ``lost``: the unjustified absence in lessons that are settled (locked) alone is above 10%
      of the whole period's counting hours (those still to come included): nothing can bring
      it back;
    - ``provisional``: above 10% only through absences in lessons whose registrations are
      still open: a registration before the session locks can still change it;
    - ``kept``: at most 10%, the period over and nothing open;
    - ``kept_so_far``: at most 10% while lessons are still to come or open.
    """
    total = figures.counting + still_to_come
    if total <= ZERO:
        return "kept_so_far" if still_to_come > ZERO or figures.unsettled else "kept"
    if _fraction(figures.unjustified, total) <= PAID_LEAVE_MAX_UNJUSTIFIED:
        settled = still_to_come <= ZERO and figures.unsettled <= ZERO
        return "kept" if settled else "kept_so_far"
    if _fraction(figures.unjustified - figures.unsettled, total) <= PAID_LEAVE_MAX_UNJUSTIFIED:
        return "provisional"
    return "lost"


@dataclass(frozen=True, slots=True)
class PeriodLeave:
    """Paid educational leave in one lesson period: the period's figures, the counting hours
    still to come, the verdict (:func:`leave_state`) and whether one more unjustified absence
    in it would lose it. ``keeps`` is "not lost": a provisional verdict is not a loss yet."""

    period: Period
    figures: AttendanceFigures
    keeps: bool
    at_risk: bool
    still_to_come: timedelta = ZERO
    state: LeaveState = "kept_so_far"

    @property
    def total(self) -> timedelta:
        """The whole period's counting hours: those given and those still to come."""
        return self.figures.counting + self.still_to_come

    @property
    def limit(self) -> timedelta:
        """The most unjustified absence the period allows (10% of :attr:`total`)."""
        share = PAID_LEAVE_MAX_UNJUSTIFIED
        return self.total * share.numerator / share.denominator

    @property
    def started(self) -> bool:
        """A lesson of the period was given (before that there is nothing to judge)."""
        return self.figures.planned > ZERO


def paid_leave_periods(
    periods: Sequence[Period],
    lessons: Iterable[tuple[date, SessionAttendance]],
    method: HoursMethod = DEFAULT_HOURS_METHOD,
) -> list[PeriodLeave]:
    """The 10% rule per lesson period (seed 000: "per trimester tenminste 90% aanwezig"): each
    of ``periods`` (first and last day, inclusive) that holds one of the person's ``lessons``
    (day, attendance), with its figures, kept/lost state and early warning."""
    by_period: list[list[SessionAttendance]] = [[] for _ in periods]
    for day, attendance in lessons:
        for index, (first, last) in enumerate(periods):
            if first <= day <= last:
                by_period[index].append(attendance)
                break
    result = []
    for period, found in zip(periods, by_period, strict=True):
        if not found:
            continue
        figures = figures_for(found, method=method)
        to_come = upcoming(found)
        still_to_come = sum(to_come, ZERO)
        state = leave_state(figures, still_to_come)
        result.append(
            PeriodLeave(
                period,
                figures,
                state != "lost",
                "paid_leave" in at_risk(figures, to_come),
                still_to_come,
                state,
            )
        )
    return result


def _fraction(part: timedelta, whole: timedelta) -> Fraction:
    # Whole microseconds, not float seconds: a threshold exactly on the line stays on it.
    return Fraction(part // _TICK, whole // _TICK)
