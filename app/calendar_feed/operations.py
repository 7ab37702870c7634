"""Calendar feeds: renewing an address, finding a feed by its token, the sessions it shows.

The token is 256 random bits; only its SHA-256 is stored (as for API tokens), so the address
is shown once, when it is made, and a copy of the database opens no calendar. Renewing stores
a new hash in the owner's one row: the old address answers 404 from that moment. The feed shows
its owner's sessions and nothing else: a trainer's (the sessions they give or the trainings
they teach), or those a portal address is enrolled in (its participant records in any branch).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app import audit
from app.audit import Actor
from app.domain import ical
from app.extensions import db
from app.models import AuditRecord, CalendarFeed, Enrolment, Participant, Session, Training, User
from app.models.planning import training_trainers
from app.security import hash_api_token

TOKEN_PREFIX = "cal_"
# Sessions from this long ago stay in the feed (a calendar keeps what it had anyway).
HISTORY = timedelta(days=120)
MAX_EVENTS = 2000
# Reading the feed is recorded at most this often (calendar apps poll every few minutes).
LAST_READ_EVERY = timedelta(hours=1)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def feed_of_user(user: User) -> CalendarFeed | None:
    return db.session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).first()


def feed_of_email(email: str) -> CalendarFeed | None:
    return db.session.scalars(
        select(CalendarFeed).where(CalendarFeed.email == email.lower())
    ).first()


def renew(actor: Actor, now: datetime, user: User | None = None, email: str | None = None) -> str:
    """A new secret address for ``user`` or ``email`` (the old one, if any, ends); returns the
    token, which is not stored."""
    assert (user is None) != (email is None)
    token = new_token()
    feed = feed_of_user(user) if user is not None else feed_of_email(email or "")
    if feed is None:
        feed = CalendarFeed(
            user_id=user.id if user else None,
            email=email.lower() if email else None,
            token_hash=hash_api_token(token),
            created_at=now,
            renewed_at=now,
        )
        db.session.add(feed)
        db.session.flush()
        audit.record(actor, "calendar_feed.create", feed, after={"renewed_at": now.isoformat()})
    else:
        before = {"renewed_at": audit.plain(feed.renewed_at)}
        feed.token_hash = hash_api_token(token)
        feed.renewed_at = now
        db.session.flush()
        audit.record(actor, "calendar_feed.renew", feed, before, {"renewed_at": now.isoformat()})
    return token


def by_token(token: str) -> CalendarFeed | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    return db.session.scalars(
        select(CalendarFeed).where(CalendarFeed.token_hash == hash_api_token(token))
    ).first()


def mark_read(feed: CalendarFeed, now: datetime) -> None:
    if feed.last_read_at is None or now - feed.last_read_at > LAST_READ_EVERY:
        feed.last_read_at = now


def _sessions(feed: CalendarFeed, now: datetime) -> list[Session]:
    since = (now - HISTORY).date()
    query = select(Session).options(
        joinedload(Session.training).joinedload(Training.project), joinedload(Session.trainer)
    )
    if feed.user_id is not None:
        taught = select(training_trainers.c.training_id).where(
            training_trainers.c.user_id == feed.user_id
        )
        query = query.where(
            or_(Session.trainer_id == feed.user_id, Session.training_id.in_(taught))
        )
    else:
        enrolled = (
            select(Enrolment.session_id)
            .join(Participant, Participant.id == Enrolment.participant_id)
            .where(func.lower(Participant.email) == feed.email, Participant.ended_at.is_(None))
        )
        query = query.where(Session.id.in_(enrolled))
    query = query.where(Session.day >= since).order_by(Session.day, Session.start, Session.id)
    return list(db.session.scalars(query.limit(MAX_EVENTS)).unique())


def _changed(sessions: list[Session]) -> dict[int, datetime]:
    """Each session's last change (its audit records, on the (object, time) index)."""
    if not sessions:
        return {}
    rows = db.session.execute(
        select(AuditRecord.object_id, func.max(AuditRecord.at))
        .where(
            AuditRecord.object_type == Session.__tablename__,
            AuditRecord.object_id.in_([s.id for s in sessions]),
        )
        .group_by(AuditRecord.object_id)
    )
    found: dict[int, datetime] = {}
    for session_id, at in rows:
        if session_id is not None and at is not None:
            # max() of the column comes back naive on SQLite: the column holds naive UTC.
            found[session_id] = at if at.tzinfo else at.replace(tzinfo=UTC)
    return found


def feed_text(feed: CalendarFeed, now: datetime) -> str:
    sessions = _sessions(feed, now)
    changed = _changed(sessions)
    events = []
    for session in sessions:
        trainer = session.trainer.display_name if session.trainer else ""
        description = [_("Training: %(name)s", name=session.training.name)]
        if trainer:
            description.append(_("Trainer: %(name)s", name=trainer))
        if session.cancelled:
            description.append(_("Cancelled."))
        events.append(
            ical.Event(
                uid=f"session-{session.id}@aanwezig",
                day=session.day,
                start=session.start,
                end=session.end,
                summary=session.training.name
                + (f" ({trainer})" if trainer and feed.user_id is None else ""),
                location=session.location or "",
                description="\n".join(description),
                cancelled=session.cancelled,
                changed_at=max(
                    [
                        session.created_at,
                        *([session.cancelled_at] if session.cancelled_at else []),
                        *([changed[session.id]] if session.id in changed else []),
                    ]
                ),
            )
        )
    return ical.calendar(_("Aanwezig: sessions"), events, now)
