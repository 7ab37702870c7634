"""When the front desk reminds a trainer (docs/rules.md, "Front desk follow-up").

Trainers register before the break, so the front desk can follow up during it. A session with
enrolled participants and no registration at all is due a reminder from its break's start, or
from halfway through when it has no break.
"""

from __future__ import annotations

from datetime import datetime


def reminder_from(start: datetime, end: datetime, break_start: datetime | None) -> datetime:
    """From when a session without registrations needs a reminder: its break, or halfway."""
    return break_start or start + (end - start) / 2


def needs_reminder(
    *,
    enrolled: int,
    registrations: int,
    start: datetime,
    end: datetime,
    break_start: datetime | None,
    now: datetime,
) -> bool:
    """Remind the trainer: people are enrolled, nothing is registered, and the break (or the
    session's midpoint) has come. Any registration, even one later voided, shows the trainer
    acted, so it ends the reminder."""
    if enrolled <= 0 or registrations > 0:
        return False
    return now >= reminder_from(start, end, break_start)
