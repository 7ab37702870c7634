"""The front desk's view of today: which sessions have registrations yet, who is in.

When a session needs a reminder is a rule: ``app.domain.frontdesk.needs_reminder``
(docs/rules.md, "Front desk follow-up").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import audit, scoping
from app.audit import Actor
from app.db import LOCK_SESSION, lock_key
from app.domain import frontdesk as rules
from app.domain.cutoff import BRUSSELS
from app.errors import Refusal
from app.extensions import db
from app.links import external_url
from app.mail import outbox
from app.models import AuditRecord, Enrolment, Kind, Registration, Session, User
from app.scanning.service import effective_registrations
from app.timing import SessionTimes, session_times


@dataclass(frozen=True)
class FrontdeskLine:
    session: Session
    times: SessionTimes
    enrolled: int
    registrations: int  # any registration at all, voided ones included: the trainer acted
    checked_in: int  # enrolled participants whose last registration up to now is a check-in
    needs_reminder: bool


def frontdesk_lines(user: User, now: datetime) -> tuple[date, list[FrontdeskLine]]:
    """Today's sessions in the user's scope (their branch), in a fixed number of queries."""
    today = now.astimezone(BRUSSELS).date()
    sessions = db.session.scalars(
        scoping.sessions(user)
        .where(Session.day == today)
        .options(selectinload(Session.training), selectinload(Session.trainer))
        .order_by(Session.start, Session.id)
    ).all()
    ids = [s.id for s in sessions]
    if not ids:
        return today, []
    enrolled = dict(
        db.session.execute(
            select(Enrolment.session_id, func.count())
            .where(Enrolment.session_id.in_(ids))
            .group_by(Enrolment.session_id)
        ).all()
    )
    registered = dict(
        db.session.execute(
            select(Registration.session_id, func.count())
            .where(Registration.session_id.in_(ids))
            .group_by(Registration.session_id)
        ).all()
    )
    # A roll call writes the check-out at the planned end: only what has happened counts as "in".
    last_kind: dict[tuple[int, int], Kind | None] = {}  # never None: effective ones have a kind
    for session_id, participant_id, kind in db.session.execute(
        effective_registrations(ids)
        .where(Registration.at <= now)
        .with_only_columns(Registration.session_id, Registration.participant_id, Registration.kind)
        .order_by(Registration.at, Registration.id)
    ):
        last_kind[(session_id, participant_id)] = kind
    checked_in = Counter(sid for (sid, _), kind in last_kind.items() if kind == Kind.IN)
    lines = []
    for session in sessions:
        times = session_times(session)
        count = enrolled.get(session.id, 0)
        lines.append(
            FrontdeskLine(
                session=session,
                times=times,
                enrolled=count,
                registrations=registered.get(session.id, 0),
                checked_in=checked_in.get(session.id, 0),
                needs_reminder=rules.needs_reminder(
                    enrolled=count,
                    registrations=registered.get(session.id, 0),
                    start=times.start,
                    end=times.end,
                    break_start=times.break_start,
                    now=now,
                ),
            )
        )
    return today, lines


REMIND_AGAIN_AFTER = timedelta(minutes=30)  # one button press, not a stream of mails


def last_reminders(session_ids: list[int]) -> dict[int, datetime]:
    """When the front desk last reminded each session's trainer (from the audit log)."""
    if not session_ids:
        return {}
    return {
        sid: at
        for sid, at in db.session.execute(
            select(AuditRecord.object_id, func.max(AuditRecord.at))
            .where(
                AuditRecord.action == "session.remind_trainer",
                AuditRecord.object_type == "sessions",
                AuditRecord.object_id.in_(session_ids),
            )
            .group_by(AuditRecord.object_id)
        )
        if sid is not None
    }


def remind_trainer(actor: Actor, session: Session, now: datetime) -> User:
    """A short mail to the session's trainer: nothing is registered yet. Recorded in the audit
    log (who, when), at most once every half hour per session."""
    trainer = session.trainer
    if trainer is None or not trainer.email:
        raise Refusal("no_trainer", _l("This session has no trainer to remind."))
    # The session's lock before the check: of several presses at once, one mails and the
    # others see its audit record.
    lock_key(LOCK_SESSION, session.id)
    last = last_reminders([session.id]).get(session.id)
    if last is not None and _aware(last) > now - REMIND_AGAIN_AFTER:
        raise Refusal(
            "reminded",
            _l(
                "The trainer was reminded at %(at)s already.",
                at=_aware(last).astimezone(BRUSSELS).strftime("%H:%M"),
            ),
        )
    language = trainer.language if trainer.language in current_app.config["LANGUAGES"] else "nl"
    with force_locale(language):
        message = EmailMessage()
        message["Subject"] = _(
            "Aanwezig: no registration yet for %(training)s", training=session.training.name
        )
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = trainer.email
        message.set_content(
            _(
                "The front desk sees no registration yet for %(training)s today, "
                "%(start)s-%(end)s (%(location)s). Register who is present with the scanner "
                "or with the roll call: %(link)s",
                training=session.training.name,
                start=session.start.strftime("%H:%M"),
                end=session.end.strftime("%H:%M"),
                location=session.location or "-",
                link=external_url("attendance.roll_call", session_id=session.id),
            )
        )
    outbox.queue(message, purpose="trainer_reminder")
    audit.record(actor, "session.remind_trainer", session, after={"trainer_id": trainer.id})
    return trainer


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive UTC times.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
