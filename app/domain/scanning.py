"""Rule 3: which way a scan goes, and when it is a repeat of the one before."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

Direction = Literal["in", "out"]
Requested = Literal["auto", "in", "out"]

# A registration may lie at most this far in the future: clocks differ a little (a scanner's,
# the server's); anything later is refused (docs/rules.md, "Registration window").
FUTURE_MARGIN = timedelta(seconds=60)


def scan_direction(
    requested: Requested,
    last_kind: Direction | None,
    last_at: datetime | None,
    at: datetime,
    repeat_interval: timedelta,
) -> tuple[Direction, bool]:
    """The direction a scan records and whether it is a repeat that records nothing.

    In ``auto`` a scan checks in a person who is out and checks out a person who is in. A code
    scanned again within ``repeat_interval`` of the last registration is a repeat: a code held in
    front of the camera, or shown twice at the door, must not toggle the person out again.
    With a fixed direction only a repeat of the same direction within the interval is ignored.
    """
    recent = last_at is not None and abs(at - last_at) < repeat_interval
    if requested == "auto":
        if recent and last_kind is not None:
            return last_kind, True
        return ("out" if last_kind == "in" else "in"), False
    return requested, bool(recent and last_kind == requested)
