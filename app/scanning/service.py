"""The check-in service. Every refusal has a reason code; a client nonce makes retries harmless.

It is the hot path at the door: a handful of indexed queries and no commit of its own (the
request's one transaction ends in ``app.db.Application``). A nonce belongs to its caller and its
request: the same request again gets the stored answer, any other request with it a 409.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Insert,
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from app import audit, scoping, signals
from app.audit import Actor
from app.domain.cutoff import window_refusal
from app.domain.scanning import FUTURE_MARGIN, Requested, scan_direction
from app.errors import Refusal
from app.extensions import db
from app.models import (
    ApiToken,
    AuditRecord,
    Enrolment,
    ExchangeConnection,
    Kind,
    Participant,
    Project,
    Registration,
    ScanReceipt,
    Session,
    Source,
    Training,
    User,
)
from app.scoping import Principal
from app.security import qr_public_key
from app.settings import Settings
from app.timing import session_times
from qr import InvalidCode, verify_code

MESSAGES = {
    "invalid_code": _l("This is not a valid Aanwezig code."),
    "revoked_code": _l("This code was revoked; the participant received a new one."),
    "not_enrolled": _l("This participant is not enrolled in this session."),
    "unknown_session": _l("This session does not exist."),
    "too_early": _l("Too early: registration opens shortly before the session starts."),
    "registration_closed": _l("Registration for this session is closed."),
    "future_time": _l("The scan time lies in the future."),
    "nonce_reused": _l(
        "This nonce was already used for another scan. Send each scan with a nonce of its own."
    ),
}
# Every code POST /scans can refuse with (documented in the OpenAPI description).
REFUSAL_CODES = (*MESSAGES, "forbidden", "unauthorized", "invalid_request", "invalid_json")


def refuse(code: str, status: int = 422) -> Refusal:
    return Refusal(code, MESSAGES[code], status=status)


class CallerChanged(Refusal):
    """The caller's token was revoked, or their user changed, since the token was last read.

    The API reads the token again and retries once; if that also fails, a 401.
    """

    def __init__(self) -> None:
        super().__init__("unauthorized", _l("This API token is unknown or revoked."), status=401)


@dataclass(frozen=True, slots=True)
class ScanRequest:
    session_id: int
    code: str
    nonce: str
    scanned_at: datetime | None
    direction: Requested

    def digest(self, caller: Principal) -> str:
        """The request as a retry of its nonce must repeat it: caller, session, code, direction
        and the time given (the nonce is the key it is stored under)."""
        at = self.scanned_at.isoformat() if self.scanned_at else ""
        text = f"{caller.token_id}|{self.session_id}|{self.code}|{self.direction}|{at}"
        return hashlib.sha256(text.encode()).hexdigest()


def effective_registrations(
    session_ids: int | list[int], participant_ids: list[int] | None = None
) -> Select[Registration]:
    """Registrations that count: with a kind and time, and not voided by a later correction."""
    voider = aliased(Registration)
    if isinstance(session_ids, int):
        session_ids = [session_ids]
    query = select(Registration).where(
        Registration.session_id.in_(session_ids),
        Registration.kind.is_not(None),
        ~exists().where(voider.voids_id == Registration.id),
    )
    if participant_ids is not None:
        query = query.where(Registration.participant_id.in_(participant_ids))
    return query


_participants = Participant.__table__
_enrolments = Enrolment.__table__
_registrations = Registration.__table__
_voiders = _registrations.alias("voiders")
_latest = (
    select(_registrations.c.kind, _registrations.c.at)
    .where(
        _registrations.c.session_id == bindparam("session_id"),
        _registrations.c.participant_id == _participants.c.id,
        _registrations.c.kind.is_not(None),
        ~exists().where(_voiders.c.voids_id == _registrations.c.id),
    )
    .order_by(_registrations.c.at.desc(), _registrations.c.id.desc())
    .limit(1)
)
_receipts = ScanReceipt.__table__
_RECEIPT = select(_receipts.c.response).where(_receipts.c.nonce == bindparam("nonce"))
_tokens = ApiToken.__table__
_users = User.__table__
_sessions = Session.__table__
_trainings, _projects = Training.__table__, Project.__table__
_connections = ExchangeConnection.__table__
# Whether the session's branch has a switched-on exchange connection, asked in the scan's own
# facts query: without one (the usual case) a scan makes no extra round trip for the exchange.
_EXCHANGE = (
    exists()
    .where(
        _trainings.c.id == _sessions.c.training_id,
        _projects.c.id == _trainings.c.project_id,
        _connections.c.branch_id == _projects.c.branch_id,
        _connections.c.active.is_(True),
    )
    .label("exchange")
)
_SESSION_COLUMNS = (
    _sessions.c.id.label("session_id"),
    _sessions.c.day,
    _sessions.c.start,
    _sessions.c.end,
    _sessions.c.break_start,
    _sessions.c.break_end,
    _sessions.c.reopened_at,
    _sessions.c.reclosed_at,
    _EXCHANGE,
)
_PARTICIPANT_COLUMNS = (
    _RECEIPT.scalar_subquery().label("receipt"),
    _RECEIPT.with_only_columns(_receipts.c.request_digest)
    .scalar_subquery()
    .label("receipt_digest"),
    select(_registrations.c.id)
    .where(_registrations.c.nonce == bindparam("nonce"))
    .scalar_subquery()
    .label("registration_id"),
    select(_registrations.c.request_digest)
    .where(_registrations.c.nonce == bindparam("nonce"))
    .scalar_subquery()
    .label("registration_digest"),
    _participants.c.id,
    _participants.c.name,
    _participants.c.key_version,
    select(_enrolments.c.id)
    .where(
        _enrolments.c.session_id == bindparam("session_id"),
        _enrolments.c.participant_id == _participants.c.id,
    )
    .scalar_subquery()
    .label("enrolment_id"),
    _latest.with_only_columns(_registrations.c.kind).scalar_subquery().label("last_kind"),
    _latest.with_only_columns(_registrations.c.at).scalar_subquery().label("last_at"),
)


@lru_cache(maxsize=512)
def _facts_query(caller: Principal) -> Select[*tuple[Any, ...]]:
    """Everything a scan needs to know, in one round trip (built once per caller).

    A row only while the caller's token stands and their user is active with the same role and
    branch; the session's times if it exists in the caller's scope; whether this nonce was
    answered before and for which request (the repeat's receipt or the registration it made);
    the person, their enrolment and their last registration in the session.
    """
    same_branch = (
        _users.c.branch_id.is_(None)
        if caller.branch_id is None
        else _users.c.branch_id == caller.branch_id
    )
    in_scope = (
        scoping.sessions(caller)
        .with_only_columns(Session.id)
        .where(Session.id == bindparam("session_id"))
    )
    return (
        select(*_SESSION_COLUMNS, *_PARTICIPANT_COLUMNS)
        .select_from(
            _tokens.join(_users, _users.c.id == _tokens.c.user_id)
            .outerjoin(
                _sessions,
                and_(_sessions.c.id == bindparam("session_id"), _sessions.c.id.in_(in_scope)),
            )
            .outerjoin(_participants, _participants.c.id == bindparam("participant_id"))
        )
        .where(
            _tokens.c.id == caller.token_id,
            _tokens.c.revoked_at.is_(None),
            _users.c.active.is_(True),
            _users.c.role == caller.role,
            same_branch,
        )
    )


# Scans of one person are serialised, so two scanners at one door cannot both check them in,
# and so are scans with one nonce, so that a nonce sent for two people at once is stored for one
# of them only (a repeat's receipt and a registration live in two tables). The lock is a
# statement of its own, before the facts: PostgreSQL (read committed) gives each statement a
# fresh snapshot, so the facts then include the other scan. The nonce's (advisory) lock is taken
# in the row's projection, before the row lock above it: always in that order, so two requests
# cannot wait for each other. SQLite has no row locks; a write takes the database's write lock,
# held until the commit.
_NONCE_LOCKS = 2  # pg_advisory_xact_lock(key1, key2): key1 keeps these apart from other uses
_LOCK = {
    "postgresql": select(
        func.pg_advisory_xact_lock(_NONCE_LOCKS, func.hashtext(bindparam("nonce"))),
        _participants.c.id,
    )
    .where(_participants.c.id == bindparam("person"))
    .with_for_update(of=_participants),
    "sqlite": update(_participants)
    .where(_participants.c.id == bindparam("person"))
    .values(key_version=_participants.c.key_version),
}


def _scan_facts(
    caller: Principal, session_id: int, participant_id: int, nonce: str
) -> Row[*tuple[Any, ...]] | None:
    parameters: dict[str, int | str] = {"person": participant_id}
    if db.engine.dialect.name == "postgresql":
        parameters["nonce"] = nonce
    db.session.execute(_LOCK[db.engine.dialect.name], parameters)
    return db.session.execute(
        _facts_query(caller),
        {"session_id": session_id, "participant_id": participant_id, "nonce": nonce},
    ).first()


_REGISTERED = (
    select(
        _registrations.c.kind,
        _registrations.c.at,
        _participants.c.id,
        _participants.c.name,
    )
    .join(_participants, _participants.c.id == _registrations.c.participant_id)
    .where(_registrations.c.nonce == bindparam("nonce"))
)


def _answer(
    direction: str, participant_id: int, name: str, at: datetime, repeat: bool
) -> dict[str, Any]:
    return {
        "direction": direction,
        "participant": {"id": participant_id, "name": name},
        "at": at.astimezone(UTC).isoformat(),
        "repeat": repeat,
    }


_EARLIER = {
    "registration": select(
        _registrations.c.request_digest,
        _registrations.c.session_id,
        _registrations.c.participant_id,
        _registrations.c.token_id,
    ).where(_registrations.c.nonce == bindparam("nonce")),
    "receipt": select(
        _receipts.c.request_digest,
        _receipts.c.session_id,
        _receipts.c.participant_id,
        literal(None).label("token_id"),
    ).where(_receipts.c.nonce == bindparam("nonce")),
}


def _same_request(
    stored_digest: str | None,
    where: str,
    caller: Principal,
    request: ScanRequest,
    participant_id: int,
) -> bool:
    """Whether the scan stored under this nonce came from this very request."""
    if stored_digest is not None:
        return stored_digest == request.digest(caller)
    # Stored before requests had a digest (2026-12-01), or not by a scan: what the row tells.
    row = db.session.execute(_EARLIER[where], {"nonce": request.nonce}).first()
    return (
        row is not None
        and row.session_id == request.session_id
        and row.participant_id == participant_id
        and row.token_id in (None, caller.token_id)
    )


def _earlier_answer(nonce: str) -> dict[str, Any] | None:
    """The answer already given to ``nonce``: a repeat's receipt, or rebuilt from the
    registration the scan made (an accepted scan's registration is its own receipt)."""
    receipt = db.session.execute(_RECEIPT, {"nonce": nonce}).scalar()
    if receipt is not None:
        return receipt
    row = db.session.execute(_REGISTERED, {"nonce": nonce}).first()
    if row is None:
        return None
    return _answer(row.kind.value, row.id, row.name, row.at, repeat=False)


def _replay(
    caller: Principal, request: ScanRequest, participant_id: int, digest: str | None, where: str
) -> dict[str, Any]:
    """The stored answer for a retry of the same request. Any other request with this nonce
    gets a 409 that tells nothing of the scan the nonce was first used for."""
    if not _same_request(digest, where, caller, request, participant_id):
        raise refuse("nonce_reused", status=409)
    answer = _earlier_answer(request.nonce)
    if answer is None:  # a registration by the roll call or a correction: not a scan's
        raise refuse("nonce_reused", status=409)
    return answer


def _stored_digest(where: str, nonce: str) -> str | None:
    return db.session.execute(_EARLIER[where], {"nonce": nonce}).scalar()


def scan(
    caller: Principal, request: ScanRequest, now: datetime, settings: Settings
) -> dict[str, Any]:
    """Register one scan; return the answer, the same for a retried request.

    A retried request carries the same code, so it passes the signature check again and finds
    its stored answer before any rule that time could change (the window) is applied.
    Raises ``CallerChanged`` when the caller's token or user changed since it was read; it has
    written nothing then.
    """
    try:
        signed = verify_code(qr_public_key(), request.code)
    except InvalidCode as exc:
        raise refuse("invalid_code") from exc
    at = request.scanned_at or now
    if at > now + FUTURE_MARGIN:
        raise refuse("future_time")
    facts = _scan_facts(caller, request.session_id, signed.participant_id, request.nonce)
    if facts is None:
        raise CallerChanged()
    # A nonce seen before, before the scope: a caller of another branch replaying it learns
    # only that it is taken.
    if facts.receipt is not None:
        return _replay(caller, request, signed.participant_id, facts.receipt_digest, "receipt")
    if facts.registration_id is not None:
        return _replay(
            caller, request, signed.participant_id, facts.registration_digest, "registration"
        )
    if facts.session_id is None:
        raise refuse("unknown_session", status=404)
    if facts.id is None:
        raise refuse("invalid_code")
    if signed.key_version != facts.key_version:
        raise refuse("revoked_code")
    if facts.enrolment_id is None:
        raise refuse("not_enrolled")
    # A transient object, never added to the database session: what the window rule reads.
    session = Session(
        id=facts.session_id,
        day=facts.day,
        start=facts.start,
        end=facts.end,
        break_start=facts.break_start,
        break_end=facts.break_end,
        reopened_at=facts.reopened_at,
        reclosed_at=facts.reclosed_at,
    )
    check_window(session, at, now, settings.scan_early_minutes)
    last_kind, last_at = facts.last_kind, facts.last_at
    direction, repeat = scan_direction(
        request.direction,
        last_kind.value if last_kind else None,
        last_at,
        at,
        timedelta(seconds=settings.scan_repeat_seconds),
    )
    response = _answer(
        direction, facts.id, facts.name, last_at if repeat and last_at else at, repeat
    )
    digest = request.digest(caller)
    if repeat:
        stored = _store_receipt(request, facts.id, response, digest, now)
        where = "receipt"
    else:
        registration = {
            "session_id": request.session_id,
            "participant_id": facts.id,
            "kind": Kind(direction),
            "at": at,
            "received_at": now,
            "source": Source.SCAN,
            "user_id": caller.id,
            "token_id": caller.token_id,
            "nonce": request.nonce,
            "request_digest": digest,
        }
        stored = write_registration(registration, now, exchange=bool(facts.exchange)) is not None
        where = "registration"
    if not stored:
        # Another request stored this nonce at the same moment (the insert waited for its
        # commit, then did nothing): answer as a retry of that request would be answered.
        return _replay(caller, request, facts.id, _stored_digest(where, request.nonce), where)
    return response


_registrations_table = Registration.__table__
_audit_table = AuditRecord.__table__
# Built once, executed with plain parameters: statement construction is a large share of the
# Python time of a scan. A nonce that another request stored at the same moment is no error:
# the insert waits for that request's commit, then does nothing and returns no row.
_INSERT_REGISTRATION = (
    sqlite.insert(_registrations_table)
    .on_conflict_do_nothing(index_elements=["nonce"])
    .returning(_registrations_table.c.id)
)
# What a registration's audit record belongs to (``app.audit.context``): its participant and
# session, and the session's training and branch, looked up by the same statement.
_AUDIT_CONTEXT = audit.context(
    Registration.__tablename__,
    None,
    {
        "participant_id": bindparam("r_participant_id", type_=Integer),
        "session_id": bindparam("r_session_id", type_=Integer),
    },
)
_INSERT_AUDIT = insert(_audit_table).values(
    {
        name: value
        for name, value in _AUDIT_CONTEXT.items()
        # The plain ids are given as parameters with the row; the rest are looked up.
        if name in ("training_id", "branch_id")
    }
)
_INSERT_RECEIPT = {
    "postgresql": postgresql.insert(_receipts)
    .on_conflict_do_nothing(index_elements=["nonce"])
    .returning(_receipts.c.nonce),
    "sqlite": sqlite.insert(_receipts)
    .on_conflict_do_nothing(index_elements=["nonce"])
    .returning(_receipts.c.nonce),
}
# Every registration is written with exactly these columns, by ``write_registration``.
_SCAN_FIELDS = (
    "session_id",
    "participant_id",
    "kind",
    "at",
    "received_at",
    "source",
    "user_id",
    "token_id",
    "nonce",
    "request_digest",
    "reason",
    "voids_id",
)


def _registration_with_audit() -> Insert:
    """PostgreSQL: the registration and its audit record in one statement (one round trip).

    The audit record's ``after`` is the registration as given plus the id it received. For a
    nonce already stored neither is written, and no row comes back.
    Parameters are named ``r_<column>`` (a column's own name is reserved in VALUES).
    """
    new = (
        postgresql.insert(_registrations_table)
        .values({name: bindparam(f"r_{name}") for name in _SCAN_FIELDS})
        .on_conflict_do_nothing(index_elements=["nonce"])
        .returning(_registrations_table.c.id)
        .cte("new_registration")
    )
    after = func.jsonb_build_object("id", new.c.id).op("||")(
        bindparam("after", type_=postgresql.JSONB)
    )
    return (
        insert(_audit_table)
        .from_select(
            [
                *("at", "user_id", "token_id", "action", "object_type", "object_id", "after"),
                *_AUDIT_CONTEXT,
            ],
            select(
                bindparam("audit_at", type_=_audit_table.c.at.type),
                bindparam("r_user_id", type_=_audit_table.c.user_id.type),
                bindparam("r_token_id", type_=_audit_table.c.token_id.type),
                literal("registration.create"),
                literal(Registration.__tablename__),
                new.c.id,
                cast(after, _audit_table.c.after.type),
                *_AUDIT_CONTEXT.values(),
            ),
        )
        .returning(_audit_table.c.object_id)
    )


_REGISTRATION_WITH_AUDIT = _registration_with_audit()


def write_registration(
    registration: dict[str, Any], now: datetime, exchange: bool | None = None
) -> int | None:
    """The one place a registration and its audit record are written: scans, the roll call,
    late arrivals, early departures, closing a session, corrections and merges all come here,
    so every registration has the same columns and the same audit record. Returns its id, or
    None when another request stored this nonce first (then nothing is written).

    Core inserts rather than ORM objects: this runs for every scan at the door (one round trip
    on PostgreSQL). A registration carries a unique nonce, so a scan's registration is the
    receipt of its nonce. The callers check the rules first (``scan``, ``register``).
    ``exchange``: whether the session's branch has a switched-on exchange connection, when the
    caller already knows (a scan asks it in its facts query); ``None`` looks it up.
    """
    row = {name: registration.get(name) for name in _SCAN_FIELDS}
    after = {k: audit.plain(v) for k, v in row.items() if k != "request_digest"}
    if db.engine.dialect.name == "postgresql":
        registration_id = db.session.execute(
            _REGISTRATION_WITH_AUDIT,
            {
                **{f"r_{name}": value for name, value in row.items()},
                "audit_at": now,
                "after": after,
            },
        ).scalar()
        if registration_id is not None and exchange is not False:
            _exchange(row, registration_id, now)
        return registration_id
    registration_id = db.session.execute(_INSERT_REGISTRATION, row).scalar()
    if registration_id is None:
        return None
    db.session.execute(
        _INSERT_AUDIT,
        {
            "at": now,
            "user_id": row["user_id"],
            "token_id": row["token_id"],
            "action": "registration.create",
            "object_type": Registration.__tablename__,
            "object_id": registration_id,
            "before": None,
            "after": {"id": registration_id, **after},
            "participant_id": row["participant_id"],
            "session_id": row["session_id"],
            "r_participant_id": row["participant_id"],
            "r_session_id": row["session_id"],
        },
    )
    if exchange is not False:
        _exchange(row, registration_id, now)
    return registration_id


def _exchange(row: dict[str, Any], registration_id: int, now: datetime) -> None:
    """Every registration may travel to the branch's administration package (docs/rules.md, "Exchange"): the
    events are written in this same transaction (by the listener ``create_app`` connects); the
    worker delivers them."""
    signals.registration_written.send(row, registration_id=registration_id, now=now)


def _store_receipt(
    request: ScanRequest,
    participant_id: int,
    response: dict[str, Any],
    digest: str,
    now: datetime,
) -> bool:
    """A repeat records nothing but its answer, for its retries. False when another request
    stored this nonce first."""
    stored = db.session.execute(
        _INSERT_RECEIPT[db.engine.dialect.name],
        {
            "nonce": request.nonce,
            "session_id": request.session_id,
            "participant_id": participant_id,
            "response": response,
            "received_at": now,
            "request_digest": digest,
        },
    ).scalar()
    return stored is not None


def check_window(session: Session, at: datetime, now: datetime, early_minutes: int) -> None:
    """Refuse a registration outside the session's window (docs/rules.md, "Registration window");
    ``early_minutes``: how long before the start the window opens (the settings')."""
    times = session_times(session)
    reason = window_refusal(
        at,
        start=times.start,
        deadline=times.deadline,
        now=now,
        early_minutes=early_minutes,
        reopened=session.reopened,
    )
    if reason is not None:
        raise refuse(reason)


def register(
    actor: Actor,
    session: Session,
    participant_id: int,
    kind: Kind,
    at: datetime,
    now: datetime,
    source: Source,
    reason: str | None = None,
    voids_id: int | None = None,
    *,
    early_minutes: int,
) -> int:
    """Write one registration that is not a scan (roll call, late arrival, early departure,
    closing a session, correction); returns its id.

    The same checks as a scan: not in the future, inside the session's window, not in a
    locked session; then the same write (``write_registration``). The request's transaction
    commits it.
    """
    if at > now + FUTURE_MARGIN:
        raise refuse("future_time")
    if session.cancelled:
        raise Refusal("cancelled", _l("This session was cancelled."), status=409)
    check_window(session, at, now, early_minutes)
    return write_checked(actor, session.id, participant_id, kind, at, now, source, reason, voids_id)


def write_checked(
    actor: Actor,
    session_id: int,
    participant_id: int,
    kind: Kind,
    at: datetime,
    now: datetime,
    source: Source,
    reason: str | None = None,
    voids_id: int | None = None,
) -> int:
    """Write a registration the caller has checked (``register``, or support's merge, which
    carries history over whatever the window): the one write path, with a fresh nonce."""
    registration_id = write_registration(
        {
            "session_id": session_id,
            "participant_id": participant_id,
            "kind": kind,
            "at": at,
            "received_at": now,
            "source": source,
            "user_id": actor.user_id,
            "token_id": actor.token.id if actor.token else None,
            "nonce": f"{source.value}-{uuid.uuid4().hex}",
            "reason": reason,
            "voids_id": voids_id,
        },
        now,
    )
    assert registration_id is not None  # a fresh nonce cannot be taken
    return registration_id
