"""Registrations (append-only check-in/out times) and scan receipts (nonce replay)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.org import ApiToken, User
from app.models.people import Participant
from app.models.planning import Session


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Kind(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Source(enum.StrEnum):
    SCAN = "scan"
    MANUAL = "manual"
    IMPORT = "import"
    SELF_REPORT = "self-report"
    CORRECTION = "correction"


class Registration(Base):
    """A check-in or check-out. Never updated or deleted: a correction is a new row.

    ``voids_id`` names the registration a correction cancels; the voided row stays.
    """

    __tablename__ = "registrations"
    __table_args__ = (
        Index("ix_registrations_session_participant", "session_id", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[Kind | None] = mapped_column(_enum(Kind))
    at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[Source] = mapped_column(_enum(Source))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    voids_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # A scan's request (caller, session, code, direction, time) as a SHA-256: a retry of the
    # same nonce must carry the same request (app.scanning.service). None for other sources.
    request_digest: Mapped[str | None] = mapped_column(String(64))

    session: Mapped[Session] = relationship()
    participant: Mapped[Participant] = relationship()
    user: Mapped[User | None] = relationship()
    token: Mapped[ApiToken | None] = relationship()


class ScanReceipt(Base):
    """The answer given to a scan nonce that recorded nothing (a repeat), for its retries.

    A scan that recorded a registration needs no receipt: the registration carries the nonce
    (unique) and the answer is rebuilt from it. ``registration_id`` is only set on receipts
    written before that (2026-11-27).
    """

    __tablename__ = "scan_receipts"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    request_digest: Mapped[str | None] = mapped_column(String(64))  # as Registration's


class RefusedScan(Base):
    """A scan the server refused, kept as pretix keeps its failed check-ins: when, by whom and
    why, so a trainer and support see that codes were refused and what for.

    The code itself is not kept (it is the participant's key); the participant only when the
    code was genuine. Written even though the scan's request is answered with a refusal
    (``app.db.keep_despite_refusal``).
    """

    __tablename__ = "refused_scans"
    __table_args__ = (Index("ix_refused_scans_session_received", "session_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The session the scanner asked for, when it exists (an unknown id is not kept).
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    reason: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))

    session: Mapped[Session | None] = relationship()
    participant: Mapped[Participant | None] = relationship()
    user: Mapped[User | None] = relationship()
    token: Mapped[ApiToken | None] = relationship()
