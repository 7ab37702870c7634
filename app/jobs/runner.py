"""Claiming, doing and finishing jobs; each step is its own short transaction.

The claim is one conditional UPDATE: it takes a job only while the job is unfinished, due and
not leased to anyone (or its lease has expired), and writes the worker's name and the lease's
end. On PostgreSQL the candidate rows are picked with ``FOR UPDATE SKIP LOCKED``, so workers
claiming at the same moment take different jobs instead of queueing behind each other's row
locks. SQLite has no row locks: the UPDATE takes the database's write lock, and its own WHERE
clause sees what an earlier claim committed, so the same statement cannot hand one job to two
workers there either. No transaction stays open while a job talks to the outside world: the
lease, not a lock, protects a job in progress, and a job whose worker died is claimed again
once its lease has expired.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update

from app.db import changed_rows
from app.extensions import db
from app.jobs import KINDS, Claimed, JobKind, Permanent, Run
from app.models import Job
from app.settings import Settings

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=30)
ERROR_LENGTH = 1000


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        Job.finished_at.is_(None),
        Job.due_at <= now,
        or_(Job.lease_expires_at.is_(None), Job.lease_expires_at <= now),
    )


def claim(
    owner: str, kinds: Sequence[str], now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Take up to ``limit`` due jobs of ``kinds`` for ``owner`` until ``now + lease``; commits."""
    if not kinds or limit < 1:
        return []
    # A materialised CTE: as a plain IN (subquery), PostgreSQL may rescan the locking subquery
    # and lock (and hand out) more rows than the LIMIT.
    candidates = (
        select(Job.id)
        .where(_claimable(now), Job.kind.in_(kinds))
        .order_by(Job.due_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("candidates")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    statement = (
        update(Job)
        .where(Job.id.in_(select(candidates.c.id)), _claimable(now))
        .values(lease_owner=owner, lease_expires_at=now + lease, attempts=Job.attempts + 1)
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.created_at, Job.due_at)
        .execution_options(synchronize_session=False)
    )
    try:
        rows = db.session.execute(statement).all()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    rows = sorted(rows, key=lambda row: (row.due_at, row.id))
    return [Claimed(r.id, r.kind, r.payload or {}, r.attempts, r.created_at) for r in rows]


def perform(job: Claimed, owner: str, run: Run) -> bool:
    """Do one claimed job at ``run.now`` and record the outcome; True when it is done. Never
    raises for the job's own failure (that is recorded on the job); a database failure does."""
    kind = KINDS.get(job.kind)
    try:
        if kind is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        kind.perform(job, run)
    except Permanent as exc:
        db.session.rollback()
        _finish(job, owner, run.now, error=_describe(exc))
        log.error("job %s (%s) failed for good: %s", job.id, job.kind, exc)
        return False
    except Exception as exc:
        db.session.rollback()
        delay = _backoff(job, kind, run.settings)
        _retry_later(job, owner, run.now + delay, _describe(exc))
        log.warning("job %s (%s) failed, retried in %s: %r", job.id, job.kind, delay, exc)
        return False
    _finish(job, owner, run.now)
    return True


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]


def _backoff(job: Claimed, kind: JobKind | None, settings: Settings) -> timedelta:
    base = kind.retry_seconds(settings) if kind is not None else settings.job_retry_seconds
    return min(timedelta(seconds=base) * 2 ** max(job.attempts - 1, 0), MAX_BACKOFF)


def _finish(job: Claimed, owner: str, now: datetime, error: str | None = None) -> None:
    """Mark done with the job's own changes, in one transaction."""
    finished = changed_rows(
        update(Job)
        .where(Job.id == job.id, Job.finished_at.is_(None))
        .values(finished_at=now, lease_owner=None, lease_expires_at=None, last_error=error)
        .execution_options(synchronize_session=False)
    )
    _commit()
    if finished != 1:
        # The lease ran out while we worked and another worker did the job too: for a mail, the
        # stable Message-ID lets the recipient's mail client fold the two copies.
        log.warning(
            "job %s was finished by another worker (owner %s lost its lease)", job.id, owner
        )


def _retry_later(job: Claimed, owner: str, due_at: datetime, error: str) -> None:
    db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.lease_owner == owner, Job.finished_at.is_(None))
        .values(due_at=due_at, last_error=error, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    _commit()


def release(jobs: Iterable[Claimed], owner: str) -> int:
    """Give back jobs claimed but not started (a worker told to stop); they are due at once."""
    ids = [job.id for job in jobs]
    if not ids:
        return 0
    released = changed_rows(
        update(Job)
        .where(Job.id.in_(ids), Job.lease_owner == owner, Job.finished_at.is_(None))
        .values(lease_owner=None, lease_expires_at=None, attempts=Job.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    _commit()
    return released


def _commit() -> None:
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def run_due(owner: str, kinds: Sequence[str], run: Run, limit: int) -> tuple[int, int]:
    """Claim and do due jobs once at ``run.now`` (the ``send-mail`` command, tests), each under
    the settings' lease; returns (done, failed)."""
    done = failed = 0
    lease = timedelta(seconds=run.settings.job_lease_seconds)
    for job in claim(owner, kinds, run.now, lease, limit):
        if perform(job, owner, run):
            done += 1
        else:
            failed += 1
    return done, failed
