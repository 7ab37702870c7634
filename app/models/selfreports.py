"""What participants send from the portal: e-learning hours (approved by their supervisor)
and documents for an absence (accepted by the promotor)."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Column, Enum, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.attendance import Justification, JustificationKind
from app.models.base import Base, utcnow
from app.models.links import PortalSignIn
from app.models.org import Role, User
from app.models.people import Participant, Supervisor
from app.models.planning import Session, Training


class SelfReport(Base):
    """Hours a participant reports for an e-learning training (docs/rules.md, "E-learning self-reports"). Never changed.

    ``start``/``end`` are Brussels wall-clock times on ``day`` (or both empty: a duration
    only); ``minutes`` is the time that really passed. A correction (of a rejected report, or
    of an approved one) is a new report naming the one it replaces (``replaces_id``, at most
    one successor each); what counts is decided by :class:`SelfReportDecision`.
    """

    __tablename__ = "self_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    start: Mapped[time | None]
    end: Mapped[time | None]
    minutes: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("self_reports.id"), unique=True)
    # The approved report this one's time takes the place of, once this one is approved (the
    # report it replaces if that was approved, or what that one was to take the place of).
    voids_id: Mapped[int | None] = mapped_column(ForeignKey("self_reports.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sign_in_id: Mapped[int | None] = mapped_column(ForeignKey("portal_sign_ins.id"))

    training: Mapped[Training] = relationship()
    participant: Mapped[Participant] = relationship()
    decision: Mapped[SelfReportDecision | None] = relationship(
        back_populates="report", uselist=False
    )
    sign_in: Mapped[PortalSignIn | None] = relationship()


class SelfReportDecision(Base):
    """The approval or rejection of one report (a reason is required to reject), by the
    participant's supervisor in the portal or by a planner through the API (``decided_by``):
    exactly one of the two is recorded. Written once, never changed: a report has at most one
    decision."""

    __tablename__ = "self_report_decisions"
    __table_args__ = (
        CheckConstraint("(supervisor_id IS NULL) <> (decided_by_id IS NULL)", name="one_decider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("self_reports.id"), unique=True)
    approved: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("supervisors.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sign_in_id: Mapped[int | None] = mapped_column(ForeignKey("portal_sign_ins.id"))

    report: Mapped[SelfReport] = relationship(back_populates="decision")
    supervisor: Mapped[Supervisor | None] = relationship()
    decided_by: Mapped[User | None] = relationship()
    sign_in: Mapped[PortalSignIn | None] = relationship()

    @property
    def decider(self) -> str:
        """Who decided, for a reader: the supervisor, or the planner and their role."""
        if self.supervisor is not None:
            return f"{self.supervisor.name} <{self.supervisor.email}>"
        assert self.decided_by is not None
        role = "support" if self.decided_by.role == Role.ADMIN else self.decided_by.role.value
        return f"{self.decided_by.name} <{self.decided_by.email}> ({role})"


class RequestState(enum.StrEnum):
    WAITING = "waiting"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


justification_request_sessions = Table(
    "justification_request_sessions",
    Base.metadata,
    Column("request_id", ForeignKey("justification_requests.id"), primary_key=True),
    Column("session_id", ForeignKey("sessions.id"), primary_key=True),
)


class JustificationRequest(Base):
    """A document for an absence that a participant uploaded in the portal. It counts only
    once the promotor accepts it: accepting records the :class:`Justification` (the same rule
    7 as the promotor's form, handed in on the day of the upload); rejecting gives a reason."""

    __tablename__ = "justification_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[JustificationKind] = mapped_column(
        Enum(
            JustificationKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    note: Mapped[str] = mapped_column(Text, default="")
    handed_in_on: Mapped[date]
    document_path: Mapped[str] = mapped_column(String(300))  # relative to the upload folder
    document_name: Mapped[str] = mapped_column(String(255))
    document_type: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    sign_in_id: Mapped[int | None] = mapped_column(ForeignKey("portal_sign_ins.id"))
    state: Mapped[RequestState] = mapped_column(
        Enum(
            RequestState,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=RequestState.WAITING,
    )
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    justification_id: Mapped[int | None] = mapped_column(ForeignKey("justifications.id"))

    participant: Mapped[Participant] = relationship()
    sessions: Mapped[list[Session]] = relationship(secondary=justification_request_sessions)
    decided_by: Mapped[User | None] = relationship()
    justification: Mapped[Justification | None] = relationship()
