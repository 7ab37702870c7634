"""The check-in rules the server and the scanner share (docs/rules.md, "Scan direction").

A small package of its own, beside ``qr/``: the scanner predicts the direction of a scan while
the network is down with the very function the server decides with, and must not import the
web application (``app``) to do so. Pure functions only: no framework, no clock, no I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

Direction = Literal["in", "out"]
Requested = Literal["auto", "in", "out"]


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


__all__ = ["Direction", "Requested", "scan_direction"]
