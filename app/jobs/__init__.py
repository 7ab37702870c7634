"""Background jobs on the application's own database (a transactional outbox).

A job is written in the transaction of the request that causes it (the enrolment and its QR
mail commit together or not at all); workers then claim due jobs one batch at a time with a
lease, so any number of web processes and workers on any number of machines share one database
and each job runs once. Each kind of job registers how it is performed (``register``); the mail
outbox is the first kind (``app.mail.outbox``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from app.clock import Clock
from app.extensions import db
from app.models import Job
from app.settings import Settings

EMBEDDED_WORKER = "aanwezig.worker"
_QUEUED = "aanwezig.jobs_queued"


@dataclass(frozen=True)
class Claimed:
    """What a worker knows of a job it holds (plain values: no ORM object outlives the claim)."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Run:
    """What the runner hands a job: the moment it runs at (read once, by the worker or command
    that runs it: what is due, when to retry), the application's settings, and the clock itself
    for a moment that must be the real one when it happens (a signature's time, sent at)."""

    now: datetime
    settings: Settings
    clock: Clock


class Permanent(Exception):
    """Raised by a job that can never succeed: it is finished with this error, not retried."""


def _always(app: Flask) -> bool:
    return True


def _default_retry(settings: Settings) -> float:
    return settings.job_retry_seconds


@dataclass(frozen=True)
class JobKind:
    """How one kind of job is done.

    ``perform(job, run)`` runs in an app context after the claim is committed; it may raise to be retried
    later (with back-off from ``retry_seconds``). Whatever it changes in ``db.session`` is
    committed together with the job's ``finished_at``. ``enabled`` says whether workers should
    claim this kind at all (mail without a mail server stays waiting, untouched).
    """

    name: str
    perform: Callable[[Claimed, Run], None]
    enabled: Callable[[Flask], bool] = field(default=_always)
    retry_seconds: Callable[[Settings], float] = field(default=_default_retry)


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def enabled_kinds(app: Flask) -> list[str]:
    return sorted(name for name, kind in KINDS.items() if kind.enabled(app))


def enqueue(
    kind: str, payload: Mapping[str, Any] | None = None, due_at: datetime | None = None
) -> Job:
    """Store a job in the caller's transaction; a worker runs it once that transaction commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, payload=dict(payload or {}))
    if due_at is not None:
        job.due_at = due_at
    db.session.add(job)
    db.session.flush()
    wake_after_commit()
    return job


def wake_after_commit() -> None:
    """Wake the embedded worker once the caller's transaction commits (a job became due)."""
    db.session.info[_QUEUED] = True


def wake_embedded_worker() -> None:
    """Let the in-process worker look for work now instead of at its next poll."""
    if has_app_context():
        worker = current_app.extensions.get(EMBEDDED_WORKER)
        if worker is not None:
            worker.wake()


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    # Woken only after the commit: before it, the worker could not see the new job yet.
    if session.info.pop(_QUEUED, False):
        wake_embedded_worker()


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_QUEUED, None)


def init_jobs(app: Flask) -> None:
    """Start the embedded worker thread when configured. The job kinds are registered by
    ``create_app`` (``app._register_job_kinds``): this package, under the areas, imports none
    of them."""
    from app.jobs.worker import start_embedded_worker

    start_embedded_worker(app)


__all__ = [
    "KINDS",
    "Claimed",
    "JobKind",
    "Permanent",
    "Run",
    "enabled_kinds",
    "enqueue",
    "init_jobs",
    "register",
    "wake_after_commit",
    "wake_embedded_worker",
]
