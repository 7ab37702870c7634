"""Outgoing events: written in the transaction of the change, delivered by the worker.

Every change that can travel (a registration or its correction, a roll-call mark, a
justification, an exemption) calls one hook here. The hook finds the branch's switched-on
connections that want that kind of change (one indexed query; none: nothing more happens, so
the door's hot path stays short), writes one ``ExchangeEvent`` per connection and enqueues its
delivery job, all in the caller's transaction: the change and its events commit together or not
at all, and no network I/O happens in the request.

The worker delivers an event as a Standard Webhooks signed POST (``standardwebhooks``). Events
of one participant on one connection go out in the order they were written: a job first sends
the earlier undelivered events of the same participant, and stops at the first failure (the job
is retried with back-off). A rare double send (a worker dying between the peer's answer and our
commit, or two workers draining the same participant) carries the same ``webhook-id``, which a
peer applies once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from app import jobs
from app.clock import Clock
from app.domain import exchange as rules
from app.domain.peer_address import Allowance
from app.exchange import transport
from app.extensions import db
from app.models import (
    ExchangeConnection,
    ExchangeEvent,
    Participant,
    Project,
    Session,
    Training,
)
from app.security import decrypt_national_number, decrypt_secret
from app.settings import Settings

log = logging.getLogger(__name__)
KIND = "exchange.deliver"
EVENT_TYPE = "attendance.code"
TIMEOUT = 10
# A peer's 4xx answer is final (retrying the same event cannot change it), except these.
RETRYABLE_4XX = {408, 409, 425, 429}


def _connections_for_session(session_id: int, kind: str) -> list[ExchangeConnection]:
    branch = (
        select(Project.branch_id)
        .join(Training, Training.project_id == Project.id)
        .join(Session, Session.training_id == Training.id)
        .where(Session.id == session_id)
        .scalar_subquery()
    )
    found = db.session.scalars(
        select(ExchangeConnection).where(
            ExchangeConnection.active.is_(True), ExchangeConnection.branch_id == branch
        )
    ).all()
    return [c for c in found if kind in (c.events or [])]


def identifier_of(connection: ExchangeConnection, participant: Participant) -> str | None:
    """The participant as the peer knows them, or None when we do not have it (or may not
    send it: the national register number only over HTTPS and where allowed)."""
    if not rules.identifier_allowed(
        connection.identifier, connection.url, connection.national_number_allowed
    ):
        return None
    if connection.identifier == "email":
        return participant.email.lower()
    if connection.identifier == "external_id":
        return participant.external_id
    if participant.national_number_encrypted is None:
        return None
    return decrypt_national_number(participant.national_number_encrypted)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def body_of(
    connection: ExchangeConnection,
    event_id: str,
    identifier: str,
    session: Session,
    state: str,
    remark: str,
    registered_at: datetime,
) -> dict[str, Any]:
    """The event as it travels (docs/exchange.md describes every field)."""
    moment = rules.moment_of(session.day, session.start, connection.split_at)
    return {
        "type": EVENT_TYPE,
        "timestamp": _iso(registered_at),
        "data": {
            "event_id": event_id,
            "participant": {"scheme": connection.identifier, "value": identifier},
            "date": moment.day.isoformat(),
            "part": moment.part,
            "session": {
                "id": str(session.id),
                "start": session.start.strftime("%H:%M"),
                "end": session.end.strftime("%H:%M"),
            },
            "code": rules.code_for(connection.mapping, state),
            "state": state,
            "remark": remark,
            "registered_at": _iso(registered_at),
        },
    }


def changed(
    source: str,
    source_id: int,
    session_id: int,
    participant_id: int,
    registered_at: datetime,
    state: str | None = None,
    remark: str = "",
    kind: str | None = None,
    connections: list[ExchangeConnection] | None = None,
    push_id: int | None = None,
    except_connection_id: int | None = None,
) -> int:
    """Write the events of one change for every interested connection (caller's transaction);
    returns how many were queued. ``state`` None: derived from the session's registrations.
    An event already written for a connection (same id) is not written again, which makes the
    one-time push idempotent. ``except_connection_id``: the peer the change came from."""
    if connections is None:
        connections = _connections_for_session(session_id, kind or source)
    connections = [c for c in connections if c.id != except_connection_id]
    if not connections:
        return 0
    session = db.session.get(Session, session_id)
    participant = db.session.get(Participant, participant_id)
    if session is None or participant is None:
        return 0
    if state is None:
        state = registration_state(session, participant_id)
    queued = 0
    for connection in connections:
        eid = rules.event_id(f"aanwezig-{connection.id}", source, source_id, session_id)
        exists = db.session.scalar(
            select(ExchangeEvent.id).where(
                ExchangeEvent.connection_id == connection.id,
                ExchangeEvent.direction == "out",
                ExchangeEvent.event_id == eid,
            )
        )
        if exists is not None:
            continue
        identifier = identifier_of(connection, participant)
        moment = rules.moment_of(session.day, session.start, connection.split_at)
        event = ExchangeEvent(
            connection_id=connection.id,
            direction="out",
            event_id=eid,
            participant_id=participant_id,
            session_id=session_id,
            day=moment.day,
            part=moment.part,
            state=state,
            code=connection.mapping.get(state, ""),
            remark=remark or "",
            registered_at=registered_at,
            push_id=push_id,
        )
        if identifier is None or state not in connection.mapping:
            event.payload = {}
            event.failed_at = registered_at
            event.last_error = (
                "no identifier for this participant"
                if identifier is None
                else f"no code for state {state}"
            )
            db.session.add(event)
            continue
        event.payload = body_of(
            connection, eid, identifier, session, state, remark or "", registered_at
        )
        event.job_id = jobs.enqueue(KIND, {"connection": connection.id}).id
        db.session.add(event)
        queued += 1
    db.session.flush()
    return queued


def registration_state(session: Session, participant_id: int) -> str:
    from app.domain.sessions import local_datetime
    from app.scanning.service import effective_registrations

    registrations = db.session.scalars(effective_registrations(session.id, [participant_id])).all()
    return rules.state_from_registrations(
        local_datetime(session.day, session.start),
        local_datetime(session.day, session.end),
        [(r.kind.value, r.at) for r in registrations if r.kind is not None and r.at],
    )


def registration_written(row: Mapping[str, Any], registration_id: int, now: datetime) -> None:
    """Listens to ``app.signals.registration_written`` (every registration the scan path
    writes; connected in ``create_app``)."""
    from app.reasons import dutch_reason  # the package reads Dutch ("left at the end")

    changed(
        "registration",
        registration_id,
        row["session_id"],
        row["participant_id"],
        row.get("received_at") or now,
        remark=dutch_reason(row.get("reason")),
    )


def attendance_changed(source: str, **change: Any) -> None:
    """Listens to ``app.signals.attendance_changed`` (a roll-call mark, an exemption, a
    justification; connected in ``create_app``)."""
    changed(
        source,
        change["source_id"],
        change["session_id"],
        change["participant_id"],
        change["registered_at"],
        state=change.get("state"),
        remark=change.get("remark", ""),
    )


# --- Delivery (the worker) -------------------------------------------------------------------


def serialise(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def signed_headers(secret: str, event_id: str, body: str, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt (the timestamp is the attempt's)."""
    signature = Webhook(secret).sign(msg_id=event_id, timestamp=at, data=body)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


class DeliveryFailed(Exception):
    pass


def _post(
    connection_url: str,
    secret: str,
    event_id: str,
    payload: Mapping[str, Any],
    allowed: Allowance,
    clock: Clock,
) -> None:
    body = serialise(payload)
    # Signed at the moment it leaves: the peer holds the signature's time to a few minutes.
    headers = signed_headers(secret, event_id, body, clock.now())
    try:
        answer = transport.post(allowed, connection_url, body.encode(), headers, TIMEOUT)
    except transport.AddressRefused as exc:
        # Not retried: the address is the connection's, and support must change it.
        raise jobs.Permanent(
            _(
                "not sent: the peer's address leads to an internal address (%(kind)s), which "
                "the exchange may not reach",
                kind=ADDRESS_KINDS.get(exc.kind, exc.kind),
            )
        ) from exc
    except transport.BadPeerUrl as exc:
        raise jobs.Permanent(_("not sent: the peer's address is not a valid address")) from exc
    except requests.RequestException as exc:
        raise DeliveryFailed(_("peer unreachable (%(why)s)", why=_unreachable_reason(exc))) from exc
    status = answer.status_code
    if 200 <= status < 300:
        return
    # The peer's own text is never kept or shown: only its status and our reading of it.
    if 300 <= status < 400:
        raise jobs.Permanent(
            _(
                "the peer answered %(status)s: a redirect, which is not followed; enter the "
                "address it points to in the connection",
                status=status,
            )
        )
    reason = _status_reason(status)
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        raise jobs.Permanent(
            _("the peer refused the event: %(status)s, %(reason)s", status=status, reason=reason)
        )
    raise DeliveryFailed(
        _(
            "the peer answered %(status)s, %(reason)s; tried again later",
            status=status,
            reason=reason,
        )
    )


ADDRESS_KINDS = {
    "loopback": _l("this machine itself"),
    "private": _l("a private network"),
    "link_local": _l("a link-local address"),
    "multicast": _l("a multicast address"),
    "reserved": _l("a reserved address"),
}


def _status_reason(status: int) -> str:
    """What a peer's status says, in our words."""
    reasons = {
        400: _l("it could not read the event"),
        401: _l("it did not accept the signature (check the shared secret)"),
        403: _l("it did not accept the signature (check the shared secret)"),
        404: _l("no such address at the peer"),
        405: _l("the address does not take events"),
        408: _l("the peer timed out"),
        409: _l("the peer is busy with this participant"),
        413: _l("the event is too large for the peer"),
        422: _l("the peer did not accept the event's content"),
        425: _l("the peer asks to try later"),
        429: _l("the peer asks to send less often"),
    }
    if status in reasons:
        return str(reasons[status])
    if status >= 500:
        return str(_l("an error at the peer"))
    return str(_l("an unexpected answer"))


def _unreachable_reason(exc: requests.RequestException) -> str:
    cause = exc.args[0] if exc.args else None
    cause = getattr(cause, "reason", cause)  # urllib3's MaxRetryError carries the real one
    if isinstance(cause, NameResolutionError):
        return str(_l("its name is not known"))
    # Before the time-out: urllib3's NewConnectionError is a ConnectTimeoutError too.
    if isinstance(cause, NewConnectionError):
        return str(_l("nothing answers at its address"))
    if isinstance(exc, requests.Timeout) or isinstance(cause, ConnectTimeoutError):
        return str(_l("no answer in time"))
    if isinstance(exc, requests.exceptions.SSLError):
        return str(_l("its certificate was not accepted"))
    return str(_l("nothing answers at its address"))


def _deliver(job: jobs.Claimed, run: jobs.Run) -> None:
    """The job of one event: deliver it, after the participant's earlier undelivered events."""
    event = db.session.scalar(select(ExchangeEvent).where(ExchangeEvent.job_id == job.id))
    if event is None:
        raise jobs.Permanent("the event of this job is gone")
    own = event.id  # a plain value: after a rollback the object would be read again
    if event.delivered_at is not None or event.failed_at is not None:
        db.session.rollback()
        return
    connection = event.connection
    if not connection.active:
        db.session.rollback()
        _record(own, error="the connection is paused")  # due again at the switch-on
        raise DeliveryFailed("the connection is paused")
    queue = db.session.scalars(
        select(ExchangeEvent)
        .where(
            ExchangeEvent.connection_id == event.connection_id,
            ExchangeEvent.participant_id == event.participant_id,
            ExchangeEvent.direction == "out",
            ExchangeEvent.delivered_at.is_(None),
            ExchangeEvent.failed_at.is_(None),
            ExchangeEvent.id <= event.id,
        )
        .order_by(ExchangeEvent.id)
    ).all()
    url, secret = connection.url, decrypt_secret(connection.secret_encrypted)
    allowed = run.settings.exchange_allowance
    pending = [(e.id, e.event_id, e.payload, e.created_at) for e in queue]
    db.session.rollback()  # no transaction stays open while the peer answers
    now = run.now
    for event_pk, eid, payload, created_at in pending:
        try:
            _post(url, secret, eid, payload, allowed, run.clock)
        except jobs.Permanent as exc:
            _record(event_pk, error=str(exc), failed=now)
            if event_pk == own:
                raise
            continue  # a refused earlier event does not hold the later ones back
        except DeliveryFailed as exc:
            if rules.given_up(created_at, now):
                _record(
                    event_pk, error=_("given up after a week: %(why)s", why=str(exc)), failed=now
                )
                if event_pk == own:
                    raise jobs.Permanent(str(exc)) from exc
                continue
            _record(event_pk, error=str(exc))
            if event_pk != own:
                waiting = _(
                    "waiting for an earlier event of this participant: %(why)s", why=str(exc)
                )
                _record(own, error=waiting)
                raise DeliveryFailed(waiting) from exc
            raise
        _record(event_pk, delivered=run.clock.now())


def _record(
    event_pk: int,
    *,
    error: str | None = None,
    delivered: datetime | None = None,
    failed: datetime | None = None,
) -> None:
    values: dict[str, Any] = {"attempts": ExchangeEvent.attempts + 1, "last_error": error}
    if delivered is not None:
        values["delivered_at"] = delivered
    if failed is not None:
        values["failed_at"] = failed
    db.session.execute(
        update(ExchangeEvent)
        .where(ExchangeEvent.id == event_pk)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _retry_seconds(settings: Settings) -> float:
    return settings.exchange_retry_seconds


jobs.register(jobs.JobKind(KIND, perform=_deliver, retry_seconds=_retry_seconds))


def deliver_due(run: jobs.Run, limit: int = 100) -> tuple[int, int]:
    """Claim and try every due delivery once at ``run.now`` (tests, the benchmark); returns
    (done, failed)."""
    from app.jobs.runner import run_due
    from app.jobs.worker import worker_name

    return run_due(worker_name(), [KIND], run, limit)
