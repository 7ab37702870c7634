"""Audit records: who changed what, when, with the before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class AuditRecord(Base):
    """One change. Besides the object itself, a record names the participant, session,
    training and branch the object belongs to (``app.audit`` fills them in when it is
    written): a participant's or a session's history, and a promotor's view of their branch,
    are then one indexed look-up each, whatever the object's kind. They are plain numbers,
    not foreign keys: the history of an object outlives the object (a deleted enrolment).
    The branch is the one the object belonged to at the time of the change."""

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_object_at", "object_type", "object_id", "at"),
        Index("ix_audit_records_at", "at"),
        Index("ix_audit_records_branch_at", "branch_id", "at"),
        Index("ix_audit_records_participant_at", "participant_id", "at"),
        Index("ix_audit_records_session_at", "session_id", "at"),
        Index("ix_audit_records_training_at", "training_id", "at"),
        Index("ix_audit_records_user_at", "user_id", "at"),
        Index("ix_audit_records_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    # A participant or supervisor acting in the portal: the sign-in names their address.
    portal_sign_in_id: Mapped[int | None] = mapped_column(ForeignKey("portal_sign_ins.id"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    branch_id: Mapped[int | None]
    participant_id: Mapped[int | None]
    session_id: Mapped[int | None]
    training_id: Mapped[int | None]
