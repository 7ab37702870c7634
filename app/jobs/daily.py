"""Jobs that run once a day at a local time (the digest mail), scheduled by the workers.

Every worker looks, about once a minute, whether a daily job's time has come today
(Europe/Brussels). The first to see it writes a ``DailyRun`` row for (job, day) and enqueues the
job in the same transaction; the row's primary key makes every other worker, on this machine or
another, find it taken and enqueue nothing. A job whose time passed while no worker ran (a
restart at 07:30) is scheduled as soon as one runs again that day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import jobs
from app.domain.cutoff import BRUSSELS
from app.domain.digest import DEFAULT_SEND_AT, digest_runs_on
from app.extensions import db
from app.models import ClosureDay, DailyRun

log = logging.getLogger(__name__)


def _every_day(app: Flask, day: date) -> bool:
    return True


def morning_mail_at(config: Mapping[str, object]) -> time | None:
    """``DIGEST_TIME`` as a local time, when the morning mails go out (the digest, the
    supervisors' waiting hours); "off" (or empty) schedules none at all."""
    value = config.get("DIGEST_TIME", DEFAULT_SEND_AT)
    if isinstance(value, time):
        return value
    if not value or str(value).strip().lower() == "off":
        return None
    return time.fromisoformat(str(value).strip())


def on_working_days(app: Flask, day: date) -> bool:
    """Working days that are no closure day: the days the organisation acts on a mail."""
    closed = db.session.scalars(select(ClosureDay.day).where(ClosureDay.day == day)).all()
    return digest_runs_on(day, closed)


@dataclass(frozen=True)
class Daily:
    """A job kind to enqueue once a day, from ``at`` (local time, read from the config; None
    switches it off), on the days ``runs_on`` accepts; the job's payload is
    ``{"day": "YYYY-MM-DD"}``."""

    kind: str
    at: Callable[[Mapping[str, object]], time | None]
    runs_on: Callable[[Flask, date], bool] = _every_day


DAILY: dict[str, Daily] = {}


def register_daily(daily: Daily) -> Daily:
    DAILY[daily.kind] = daily
    return daily


def schedule_due(now: datetime, kinds: list[str] | None = None) -> list[str]:
    """Enqueue the daily jobs whose time has come today and that nobody scheduled yet; returns
    the kinds this call scheduled. Commits (its own short transaction per job)."""
    # current_app is typed as the Flask it stands for, not as the werkzeug proxy it is;
    # the proxy's own method hands over the real app (the work outlives this context).
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    local = now.astimezone(BRUSSELS)
    today = local.date()
    scheduled = []
    for daily in DAILY.values():
        if kinds is not None and daily.kind not in kinds:
            continue
        at = daily.at(app.config)
        if at is None or local.time() < at or not daily.runs_on(app, today):
            continue
        taken = db.session.scalar(
            select(DailyRun.name).where(DailyRun.name == daily.kind, DailyRun.day == today)
        )
        if taken is not None:
            db.session.rollback()
            continue
        try:
            db.session.add(DailyRun(name=daily.kind, day=today, scheduled_at=now))
            db.session.flush()  # the key is taken here, or another worker holds it
            jobs.enqueue(daily.kind, {"day": today.isoformat()}, due_at=now)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another worker scheduled it a moment ago
            continue
        log.info("scheduled the daily %s of %s", daily.kind, today)
        scheduled.append(daily.kind)
    return scheduled
