"""Idempotency keys: a retried POST with the same ``Idempotency-Key`` gets the first answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class IdempotencyKey(Base):
    """The answer to a caller's POST, kept under the key they sent with it. The row is written
    before the request's work and in its transaction: the unique (user, key) makes a second
    request with the key wait for the first's commit, then answer what the first answered;
    a refused first request leaves no row, so its retry runs again."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the method, path and body: the same key with another request is refused.
    request_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
