"""Signing in to the portal: a one-time link by mail (30 minutes, once), and signing out.

The page asking for a link only stores the request, so it answers the same, and as fast, whether
the address is known or not; the worker looks it up and only a known
address (an active participant, or a supervisor) gets a mail. The link's token is made and
checked by ``app.links``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app import audit, jobs, links
from app.db import changed_rows
from app.errors import Refusal
from app.extensions import db
from app.mail import asked, outbox
from app.models import Participant, PortalSignIn, Supervisor

PURPOSE = "portal-sign-in"
MAIL = "portal_sign_in"
REQUEST = "portal.link_request"


def link_minutes() -> int:
    return int(current_app.config["PORTAL_LINK_MINUTES"])


def known_address(email: str) -> bool:
    """An active participant record or a supervisor has this (lower-cased) address."""
    participant = select(Participant.id).where(
        func.lower(Participant.email) == email, Participant.ended_at.is_(None)
    )
    supervisor = select(Supervisor.id).where(Supervisor.email == email)
    return (
        db.session.scalars(participant.limit(1)).first() is not None
        or db.session.scalars(supervisor.limit(1)).first() is not None
    )


def request_link(email: str, language: str) -> None:
    """The sign-in page: only stores the request (``app.mail.asked``), so the page answers
    alike, and as fast, for a known and an unknown address."""
    asked.ask(REQUEST, email.strip().lower(), language=language)


def _make_link_mail(payload: Mapping[str, Any], run: jobs.Run) -> None:
    """In the worker: a known address gets a link; an unknown one nothing."""
    email, language = payload.get("email"), payload.get("language")
    if isinstance(email, str):
        send_link(email, run.now, language if isinstance(language, str) else "nl")


def register_jobs() -> None:
    asked.register(REQUEST, _make_link_mail)


def send_link(email: str, now: datetime, language: str) -> PortalSignIn | None:
    """Mail a sign-in link to a known address; an unknown one gets nothing (and is not told)."""
    email = email.strip().lower()
    if not known_address(email):
        return None
    nonce = links.new_nonce()
    sign_in = PortalSignIn(
        email=email,
        nonce_hash=links.nonce_hash(nonce),
        requested_at=now,
        expires_at=now + timedelta(minutes=link_minutes()),
    )
    db.session.add(sign_in)
    db.session.flush()
    token = links.make_token(PURPOSE, links.LinkKey(sign_in.id, nonce))
    _queue_link_mail(email, links.external_url("portal.use_link", token=token), language, sign_in)
    return sign_in


def _queue_link_mail(email: str, link: str, language: str, sign_in: PortalSignIn) -> None:
    """A personal mail: sealed while it waits, emptied once sent (``app.mail.outbox``)."""
    with force_locale(language):
        context = {"link": link, "minutes": link_minutes()}
        message = EmailMessage()
        message["Subject"] = _("Your link to the Aanwezig portal")
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = email
        message.set_content(render_template("mail/portal_link.txt", **context))
        message.add_alternative(render_template("mail/portal_link.html", **context), subtype="html")
    outbox.queue(message, purpose=MAIL, expires_at=sign_in.expires_at)


def _expired() -> Refusal:
    return Refusal(
        "link_expired",
        _l("This sign-in link has expired (a link works for %(n)s minutes).", n=link_minutes()),
        status=410,
    )


def _invalid() -> Refusal:
    return Refusal(
        "link_invalid", _l("This sign-in link is not valid (it may be incomplete)."), status=404
    )


def _used() -> Refusal:
    return Refusal(
        "link_used",
        _l("This sign-in link was used already: each link works once."),
        status=410,
    )


def find_link(token: str, now: datetime) -> PortalSignIn:
    """The sign-in a link names while it can still be used, or the refusal saying why not."""
    try:
        key = links.read_token(PURPOSE, token, link_minutes() * 60)
    except links.LinkExpired:
        raise _expired() from None
    except links.LinkInvalid:
        raise _invalid() from None
    sign_in = db.session.get(PortalSignIn, key.row_id) if 0 < key.row_id < 2**31 else None
    if sign_in is None or sign_in.nonce_hash != links.nonce_hash(key.nonce):
        raise _invalid()
    if sign_in.used_at is not None:
        raise _used()
    if now > sign_in.expires_at:
        raise _expired()
    return sign_in


def use_link(token: str, now: datetime) -> PortalSignIn:
    """Sign in with a link, once: of two uses (even at the same moment) one succeeds."""
    sign_in = find_link(token, now)
    claimed = changed_rows(
        update(PortalSignIn)
        .where(PortalSignIn.id == sign_in.id, PortalSignIn.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed != 1:
        raise _used()
    db.session.refresh(sign_in)
    audit.record(
        audit.Actor(None, sign_in_id=sign_in.id),
        "portal.sign_in",
        sign_in,
        after={"email": sign_in.email},
    )
    return sign_in


def end(sign_in_id: int, now: datetime) -> None:
    """Sign out: the session ends for every copy of its cookie."""
    sign_in = db.session.get(PortalSignIn, sign_in_id)
    if sign_in is not None and sign_in.ended_at is None:
        sign_in.ended_at = now
        db.session.flush()
        audit.record(audit.Actor(None, sign_in_id=sign_in.id), "portal.sign_out", sign_in)
