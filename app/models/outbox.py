"""The stored outbox: every mail is written here first and sent by a worker as a job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.jobs import Job


class OutboxMail(Base):
    """A composed mail; its delivery (due time, attempts, last error, lease) is its ``job``.

    A ``personal`` mail carries a one-time secret (a password reset or portal sign-in link):
    while it waits, ``message`` holds it encrypted with a key kept outside the database; once it
    is sent (or withdrawn) ``message`` is emptied, so no stored copy holds a usable link. No page
    ever shows its content (docs/security.md, "One-time secrets in mail").
    """

    __tablename__ = "outbox_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    message: Mapped[bytes] = mapped_column(LargeBinary)  # the whole RFC 5322 message
    # What the mail is ("qr_code", "password_reset", "portal_sign_in", ...), and about whom:
    # a participant, or a staff user (their account's mail). Which staff may see it follows.
    purpose: Mapped[str | None] = mapped_column(String(40))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    personal: Mapped[bool] = mapped_column(default=False, server_default=false())
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)

    job: Mapped[Job] = relationship(lazy="joined", innerjoin=True)

    def being_sent(self, now: datetime) -> bool:
        """A worker holds it right now (its lease runs)."""
        expires = self.job.lease_expires_at
        return self.job.lease_owner is not None and expires is not None and expires > now

    def can_retry(self, now: datetime) -> bool:
        return self.sent_at is None and self.job.finished_at is None and not self.being_sent(now)
