"""The front desk's view of today: which sessions have registrations yet, who is in.

When a session needs a reminder is a rule: ``app.domain.frontdesk.needs_reminder``
(docs/rules.md, "Front desk follow-up").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import scoping
from app.domain import frontdesk as rules
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import Enrolment, Kind, Registration, Session, User
from app.planning.timing import SessionTimes, session_times
from app.scanning.service import effective_registrations


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
    last_kind: dict[tuple[int, int], Kind] = {}
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
