"""Participants and their enrolments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.org import Branch, User
from app.models.planning import Session


class Supervisor(Base):
    """A participant's supervisor (leidinggevende): approves the hours they report for
    e-learning. Signs in to the portal by mail, like a participant; one record per branch and
    address (the promotor of the branch links it to participants)."""

    __tablename__ = "supervisors"
    __table_args__ = (UniqueConstraint("branch_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)  # lower-cased
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    branch: Mapped[Branch] = relationship()


class Participant(Base):
    """A person scanned at the door; needs no account.

    The national register number is kept encrypted (``national_number_encrypted``) with a keyed
    hash beside it (``national_number_index``) so uniqueness can be enforced without decrypting.
    """

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    national_number_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    national_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    national_number_last2: Mapped[str | None] = mapped_column(String(2))
    # A number another branch's record already holds (docs/security.md, "Who sees what"): the
    # index is kept here, not in the unique column, until central support resolves it; the
    # user who entered it is told nothing that would reveal the other record.
    national_number_conflict_index: Mapped[str | None] = mapped_column(String(64), index=True)
    # The QR code's version: revoking a code issues the next version; older ones are refused.
    key_version: Mapped[int] = mapped_column(default=1)
    code_sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Ended records are kept (their history stays) but no longer listed or enrolled; a record
    # merged into another names the one that was kept.
    ended_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("supervisors.id"), index=True)
    # The identifier a school administration package knows the participant by (app/exchange).
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)

    branch: Mapped[Branch] = relationship()
    supervisor: Mapped[Supervisor | None] = relationship()

    @property
    def masked_national_number(self) -> str:
        if self.national_number_last2 is None:
            return ""
        return f"**.**.**-***.{self.national_number_last2}"


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("session_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    session: Mapped[Session] = relationship()
    participant: Mapped[Participant] = relationship()
    created_by: Mapped[User | None] = relationship()
