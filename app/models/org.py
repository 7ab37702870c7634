"""Branches, users, roles and API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, Enum, ForeignKey, LargeBinary, String, Table, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"  # support desk and local access administrator
    PROMOTOR = "promotor"
    TRAINER = "trainer"
    FRONTDESK = "frontdesk"


class Branch(Base):
    __tablename__ = "branches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Printed on the certificates of this branch's trainings, under the organisation's name.
    address: Mapped[str] = mapped_column(Text, default="", server_default="")


class Organisation(Base):
    """The training organisation itself (one row): what every certificate names and who signs.

    The enterprise number is stored as ``0123.456.749`` (checked by
    ``app.domain.certificates.enterprise_number``); the stamp image, when the organisation wants
    one printed in the stamp box, as the uploaded PNG or JPEG bytes (checked by opening them).
    """

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    enterprise_number: Mapped[str] = mapped_column(String(20), default="")
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_function: Mapped[str] = mapped_column(String(200), default="")
    stamp: Mapped[bytes | None] = mapped_column(LargeBinary)
    stamp_type: Mapped[str | None] = mapped_column(String(20))  # image/png or image/jpeg
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# A partner organisation's work relation ("werkrelatie") with a branch: its trainers may
# teach that branch's trainings.
partner_branches = Table(
    "partner_branches",
    Base.metadata,
    Column("partner_id", ForeignKey("partner_organisations.id"), primary_key=True),
    Column("branch_id", ForeignKey("branches.id"), primary_key=True),
)


class PartnerOrganisation(Base):
    """An organisation that employs external trainers, for the branches it works for."""

    __tablename__ = "partner_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    branches: Mapped[list[Branch]] = relationship(secondary=partner_branches)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    # An external trainer is employed by a partner organisation; internal ones have none.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner_organisations.id"))
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every login session's id: raising it (logout, password change, deactivation)
    # ends every session of the user, also a copied cookie, on every server.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # Given an initial password by someone else: must choose their own at the next login.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The daily digest mail of what needs them (docs/rules.md, "Daily digest"); they can
    # switch it off on their account page.
    digest_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())

    branch: Mapped[Branch | None] = relationship()
    partner: Mapped[PartnerOrganisation | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated user cannot log in
        return self.active

    def get_id(self) -> str:
        """Flask-Login's session id: the user and their session generation."""
        return f"{self.id}:{self.session_generation}"

    @property
    def display_name(self) -> str:
        return self.name or self.email


class ApiToken(Base):
    """A bearer token, stored as its SHA-256 only; the plain text is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Set for a scanner's own token, got by pairing (app/devices): the name the scanner is
    # listed by on the tokens page. None for a token made by hand.
    device_name: Mapped[str | None] = mapped_column(String(120))

    user: Mapped[User] = relationship()
