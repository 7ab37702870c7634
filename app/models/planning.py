"""Projects, trainings, sessions and closure days."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import Column, Enum, ForeignKey, Index, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow
from app.models.org import Branch, User


class TrainingMode(enum.StrEnum):
    CLASSROOM = "classroom"
    ELEARNING = "e-learning"


training_trainers = Table(
    "training_trainers",
    Base.metadata,
    Column("training_id", ForeignKey("trainings.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(60), unique=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    branch: Mapped[Branch] = relationship()
    trainings: Mapped[list[Training]] = relationship(back_populates="project")


class TrainingKind(enum.StrEnum):
    GENERAL = "general"  # algemene vorming
    VOCATIONAL = "vocational"  # beroepsgerichte vorming


class Training(Base):
    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(60), default="")
    mode: Mapped[TrainingMode] = mapped_column(
        Enum(
            TrainingMode,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    # Certificate data (docs/rules.md, "Certificates"): recognition number, or joint committee number and date.
    kind: Mapped[TrainingKind] = mapped_column(
        Enum(
            TrainingKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=TrainingKind.VOCATIONAL,
        server_default=TrainingKind.VOCATIONAL.value,
    )
    recognition_number: Mapped[str] = mapped_column(String(60), default="", server_default="")
    joint_committee: Mapped[str] = mapped_column(String(60), default="", server_default="")
    joint_committee_date: Mapped[date | None]
    # Organised per school year: lesson periods are the school terms (docs/rules.md, "Lesson periods").
    per_school_year: Mapped[bool] = mapped_column(default=False, server_default=false())
    exam_date: Mapped[date | None]  # last exam of the first sitting
    # How hours present are counted (app.domain.thresholds.HoursMethod): "registered" (the
    # registered time) or "lessons" (a lesson counted present gives its full planned hours).
    hours_method: Mapped[str] = mapped_column(
        String(20), default="registered", server_default="registered"
    )
    # The end of the first and of the second sitting: the second-sitting certificates' deadlines.
    first_sitting_end: Mapped[date | None]
    second_sitting_end: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="trainings")
    trainers: Mapped[list[User]] = relationship(secondary=training_trainers)
    sessions: Mapped[list[Session]] = relationship(
        back_populates="training", order_by="(Session.day, Session.start)"
    )


class Session(Base):
    """One training moment. Its status is derived (see ``app.domain.sessions``)."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_training_day", "training_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id"))
    day: Mapped[date] = mapped_column(index=True)
    start: Mapped[time]
    end: Mapped[time]
    break_start: Mapped[time | None]
    break_end: Mapped[time | None]
    location: Mapped[str] = mapped_column(String(200), default="")
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    submitted_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]
    reopen_reason: Mapped[str | None] = mapped_column(Text)
    # Support closes a reopened session again; it then stays locked for good.
    reclosed_at: Mapped[datetime | None]
    was_reopened: Mapped[bool] = mapped_column(default=False)
    # Cancelled: kept (archive, audit) but given to nobody: no hours, figures or exports.
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    training: Mapped[Training] = relationship(back_populates="sessions")
    trainer: Mapped[User | None] = relationship()

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def reopened(self) -> bool:
        """Reopened by support and not closed again: registrations are accepted."""
        return self.reopened_at is not None and self.reclosed_at is None


class ClosureDay(Base):
    """A day the organisation is closed: not a working day for the registration deadline."""

    __tablename__ = "closure_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
