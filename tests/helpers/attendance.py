"""Attendance helpers: registrations of a session, justifying an absence, corrections run as a user."""

from __future__ import annotations

import io
from datetime import date, datetime, time

from sqlalchemy import select

from app.attendance import operations as ops
from app.audit import Actor
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import (
    Participant,
    Registration,
    Session,
    User,
)
from tests.helpers.web import PAST


def at(hour: int, minute: int = 0, day=PAST):  # type: ignore[no-untyped-def]
    return datetime.combine(day, time(hour, minute), tzinfo=BRUSSELS)


def run(app, user_id, operation):  # type: ignore[no-untyped-def]
    """Call an operation as ``user_id`` inside an app context and commit."""
    with app.app_context():
        actor = Actor(db.session.get(User, user_id))
        result = operation(actor)
        db.session.commit()
        return result


def call(app, held, name, *args):  # type: ignore[no-untyped-def]
    def operation(actor):  # type: ignore[no-untyped-def]
        session = db.session.get(Session, held["session"])
        function = getattr(ops, name)
        if name == "confirm_roll_call":
            present, *rest = args
            lines = [ops.RollCallLine(pid, True) for pid in present]
            return function(actor, session, lines, *rest)
        participant = db.session.get(Participant, args[0])
        return function(actor, session, participant, *args[1:])

    return run(app, held["promotor"], operation)


def effective(app, session_id, participant_id):  # type: ignore[no-untyped-def]
    from app.scanning.service import effective_registrations

    with app.app_context():
        return [
            (r.kind.value, r.at.astimezone(BRUSSELS).time(), r.source.value)
            for r in db.session.scalars(
                effective_registrations(session_id, [participant_id]).order_by(Registration.at)
            )
        ]


def registrations(app, session_id: int) -> list[Registration]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalars(
            select(Registration).where(Registration.session_id == session_id)
        ).all()


PDF = b"%PDF-1.4\n%test\n"


def justify(client, training: int, person: int, session_id: int, handed_in: date, **extra):  # type: ignore[no-untyped-def]
    data = {
        "justify-kind": "doctor",
        "justify-sessions": [session_id],
        "justify-handed_in": handed_in.isoformat(),
        "justify-document": (io.BytesIO(extra.pop("document", PDF)), "attest.pdf"),
        **extra,
    }
    return client.post(
        f"/trainings/{training}/participants/{person}/justifications",
        data=data,
        content_type="multipart/form-data",
    )
