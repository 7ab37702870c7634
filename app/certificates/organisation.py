"""The organisation's row (there is one): read by the certificates, written by support."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Organisation


def current() -> Organisation | None:
    """The organisation's data, or ``None`` before support filled it in."""
    return db.session.scalars(select(Organisation).order_by(Organisation.id)).first()
