"""The application's clock: what time it is, asked in one place.

``create_app`` attaches one clock to the application (the system clock, or a
:class:`FixedClock` a test passes in). Only entry points (routes, CLI commands, the job
worker) ask it, through :func:`now`; everything below them takes ``now`` as an argument, so a
rule or an operation can be tested at any moment without freezing time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask import Flask, current_app

EXTENSION = "clock"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move (tests, demos)."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at)

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**units)``; returns the new moment."""
        self._at += delta if delta is not None else timedelta(**units)
        return self._at


def _aware(at: datetime) -> datetime:
    # A naive moment would compare unequal with every stored (aware) one: refuse it at once.
    if at.tzinfo is None:
        raise ValueError("a clock's moment must be timezone-aware")
    return at.astimezone(UTC)


def init_clock(app: Flask, clock: Clock | None) -> None:
    app.extensions[EXTENSION] = clock or SystemClock()


def clock_of(app: Flask) -> Clock:
    return app.extensions[EXTENSION]


def now() -> datetime:
    """The current moment by the application's clock: for entry points only (a route, a CLI
    command, a job), which pass it down."""
    return clock_of(current_app).now()
