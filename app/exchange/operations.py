"""Support's operations on the exchange: connections, switching on and off, retrying a
delivery, the one-time push. They flush and audit; the request's transaction commits."""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased

from app import audit, checks, jobs
from app.audit import Actor
from app.domain import exchange as rules
from app.domain.peer_address import Allowance
from app.errors import Refusal
from app.exchange import outgoing, transport
from app.extensions import db
from app.models import (
    Branch,
    Enrolment,
    ExchangeConnection,
    ExchangeEvent,
    ExchangePush,
    Exemption,
    Job,
    Justification,
    Project,
    Registration,
    RollCallMark,
    Session,
    Training,
)
from app.models.attendance import justification_sessions
from app.security import encrypt_secret

AUDITED = ("name", "url", "events", "identifier", "national_number_allowed", "mapping", "split_at")


@dataclass
class ConnectionInput:
    name: str
    url: str
    events: list[str]
    identifier: str
    national_number_allowed: bool
    mapping: dict[str, str]
    split_at: time
    secret: str | None = None  # None: keep (or, for a new connection, generate one)


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_secret(secret: str) -> str:
    raw = secret.strip()
    body = raw.removeprefix("whsec_")
    try:
        decoded = base64.b64decode(body + "==", validate=False)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) < 16 or not body.replace("+", "").replace("/", "").rstrip("=").isalnum():
        raise Refusal(
            "bad_secret",
            _l("The secret must be 'whsec_' followed by at least 16 bytes in base64."),
            field="secret",
        )
    return raw


def _check(data: ConnectionInput, allowed: Allowance) -> None:
    checks.text(data.name, "name")
    if not data.name.strip():
        raise Refusal("required", _l("Give a name."), field="name")
    _check_url(data.url, allowed)
    unknown = [e for e in data.events if e not in rules.EVENT_KINDS]
    if unknown:
        raise Refusal("bad_events", _l("Unknown kind of event."), field="events")
    if data.identifier not in ("external_id", "email", "national_number"):
        raise Refusal("bad_identifier", _l("Unknown identifier."), field="identifier")
    if not rules.identifier_allowed(data.identifier, data.url, data.national_number_allowed):
        raise Refusal(
            "national_number_not_allowed",
            _l(
                "The national register number may only travel over https:// and only when this "
                "connection is allowed it."
            ),
            field="identifier",
        )
    problems = rules.mapping_problems(data.mapping)
    if problems:
        raise Refusal(
            "bad_mapping",
            _l(
                "The codes mapping needs one short code (no spaces) for every state, each code "
                "once: %(problems)s",
                problems=", ".join(problems),
            ),
            field="mapping",
        )


def _check_url(text: str, allowed: Allowance) -> None:
    """A well-formed http(s) address whose host does not lead inside (app.domain.peer_address):
    checked here, and again at every delivery on the address actually connected to."""
    if len(text) > 500:
        raise Refusal("bad_url", _l("The address is too long."), field="url")
    try:
        transport.check_url(text, allowed)
    except transport.BadPeerUrl:
        raise Refusal(
            "bad_url", _l("Give the peer's address, starting with https://."), field="url"
        ) from None
    except transport.AddressRefused as exc:
        raise Refusal(
            "internal_address",
            _l(
                "This address leads to %(kind)s, which the exchange may not reach. Give the "
                "package's address on the internet.",
                kind=outgoing.ADDRESS_KINDS.get(exc.kind, exc.kind),
            ),
            field="url",
        ) from None


def create_connection(
    actor: Actor, branch: Branch, data: ConnectionInput, *, allowed: Allowance
) -> tuple[ExchangeConnection, str]:
    """A new connection, switched off. Returns it and its secret, shown this once only.
    ``allowed``: the internal hosts it may reach all the same (the settings')."""
    _check(data, allowed)
    secret = _check_secret(data.secret) if data.secret else new_secret()
    connection = ExchangeConnection(
        branch_id=branch.id,
        name=data.name.strip(),
        url=data.url.strip(),
        secret_encrypted=encrypt_secret(secret),
        secret_last4=secret[-4:],
        events=list(data.events),
        identifier=data.identifier,
        national_number_allowed=data.national_number_allowed,
        mapping=dict(data.mapping),
        split_at=data.split_at,
        active=False,
        created_by_id=actor.user_id,
    )
    db.session.add(connection)
    db.session.flush()
    audit.record(actor, "exchange.connection.create", connection, None, _audited(connection))
    return connection, secret


def _audited(connection: ExchangeConnection) -> dict[str, Any]:
    return {**audit.snapshot(connection, AUDITED), "secret": f"…{connection.secret_last4}"}


def update_connection(
    actor: Actor, connection: ExchangeConnection, data: ConnectionInput, *, allowed: Allowance
) -> str | None:
    """Change a connection; a new secret (given or generated) is returned to be shown once."""
    _check(data, allowed)
    before = _audited(connection)
    connection.name = data.name.strip()
    connection.url = data.url.strip()
    connection.events = list(data.events)
    connection.identifier = data.identifier
    connection.national_number_allowed = data.national_number_allowed
    connection.mapping = dict(data.mapping)
    connection.split_at = data.split_at
    secret = None
    if data.secret:
        # "nieuw" is the word the Dutch page asks for; "generate" the English one.
        wanted_new = data.secret.strip().lower() in ("generate", "nieuw")
        secret = new_secret() if wanted_new else _check_secret(data.secret)
        connection.secret_encrypted = encrypt_secret(secret)
        connection.secret_last4 = secret[-4:]
    db.session.flush()
    audit.record(actor, "exchange.connection.change", connection, before, _audited(connection))
    return secret


def switch(actor: Actor, connection: ExchangeConnection, on: bool, now: datetime) -> None:
    """Switch on (from now: nothing registered before goes out, except by the one-time push;
    deliveries that waited during a pause are due at once) or pause."""
    before = {"active": connection.active}
    connection.active = on
    if on:
        connection.activated_at = now
        waiting = select(ExchangeEvent.job_id).where(
            ExchangeEvent.connection_id == connection.id,
            ExchangeEvent.direction == "out",
            ExchangeEvent.delivered_at.is_(None),
            ExchangeEvent.failed_at.is_(None),
            ExchangeEvent.job_id.is_not(None),
        )
        db.session.execute(
            update(Job)
            .where(Job.id.in_(waiting), Job.finished_at.is_(None))
            .values(due_at=now)
            .execution_options(synchronize_session=False)
        )
        jobs.wake_after_commit()
    db.session.flush()
    action = "exchange.connection.on" if on else "exchange.connection.pause"
    audit.record(actor, action, connection, before, {"active": on})


def retry(actor: Actor, event: ExchangeEvent, now: datetime) -> None:
    """Deliver a waiting or failed event again now (a failed one gets a new job)."""
    if event.direction != "out" or event.delivered_at is not None:
        raise Refusal("not_retryable", _l("This event needs no delivery."), status=409)
    if not event.payload:
        raise Refusal(
            "not_deliverable",
            _l("This event cannot be sent: %(why)s", why=event.last_error or ""),
            status=409,
        )
    before = {"failed_at": audit.plain(event.failed_at), "job_id": event.job_id}
    job = db.session.get(Job, event.job_id) if event.job_id else None
    if event.failed_at is not None or job is None or job.finished_at is not None:
        event.failed_at = None
        event.job_id = jobs.enqueue(outgoing.KIND, {"connection": event.connection_id}).id
    else:
        job.due_at = now
        jobs.wake_after_commit()
    db.session.flush()
    audit.record(actor, "exchange.retry", event, before, {"job_id": event.job_id})


def school_year(today: date) -> tuple[date, date]:
    """1 September .. 31 August around ``today``."""
    first = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    return first, date(first.year + 1, 8, 31)


def push(
    actor: Actor,
    connection: ExchangeConnection,
    date_from: date,
    date_to: date,
    today: date,
) -> ExchangePush:
    """The one-time push (seed 001: "Bestaande afwezigheidscodes doorsturen"): for every
    enrolment of the branch in the range (up to today) the state that holds now, with the time
    it was registered. Repeating it is harmless: an event already written for this connection
    (same id) is not written again, and the peer keeps the one registered last anyway."""
    checks.day(date_from, "date_from")
    checks.day(date_to, "date_to")
    if date_to < date_from:
        raise Refusal("bad_range", _l("The end date lies before the start date."), field="date_to")
    if not connection.active:
        raise Refusal(
            "connection_paused", _l("Switch the connection on before pushing."), status=409
        )
    last = min(date_to, today)
    record = ExchangePush(
        connection_id=connection.id,
        date_from=date_from,
        date_to=date_to,
        created_by_id=actor.user_id,
    )
    db.session.add(record)
    db.session.flush()
    pairs = db.session.execute(
        select(Enrolment.session_id, Enrolment.participant_id)
        .join(Session, Session.id == Enrolment.session_id)
        .join(Training, Training.id == Session.training_id)
        .join(Project, Project.id == Training.project_id)
        .where(
            Project.branch_id == connection.branch_id,
            Session.day >= date_from,
            Session.day <= last,
            Session.cancelled_at.is_(None),
        )
        .order_by(Session.day, Session.start, Session.id, Enrolment.participant_id)
    ).all()
    session_ids = sorted({p.session_id for p in pairs})
    decisive = _decisive_changes(session_ids, connection)
    queued = skipped = 0
    for session_id, participant_id in pairs:
        change = decisive.get((session_id, participant_id))
        if change is None:
            skipped += 1
            continue
        source, source_id, state, remark, at = change
        n = outgoing.changed(
            source,
            source_id,
            session_id,
            participant_id,
            at,
            state=state,
            remark=remark,
            connections=[connection],
            push_id=record.id,
        )
        queued += n
        skipped += 1 - n
    record.queued, record.skipped = queued, skipped
    db.session.flush()
    audit.record(actor, "exchange.push", record, None, audit.snapshot(record))
    return record


Change = tuple[str, int, str | None, str, datetime]


def _decisive_changes(
    session_ids: list[int], connection: ExchangeConnection
) -> dict[tuple[int, int], Change]:
    """Per session and participant, the change that decides the state now: an exemption, else
    a justification, else the later of the latest roll-call mark and the latest registration.
    Marks imported from this very connection are not sent back to it. Five queries in all."""
    if not session_ids:
        return {}
    found: dict[tuple[int, int], Change] = {}
    regs: dict[tuple[int, int], Registration] = {}
    voider = aliased(Registration)
    for r in db.session.scalars(
        select(Registration).where(
            Registration.session_id.in_(session_ids),
            Registration.kind.is_not(None),
            ~exists().where(voider.voids_id == Registration.id),
        )
    ):
        key = (r.session_id, r.participant_id)
        if key not in regs or r.received_at >= regs[key].received_at:
            regs[key] = r
    for key, r in regs.items():
        found[key] = ("registration", r.id, None, r.reason or "", r.received_at)
    for m in db.session.scalars(
        select(RollCallMark)
        .where(RollCallMark.session_id.in_(session_ids))
        .order_by(RollCallMark.marked_at, RollCallMark.id)
    ):
        if m.source == "import" and m.peer == connection.name:
            continue
        key = (m.session_id, m.participant_id)
        if key not in found or m.marked_at >= found[key][4]:
            found[key] = ("mark", m.id, "present" if m.present else "absent", m.remark, m.marked_at)
    for j, session_id in db.session.execute(
        select(Justification, justification_sessions.c.session_id)
        .join(justification_sessions, justification_sessions.c.justification_id == Justification.id)
        .where(
            justification_sessions.c.session_id.in_(session_ids),
            Justification.revoked_at.is_(None),
        )
    ):
        found[(session_id, j.participant_id)] = (
            "justification",
            j.id,
            f"justified_{j.kind.value}",
            j.note,
            j.created_at,
        )
    for e in db.session.scalars(
        select(Exemption).where(
            Exemption.session_id.in_(session_ids), Exemption.revoked_at.is_(None)
        )
    ):
        if e.session_id is None:  # minutes off the training, not a session (not asked for)
            continue
        found[(e.session_id, e.participant_id)] = (
            "exemption",
            e.id,
            "exempt",
            e.reason,
            e.created_at,
        )
    return found
