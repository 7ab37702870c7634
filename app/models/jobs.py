"""Background jobs: claimed by one worker at a time, retried until done, never lost."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class Job(Base):
    """One piece of background work of a registered ``kind`` (see app/jobs).

    A worker claims a due job by writing its name in ``lease_owner`` and a ``lease_expires_at``
    in one conditional statement; a job whose worker died is due again once the lease expires.
    ``finished_at`` is set in the same transaction as the job's own result.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        # The workers' claim query reads only unfinished jobs: keep that set small to search.
        Index(
            "ix_jobs_due_unfinished",
            "due_at",
            postgresql_where=text("finished_at IS NULL"),
            sqlite_where=text("finished_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class WorkerHeartbeat(Base):
    """A running worker (a ``flask worker`` process or the embedded thread) and its last beat."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    kinds: Mapped[str] = mapped_column(String(300), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class DailyRun(Base):
    """A daily job's run for one day: the primary key lets one worker in the whole system
    schedule it (app/jobs/daily.py), however many workers on however many machines try."""

    __tablename__ = "daily_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    scheduled_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestSent(Base):
    """One person's daily digest for one day, written in the transaction that queues its mail
    (``mail_id`` is empty when there was nothing to say): the primary key makes a second run
    the same day, on any worker, send nothing (docs/rules.md, "Daily digest")."""

    __tablename__ = "digests_sent"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_mails.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
