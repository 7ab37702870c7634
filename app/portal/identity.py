"""Who is signed in to the portal: an email address proven by a one-time link.

The session cookie holds only the sign-in's id (under its own key, beside but apart from
Flask-Login's staff user). Every portal request reads that sign-in back: it must have been
used, not ended (logout ends it for every copy of the cookie) and not be older than
``PORTAL_SESSION_HOURS``. The address then selects what the person may see: the participant
records with that address (in every branch) and the participants whose supervisor has it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import current_app, g, redirect, request, session, url_for
from sqlalchemy import Select, func, select

from app.audit import Actor
from app.clock import now as clock_now
from app.domain.limits import id_in_range
from app.extensions import db
from app.models import Participant, PortalSignIn, Supervisor

SESSION_KEY = "portal_sign_in"


@dataclass(frozen=True, slots=True)
class PortalIdentity:
    sign_in_id: int
    email: str

    @property
    def actor(self) -> Actor:
        return Actor(None, sign_in_id=self.sign_in_id)


def session_hours() -> int:
    return int(current_app.config["PORTAL_SESSION_HOURS"])


def current_identity() -> PortalIdentity | None:
    """The signed-in address, or ``None`` (never a staff user)."""
    if "portal_identity" in g:
        return g.portal_identity
    g.portal_identity = _load(clock_now())
    return g.portal_identity


def _load(now: datetime) -> PortalIdentity | None:
    sign_in_id = session.get(SESSION_KEY)
    if not isinstance(sign_in_id, int) or not id_in_range(sign_in_id):
        return None
    sign_in = db.session.get(PortalSignIn, sign_in_id)
    if (
        sign_in is None
        or sign_in.used_at is None
        or sign_in.ended_at is not None
        or now > sign_in.used_at + timedelta(hours=session_hours())
    ):
        session.pop(SESSION_KEY, None)
        return None
    return PortalIdentity(sign_in.id, sign_in.email)


def start(sign_in: PortalSignIn) -> None:
    """This browser is signed in with ``sign_in`` from now on (a previous sign-in is left)."""
    session[SESSION_KEY] = sign_in.id
    g.portal_identity = PortalIdentity(sign_in.id, sign_in.email)


def forget() -> None:
    session.pop(SESSION_KEY, None)
    g.portal_identity = None


def portal_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in to the portal, or off to its sign-in page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        identity = current_identity()
        if identity is None:
            return redirect(url_for("portal.sign_in", next=request.path))
        return view(identity, *args, **kwargs)

    return wrapped


def own_participants(identity: PortalIdentity) -> Select[Participant]:
    """The signed-in person's own participant records (one per branch they are enrolled in)."""
    return select(Participant).where(
        func.lower(Participant.email) == identity.email, Participant.ended_at.is_(None)
    )


def supervised_participants(identity: PortalIdentity) -> Select[Participant]:
    """The participants whose supervisor has the signed-in address."""
    return (
        select(Participant)
        .join(Supervisor, Supervisor.id == Participant.supervisor_id)
        .where(Supervisor.email == identity.email, Participant.ended_at.is_(None))
    )


def is_supervisor(identity: PortalIdentity) -> bool:
    return (
        db.session.scalars(
            select(Supervisor.id).where(Supervisor.email == identity.email).limit(1)
        ).first()
        is not None
    )
