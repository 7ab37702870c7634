"""Certificate rules: the second sitting's deadlines, the due/overdue state of a certificate,
box C of the attest van nauwgezetheid, the regime of paid leave and the enterprise number.

Pure functions, ``now`` passed in; each rule and its source are described in ``docs/rules.md``
(section "Certificates").
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.domain.cutoff import BRUSSELS
from app.domain.periods import second_sitting_certificate_due

# Rule: "Vlaams opleidingsverlof" replaced betaald educatief verlof on 1 September 2019 for
# employees of an establishment in the Flemish Region.
VOV_SINCE = date(2019, 9, 1)
# The attendance certificate (deelnameattest) of a participant not on betaald educatief verlof
# appears a week after their last lesson (seed 003: "vanaf een week na de nascholing"), well
# after the registration deadline, so the hours it shows no longer change.
ATTENDANCE_AVAILABLE_AFTER_DAYS = 7


class LeaveRegime(enum.StrEnum):
    """Which paid-leave regime applies to a participant on paid leave."""

    BEV = "bev"  # betaald educatief verlof: working in the Brussels-Capital or Walloon Region
    VOV = "vov"  # Vlaams opleidingsverlof: employee of an establishment in the Flemish Region


class DueState(enum.StrEnum):
    ISSUED = "issued"
    OVERDUE = "overdue"
    DUE = "due"
    UPCOMING = "upcoming"  # the moment it can be issued has not come yet
    OPTIONAL = "optional"  # can be issued on request, never overdue
    REGISTER = "register"  # VOV: registered in the Flemish government's application instead


def certificates_bind(paid_leave: bool, regime: LeaveRegime | str | None) -> bool:
    """The paper certificates of seed 002 and their deadlines bind for a participant on
    betaald educatief verlof only; under VOV the organisation registers in the Flemish
    government's application instead, and without paid leave they are issued on request."""
    return paid_leave and LeaveRegime(regime or LeaveRegime.BEV) == LeaveRegime.BEV


def under_vov(paid_leave: bool, regime: LeaveRegime | str | None) -> bool:
    return paid_leave and LeaveRegime(regime or LeaveRegime.BEV) == LeaveRegime.VOV


def due_state(
    issued: bool, due: date | None, available_from: date, binding: bool, now: datetime
) -> DueState:
    """Where a certificate stands on ``now`` (its day in Brussels).

    Issued wins; before ``available_from`` it is not yet possible; without a binding deadline
    (no paid leave) it is on request; otherwise due up to and including its deadline, then
    overdue.
    """
    today = now.astimezone(BRUSSELS).date()
    if issued:
        return DueState.ISSUED
    if today < available_from:
        return DueState.UPCOMING
    if not binding or due is None:
        return DueState.OPTIONAL
    return DueState.OVERDUE if today > due else DueState.DUE


def attendance_certificate_available_from(last_lesson: date) -> date:
    """The deelnameattest can be issued (and downloaded in the portal) from a week after the
    participant's last lesson."""
    return last_lesson + timedelta(days=ATTENDANCE_AVAILABLE_AFTER_DAYS)


def attendance_certificate_available(last_lesson: date | None, now: datetime) -> bool:
    return last_lesson is not None and now.astimezone(BRUSSELS).date() >= (
        attendance_certificate_available_from(last_lesson)
    )


# --- The second sitting (seed 002, "Attest van deelname 2de zittijd") ---------------------------


def second_sitting_notice_due(first_sitting_end: date) -> date:
    """Certificate 1 (the participant must take part in the second sitting): within 8 days after
    the end of the first sitting."""
    return second_sitting_certificate_due(first_sitting_end)


def second_sitting_notice_available_from(first_sitting_end: date) -> date:
    """Certificate 1 can be issued once the first sitting is over (its results are known)."""
    return first_sitting_end + timedelta(days=1)


def second_sitting_participation_due(second_sitting_end: date) -> date:
    """Certificate 2 (confirms the participation, with the dates of the exams taken): within 8
    days after the end of the second sitting."""
    return second_sitting_certificate_due(second_sitting_end)


def second_sitting_participation_available_from(second_sitting_end: date) -> date:
    """Certificate 2 confirms exams taken: it can be issued once the second sitting is over."""
    return second_sitting_end + timedelta(days=1)


def exam_dates_problem(
    exam_dates: Iterable[date], first_sitting_end: date | None, second_sitting_end: date | None
) -> str | None:
    """Why the exam dates of a second sitting cannot be right, or ``None``.

    Exams of the second sitting fall after the end of the first sitting and on or before the end
    of the second.
    """
    days = sorted(exam_dates)
    if not days:
        return "no_exam_dates"
    if first_sitting_end is not None and days[0] <= first_sitting_end:
        return "before_second_sitting"
    if second_sitting_end is not None and days[-1] > second_sitting_end:
        return "after_second_sitting"
    return None


def sittings_problem(first_sitting_end: date | None, second_sitting_end: date | None) -> str | None:
    """The second sitting ends after the first; it cannot exist without the first."""
    if second_sitting_end is None:
        return None
    if first_sitting_end is None:
        return "second_without_first"
    if second_sitting_end <= first_sitting_end:
        return "second_not_after_first"
    return None


# --- Box C of the attest van nauwgezetheid ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lesson:
    """One of the participant's lessons in the span box A counts (the school year or the whole
    training), as box C needs it."""

    day: date
    planned: timedelta  # the session's planned hours, without the break
    exempted: bool = False
    late_enrolment: bool = False


def hours_still_to_follow(lessons: Iterable[Lesson], period_end: date) -> timedelta:
    """Box C, "aantal lesuren dat de cursist nog moet volgen": the planned hours of the
    participant's lessons after the lesson period, in the span box A counts.

    Lessons the participant is exempted from (box B) are not theirs to follow; lessons missed
    through late enrolment (box D) lie before their enrolment, never after the period. Lessons
    after an early termination are not in ``lessons`` at all (the figures leave them out): a
    participant who stopped has nothing left to follow.
    """
    return sum(
        (
            lesson.planned
            for lesson in lessons
            if lesson.day > period_end and not lesson.exempted and not lesson.late_enrolment
        ),
        timedelta(),
    )


# --- The organisation's enterprise number (ondernemingsnummer) ----------------------------------

_ENTERPRISE_SEPARATORS = re.compile(r"[\s.\-/]")


class InvalidEnterpriseNumber(ValueError):
    """Not a Belgian enterprise number."""


def enterprise_number(text: str) -> str:
    """A Belgian enterprise number as ``0123.456.749``, or :class:`InvalidEnterpriseNumber`.

    Ten digits, the first 0 or 1 (an optional "BE" prefix and the usual dots, spaces or dashes
    are accepted); the last two are the check: 97 - (the first eight mod 97). Nine digits are
    the old form and get their leading 0.
    """
    raw = _ENTERPRISE_SEPARATORS.sub("", (text or "").strip()).upper()
    raw = raw.removeprefix("BE")
    if re.fullmatch(r"\d{9}", raw):
        raw = "0" + raw
    if not re.fullmatch(r"[01]\d{9}", raw):
        raise InvalidEnterpriseNumber("an enterprise number has ten digits and starts with 0 or 1")
    if 97 - int(raw[:8]) % 97 != int(raw[8:]):
        raise InvalidEnterpriseNumber("the check digits do not match")
    return f"{raw[:4]}.{raw[4:7]}.{raw[7:]}"
