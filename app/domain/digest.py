"""What goes in the daily digest mail (docs/rules.md, "Daily digest").

The promotor (and, for their own trainings, the trainer) is told each working day, before the
registration deadline of 10:00, what needs them: certificates due within three working days or
overdue, participants one unjustified absence away from a threshold, and sessions whose
registration window closes today while they are still incomplete. A person with nothing to act
on gets no mail at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from app.domain.cutoff import BRUSSELS, is_working_day, next_working_day

# The deadline is at most this many working days away for a certificate to be "due soon".
DUE_SOON_WORKING_DAYS = 3
# Early enough to act before 10:00, the registration deadline of yesterday's sessions.
DEFAULT_SEND_AT = time(7, 0)

CertificateAttention = Literal["overdue", "due_soon"]


def due_soon_until(today: date, closures: Iterable[date] = ()) -> date:
    """The last deadline that is "due within 3 working days" seen from ``today``: the third
    working day after today (a deadline on a weekend or holiday before it is included)."""
    closed = set(closures)
    day = today
    for _ in range(DUE_SOON_WORKING_DAYS):
        day = next_working_day(day, closed)
    return day


def certificate_attention(
    state: str, due: date, today: date, closures: Iterable[date] = ()
) -> CertificateAttention | None:
    """Whether a certificate belongs in the digest, from its state on the due list.

    ``state`` is the certificate follow-up's own verdict (issued, overdue, due, upcoming,
    optional): only a certificate that must be issued and is not, counts. Overdue always;
    due when its deadline is at most three working days away.
    """
    if state == "overdue":
        return "overdue"
    if state == "due" and due <= due_soon_until(today, closures):
        return "due_soon"
    return None


def awaits_completion(
    *,
    deadline: datetime,
    now: datetime,
    enrolled: int,
    registered: int,
    incomplete: int,
) -> bool:
    """A session to finish today: its registration window closes later today (10:00 of this
    working day, so it was held on the previous working day or the weekend before), and it
    has enrolled participants of whom some checked in without checking out, or none of whom
    has any registration yet."""
    if not (
        now < deadline and deadline.astimezone(BRUSSELS).date() == now.astimezone(BRUSSELS).date()
    ):
        return False
    if enrolled <= 0:
        return False
    return incomplete > 0 or registered == 0


def digest_runs_on(day: date, closures: Iterable[date] = ()) -> bool:
    """The digest goes out on working days only: the days the organisation acts on it."""
    return is_working_day(day, closures)


@dataclass(frozen=True, slots=True)
class CertificateLine:
    training_id: int
    training: str
    participant: str
    kind: str
    period: tuple[date, date] | None
    due: date
    attention: CertificateAttention


@dataclass(frozen=True, slots=True)
class RiskLine:
    training_id: int
    training: str
    participant: str
    threshold: str  # "exam" or "paid_leave"
    period: tuple[date, date] | None = None
    # Paid leave: where the period stands, as every page says it (the verdict, the unjustified
    # hours against the whole period, and where it is lost).
    state: str = ""
    unjustified: timedelta | None = None
    total: timedelta | None = None
    limit: timedelta | None = None


@dataclass(frozen=True, slots=True)
class SessionLine:
    session_id: int
    training: str
    day: date
    start: time
    end: time
    deadline: datetime
    enrolled: int
    incomplete: int  # checked in without a check-out
    registered: int  # participants with any registration


@dataclass(frozen=True)
class Digest:
    """One person's digest of one day; empty means no mail."""

    day: date
    certificates: list[CertificateLine] = field(default_factory=list)
    risks: list[RiskLine] = field(default_factory=list)
    sessions: list[SessionLine] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.certificates or self.risks or self.sessions)
