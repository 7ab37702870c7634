"""Calendar feeds: a secret address per trainer or portal address that serves their sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class CalendarFeed(Base):
    """One feed per owner: a staff user (``user_id``) or a portal address (``email``). The
    address holds a token of which only the SHA-256 is kept; renewing replaces the hash, which
    ends the old address at once. The unique owner columns make two renewals at the same
    moment update one row rather than leave two live addresses."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (email IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # lower-cased
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    renewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_read_at: Mapped[datetime | None]
