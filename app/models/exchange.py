"""The exchange with school administration packages (docs/rules.md, "Exchange"): connections, the events that
went out or came in, and the one-time pushes."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.org import Branch


class ExchangeConnection(Base):
    """A link between one branch and a peer package. The shared secret is stored encrypted
    (like the national register number) and never shown again in full; ``activated_at`` is
    the switch-on: nothing registered before it goes out, except by a one-time push."""

    __tablename__ = "exchange_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    secret_last4: Mapped[str] = mapped_column(String(4))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    identifier: Mapped[str] = mapped_column(String(20), default="email")
    national_number_allowed: Mapped[bool] = mapped_column(default=False)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    split_at: Mapped[time] = mapped_column(default=time(12, 0))
    active: Mapped[bool] = mapped_column(default=False)
    activated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    branch: Mapped[Branch] = relationship()


class ExchangeEvent(Base):
    """One event to or from a peer, never changed except for its delivery bookkeeping.

    Outgoing (``direction`` "out"): a delivery, done by its job (``job_id``), in order per
    participant. Incoming ("in"): what arrived and what we did with it (``outcome``). Both
    directions together hold, per participant and moment, the latest registration each side
    knows of: the last-write-wins decision reads them.
    """

    __tablename__ = "exchange_events"
    __table_args__ = (
        UniqueConstraint("connection_id", "direction", "event_id"),
        Index("ix_exchange_events_moment", "connection_id", "participant_id", "day", "part"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("exchange_connections.id"))
    direction: Mapped[str] = mapped_column(String(3))
    event_id: Mapped[str] = mapped_column(String(100))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"))
    day: Mapped[date]
    part: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(20))
    remark: Mapped[str] = mapped_column(Text, default="")
    registered_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    push_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_pushes.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    delivered_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))

    connection: Mapped[ExchangeConnection] = relationship()


class ExchangePush(Base):
    """Support's one-time push of existing codes ("Bestaande afwezigheidscodes doorsturen")."""

    __tablename__ = "exchange_pushes"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("exchange_connections.id"), index=True)
    date_from: Mapped[date]
    date_to: Mapped[date]
    queued: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
