"""One-time links sent by mail: a portal sign-in, a staff password reset.

The link carries an itsdangerous token (signed with the app's secret, expiring) that names the
row and a random nonce; the row stores only the nonce's SHA-256 and when it was used, which
makes the link single-use and lets it be ended.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.org import User


class PortalSignIn(Base):
    """A sign-in link for the portal, and once used, the portal session it started.

    The identity is the address: the participant records with it (in any branch) and the
    participants whose supervisor has it. Logging out sets ``ended_at``, which ends the session
    wherever its cookie is.
    """

    __tablename__ = "portal_sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)  # lower-cased
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class PasswordReset(Base):
    """A staff user's password reset link: asked for by the user, or sent by support."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
