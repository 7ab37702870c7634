"""``POST /api/v1/exchange/{connection_id}/events``: a peer package's events (docs/rules.md, "Exchange").

Authenticated by the Standard Webhooks signature alone (no bearer token): the connection's
shared secret signs ``webhook-id.webhook-timestamp.body``; a wrong signature, or a timestamp
more than five minutes off, is refused with 401 before the body is even read. Each event id is
applied once: a repeat (the peer retrying after a lost answer, or a replay) is acknowledged as
a duplicate and changes nothing. The one registered last wins: an event older than what we
hold for that participant and half day is acknowledged and not applied (the answer says so);
a newer one is added as a roll-call mark with source "import", naming the peer and its code,
for every session of the participant in that half day, and travels on to the branch's other
connections, never back to the peer it came from. Nothing is ever overwritten in place.
"""

from __future__ import annotations

import base64
from datetime import UTC, time, timedelta

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert
from standardwebhooks.webhooks import Webhook

from app import audit, json_strict
from app.api import bp
from app.api import schemas as s
from app.api.openapi import endpoint
from app.api.schemas.exchange import ExchangeOutcome
from app.audit import Actor
from app.clock import now as clock_now
from app.domain import exchange as rules
from app.errors import Refusal
from app.exchange import outgoing
from app.extensions import db
from app.models import (
    Enrolment,
    ExchangeConnection,
    ExchangeEvent,
    Participant,
    RollCallMark,
    Session,
)
from app.security import decrypt_secret, national_number_index

ENDPOINT = "api.exchange_events"
FUTURE_MARGIN = timedelta(minutes=5)
REFUSES = {
    400: "Malformed event (not JSON, NaN or Infinity in it, a field missing or invalid), or "
    "webhook-id differs from data.event_id (event_id_mismatch)",
    401: "Missing, wrong or outdated Standard Webhooks signature, or no such connection: the "
    "answer is the same (bad_signature)",
    404: "Only for a path whose id is not a number in the id range: an unknown connection "
    "is answered 401, as a wrong signature is",
    409: "The connection is paused (connection_paused); send again later",
    413: "The request body is larger than the exchange takes (64 KiB by default)",
    422: "Refused by a rule: unknown_participant, wrong_identifier, unknown_code, future_time",
    503: "The database is busy or unreachable; nothing was saved",
}
# Verified against when the connection does not exist, so an unknown id costs what a known one
# does and is answered alike: ids cannot be counted.
_NO_SECRET = "whsec_" + base64.b64encode(bytes(32)).decode()


def _bad_signature() -> Refusal:
    return Refusal(
        "bad_signature",
        _l("The Standard Webhooks signature is missing, wrong or too old."),
        status=401,
    )


@bp.before_request
def verify_signature() -> None:
    """Before the body is parsed: only a correctly signed, fresh request gets further."""
    if request.endpoint != ENDPOINT:
        return
    # A larger body is refused (413) before anything else: it is read whole to be verified.
    request.max_content_length = int(current_app.config["EXCHANGE_MAX_BODY"])
    body = request.get_data(cache=True)
    connection = db.session.get(ExchangeConnection, int((request.view_args or {})["connection_id"]))
    secret = decrypt_secret(connection.secret_encrypted) if connection else _NO_SECRET
    try:
        Webhook(secret).verify(body, dict(request.headers), json_parse=False)
        verified = connection is not None
    except Exception:  # the library raises several kinds for a malformed header
        verified = False
    if not verified:
        raise _bad_signature()
    assert connection is not None
    if not connection.active:
        raise Refusal(
            "connection_paused", _l("This connection is paused; send again later."), status=409
        )
    g.exchange_connection = connection


def _participant(connection: ExchangeConnection, scheme: str, value: str) -> Participant:
    if scheme != connection.identifier or not rules.identifier_allowed(
        connection.identifier, connection.url, connection.national_number_allowed
    ):
        raise Refusal(
            "wrong_identifier",
            _l(
                "This connection identifies participants by %(scheme)s.",
                scheme=connection.identifier,
            ),
            status=422,
        )
    query = select(Participant).where(
        Participant.branch_id == connection.branch_id, Participant.ended_at.is_(None)
    )
    if scheme == "email":
        query = query.where(func.lower(Participant.email) == value.lower())
    elif scheme == "external_id":
        query = query.where(Participant.external_id == value)
    else:
        digits = "".join(ch for ch in value if ch.isdigit())
        query = query.where(Participant.national_number_index == national_number_index(digits))
    found = db.session.scalars(query.limit(2)).all()
    if len(found) != 1:
        raise Refusal(
            "unknown_participant",
            _l("No participant of this branch has this identifier."),
            status=422,
        )
    return found[0]


def held_stamp(connection_id: int, participant_id: int, moment: rules.Moment) -> rules.Stamp | None:
    """The latest registration either side holds for this participant and half day, as far
    as the exchange knows it: what we sent, and what we applied from the peer."""
    rows = db.session.execute(
        select(ExchangeEvent.registered_at, ExchangeEvent.event_id).where(
            ExchangeEvent.connection_id == connection_id,
            ExchangeEvent.participant_id == participant_id,
            ExchangeEvent.day == moment.day,
            ExchangeEvent.part == moment.part,
            or_(
                ExchangeEvent.direction == "out",
                ExchangeEvent.outcome.in_(("applied", "no_session")),
            ),
        )
    ).all()
    return rules.latest(rules.Stamp(at, eid) for at, eid in rows)


def _sessions_in(participant_id: int, moment: rules.Moment, split_at: time) -> list[int]:
    rows = db.session.execute(
        select(Session.id, Session.day, Session.start)
        .join(Enrolment, Enrolment.session_id == Session.id)
        .where(
            Enrolment.participant_id == participant_id,
            Session.day == moment.day,
            Session.cancelled_at.is_(None),
        )
        .order_by(Session.start, Session.id)
    ).all()
    return rules.sessions_in_moment([(r.id, r.day, r.start) for r in rows], moment, split_at)


MESSAGES = {
    "applied": _l("Applied."),
    "older": _l(
        "Acknowledged, not applied: a later registration is held for this participant and moment."
    ),
    "duplicate": _l("Acknowledged: this event was received before and is applied once."),
    "no_session": _l("Acknowledged: the participant has no session in this moment."),
}


def _ack(event_id: str, outcome: ExchangeOutcome, sessions: list[int]) -> s.ExchangeAck:
    return s.ExchangeAck(
        event_id=event_id,
        outcome=outcome,
        applied=outcome == "applied",
        message=str(MESSAGES[outcome]),
        sessions=sessions,
    )


def _insert_ignoring_duplicates(values: dict[str, object]) -> ReturningInsert[int]:
    """INSERT .. ON CONFLICT DO NOTHING RETURNING id, on PostgreSQL and SQLite alike."""
    if db.session.get_bind().dialect.name == "postgresql":
        return (
            postgresql.insert(ExchangeEvent)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(ExchangeEvent.id)
        )
    return (
        sqlite.insert(ExchangeEvent)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(ExchangeEvent.id)
    )


@bp.post("/exchange/<int:connection_id>/events")
@endpoint(
    s.ExchangeAck,
    body=s.ExchangeEventIn,
    summary="Receive one event from a school administration package",
    description="Signed with the Standard Webhooks headers (webhook-id, webhook-timestamp, "
    "webhook-signature) and the connection's secret; no bearer token. See docs/exchange.md.",
    public=True,
    refuses=REFUSES,
)
def exchange_events(connection_id: int, body: s.ExchangeEventIn) -> s.ExchangeAck:
    connection: ExchangeConnection = g.exchange_connection
    data = body.data
    if request.headers.get("webhook-id") != data.event_id:
        raise Refusal(
            "event_id_mismatch",
            _l("The webhook-id header must be the event's id."),
            field="event_id",
        )
    seen = db.session.scalar(
        select(ExchangeEvent.id).where(
            ExchangeEvent.connection_id == connection.id,
            ExchangeEvent.direction == "in",
            ExchangeEvent.event_id == data.event_id,
        )
    )
    if seen is not None:
        return _ack(data.event_id, "duplicate", [])
    now = clock_now()
    registered_at = data.registered_at.astimezone(UTC)
    if registered_at > now + FUTURE_MARGIN:
        raise Refusal(
            "future_time",
            _l("The registration time lies in the future."),
            status=422,
            field="registered_at",
        )
    participant = _participant(connection, data.participant.scheme, data.participant.value)
    state = rules.state_for(connection.mapping, data.code)
    if state is None:
        raise Refusal(
            "unknown_code",
            _l("This code is not in the connection's mapping."),
            status=422,
            field="code",
        )
    moment = rules.Moment(data.date, data.part)
    incoming = rules.Stamp(registered_at, data.event_id)
    sessions: list[int] = []
    outcome: ExchangeOutcome
    if not rules.wins(incoming, held_stamp(connection.id, participant.id, moment)):
        outcome = "older"
    else:
        sessions = _sessions_in(participant.id, moment, connection.split_at)
        outcome = "applied" if sessions else "no_session"
    # Written before anything else of the event, and only if no copy of it was written first:
    # copies sent at once (a peer retrying while the first is still being answered) all pass
    # the check above, and the unique (connection, direction, event id) decides which one
    # applies; the others wait for it and are answered as the duplicates they are.
    inserted = db.session.execute(
        _insert_ignoring_duplicates(
            {
                "connection_id": connection.id,
                "direction": "in",
                "event_id": data.event_id,
                "participant_id": participant.id,
                "session_id": sessions[0] if sessions else None,
                "day": moment.day,
                "part": moment.part,
                "state": state,
                "code": data.code,
                "remark": data.remark or "",
                "registered_at": registered_at,
                "payload": json_strict.loads(request.get_data(cache=True)),  # as received
                "outcome": outcome,
                "delivered_at": now,
                "created_at": now,
            }
        )
    ).scalar()
    if inserted is None:
        return _ack(data.event_id, "duplicate", [])
    actor = Actor(None)
    for session_id in sessions:
        mark = RollCallMark(
            session_id=session_id,
            participant_id=participant.id,
            present=state in rules.PRESENT_STATES,
            remark=(data.remark or "")[:500],
            marked_at=registered_at,
            source="import",
            peer=connection.name[:200],
            code=data.code,
        )
        db.session.add(mark)
        db.session.flush()
        audit.record(actor, "exchange.import", mark, after=audit.snapshot(mark))
        outgoing.changed(
            "mark",
            mark.id,
            session_id,
            participant.id,
            registered_at,
            state=state,
            remark=data.remark or "",
            except_connection_id=connection.id,
        )
    return _ack(data.event_id, outcome, sessions)
