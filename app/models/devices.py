"""Pairing a scanner: a short-lived, single-use token shown as a QR code on the tokens page,
exchanged by the scanner for its own long-lived token (``ApiToken.device_name`` set)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.org import ApiToken, User


class PairingToken(Base):
    """Stored as its SHA-256 only, like an API token: the plain text lives in the QR code."""

    __tablename__ = "pairing_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # The scanner's token this pairing became (None while unused).
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))

    user: Mapped[User] = relationship()
    api_token: Mapped[ApiToken | None] = relationship()
