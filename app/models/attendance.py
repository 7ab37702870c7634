"""What the attendance figures need beyond registrations: training enrolment data,
exemptions, justified absences and issued certificates."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Enum,
    ForeignKey,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.certificates import LeaveRegime
from app.models.base import Base, utcnow
from app.models.org import User
from app.models.people import Participant
from app.models.planning import Session, Training


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class TrainingEnrolment(Base):
    """A participant's enrolment in a training as a whole (the certificates' subject).

    ``enrolled_on`` after the training's start makes a late enrolment; ``terminated_on`` is an
    early termination; ``paid_leave`` marks a participant on paid leave and ``leave_regime``
    which one (``app.domain.certificates.LeaveRegime``: betaald educatief verlof or Vlaams
    opleidingsverlof; meaningful only with ``paid_leave``). ``second_sitting`` marks a
    participant who takes part in the second sitting, ``second_sitting_exams`` the ISO dates of
    the exams they took in it.
    """

    __tablename__ = "training_enrolments"
    __table_args__ = (UniqueConstraint("training_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    enrolled_on: Mapped[date]
    paid_leave: Mapped[bool] = mapped_column(default=False)
    leave_regime: Mapped[LeaveRegime] = mapped_column(
        _enum(LeaveRegime), default=LeaveRegime.BEV, server_default=LeaveRegime.BEV.value
    )
    second_sitting: Mapped[bool] = mapped_column(default=False, server_default=false())
    second_sitting_exams: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    terminated_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    training: Mapped[Training] = relationship()
    participant: Mapped[Participant] = relationship()


class Exemption(Base):
    """Vrijstelling: a whole session (``session_id``) or a number of minutes of the training."""

    __tablename__ = "exemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"))
    minutes: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    session: Mapped[Session | None] = relationship()
    participant: Mapped[Participant] = relationship()


class JustificationKind(enum.StrEnum):
    DOCTOR = "doctor"
    EMPLOYER = "employer"
    KLEIN_VERLET = "klein_verlet"
    OTHER = "other"


justification_sessions = Table(
    "justification_sessions",
    Base.metadata,
    Column("justification_id", ForeignKey("justifications.id"), primary_key=True),
    Column("session_id", ForeignKey("sessions.id"), primary_key=True),
)


class Justification(Base):
    """A justified absence for one or more sessions; its document lives outside the web root."""

    __tablename__ = "justifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[JustificationKind] = mapped_column(_enum(JustificationKind))
    handed_in_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    document_path: Mapped[str | None] = mapped_column(String(300))  # relative to instance/uploads
    document_name: Mapped[str | None] = mapped_column(String(255))
    document_type: Mapped[str | None] = mapped_column(String(100))
    override_reason: Mapped[str | None] = mapped_column(Text)  # support accepted it late
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    participant: Mapped[Participant] = relationship()
    sessions: Mapped[list[Session]] = relationship(secondary=justification_sessions)
    created_by: Mapped[User | None] = relationship()


class CertificateKind(enum.StrEnum):
    DILIGENCE = "diligence"  # attest van nauwgezetheid
    REGULAR_ENROLMENT = "regular_enrolment"  # attest van regelmatige inschrijving
    # Attest van deelname 2de zittijd: 1, the participant must take part in the second sitting;
    # 2, their participation confirmed with the dates of the exams taken.
    RESIT_NOTICE = "resit_notice"
    RESIT_PARTICIPATION = "resit_participation"
    # Deelnameattest with the hours, for a participant not on betaald educatief verlof.
    ATTENDANCE = "attendance"


class Certificate(Base):
    """An issued certificate: the PDF and the figures it shows, never changed afterwards.

    A correction is a new certificate naming the one it corrects (``corrects_id``) and why.
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CertificateKind] = mapped_column(_enum(CertificateKind))
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)

    training: Mapped[Training] = relationship()
    participant: Mapped[Participant] = relationship()
    issued_by: Mapped[User | None] = relationship()


class RollCallMark(Base):
    """What the trainer marked at the roll call for one participant: present or absent, and a
    short remark. Never changed: marking again adds a row, the latest one is the state shown.
    The hours come from the registrations the roll call writes, not from the mark."""

    __tablename__ = "roll_call_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    present: Mapped[bool]
    remark: Mapped[str] = mapped_column(String(500), default="")
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "manual" at the roll call; "import" for a code a peer package sent (app/exchange), which
    # names the peer and its code. ``marked_at`` is then when it was registered at the peer.
    source: Mapped[str] = mapped_column(String(20), default="manual", server_default="manual")
    peer: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(20))
