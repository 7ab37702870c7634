"""Who is enrolled in a session and whether they are in or out right now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.domain.attendance import Kind as Direction
from app.extensions import db
from app.models import Enrolment, Kind, Participant, Registration, Session
from app.scanning.service import effective_registrations


@dataclass(frozen=True, slots=True)
class RosterEntry:
    participant: Participant
    state: Direction
    last_at: datetime | None
    registrations: tuple[Registration, ...]


def roster(session: Session) -> list[RosterEntry]:
    """The enrolled participants, by name, each with their current state (two queries)."""
    participants = db.session.scalars(
        select(Participant)
        .join(Enrolment, Enrolment.participant_id == Participant.id)
        .where(Enrolment.session_id == session.id)
        .order_by(Participant.name, Participant.id)
    ).all()
    by_participant: dict[int, list[Registration]] = {}
    for registration in db.session.scalars(
        effective_registrations(session.id).order_by(Registration.at, Registration.id)
    ):
        by_participant.setdefault(registration.participant_id, []).append(registration)
    entries = []
    for participant in participants:
        history = tuple(by_participant.get(participant.id, ()))
        last = history[-1] if history else None
        entries.append(
            RosterEntry(
                participant=participant,
                state="in" if last is not None and last.kind == Kind.IN else "out",
                last_at=last.at if last else None,
                registrations=history,
            )
        )
    return entries
