"""Bearer-token authentication: a token acts with its user's rights.

Every request looks its token up, except a scan from a token seen recently: the scan service
then checks, in the same query as the scan's facts, that the token still stands and that its
user still has the same role and branch (``Principal``). The door's hot path thus saves a round
trip without ever accepting a revoked token. The cache may only save a look-up, never decide:
what it would refuse is looked up again first (``fresh``), so a stale role never refuses.

Nothing here commits: the token's use is recorded in the request's transaction.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from flask import g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.api import bp
from app.audit import Actor
from app.clock import now as clock_now
from app.errors import Refusal
from app.extensions import db
from app.models import ApiToken, User
from app.scoping import Principal
from app.security import hash_api_token

# The exchange endpoint is authenticated by its Standard Webhooks signature (app/exchange).
PUBLIC_ENDPOINTS = {"api.openapi", "api.exchange_events"}
# Endpoints that verify the principal themselves, in their own query (see the module doc).
SELF_CHECKING_ENDPOINTS = {"api.scan"}
# Recording use once an hour keeps the scan hot path free of an extra write.
LAST_USED_EVERY = timedelta(hours=1)
_RECENT_LIMIT = 1000

# Built once: every API request runs it.
_TOKEN = (
    select(ApiToken)
    .options(joinedload(ApiToken.user))
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


# Token hash -> the principal and when the token's use was last recorded.
_recent: dict[str, tuple[Principal, datetime | None]] = {}
_recent_lock = threading.Lock()


def _unauthorized() -> Refusal:
    return Refusal("unauthorized", _l("This API token is unknown or revoked."), status=401)


@bp.before_request
def authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Refusal(
            "unauthorized", _l("Send an API token as 'Authorization: Bearer <token>'."), status=401
        )
    g.token_hash = hash_api_token(value.strip())
    now = clock_now()
    if request.endpoint in SELF_CHECKING_ENDPOINTS:
        known = _recent.get(g.token_hash)
        if known is not None and not _use_to_record(known[1], now):
            g.principal = known[0]
            g.principal_fresh = False
            return
    _load(g.token_hash, now)


def _use_to_record(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at > LAST_USED_EVERY


def _load(token_hash: str, now: datetime) -> None:
    token = db.session.scalars(_TOKEN, {"token_hash": token_hash}).first()
    if token is None or token.revoked_at is not None or not token.user.active:
        forget(token_hash)
        raise _unauthorized()
    if _use_to_record(token.last_used_at, now):
        token.last_used_at = now  # written with the request's changes, by app.db.Application
    user = token.user
    g.actor = Actor(user=user, token=token)
    g.principal = Principal(user.id, user.role, user.branch_id, token.id)
    g.principal_fresh = True
    with _recent_lock:
        if len(_recent) >= _RECENT_LIMIT:
            _recent.clear()
        _recent[token_hash] = (g.principal, token.last_used_at)


def forget(token_hash: str) -> None:
    with _recent_lock:
        _recent.pop(token_hash, None)


def reauthenticate() -> Principal:
    """After the principal was found changed: look the token up afresh (401 if it is gone)."""
    forget(g.token_hash)
    _load(g.token_hash, clock_now())
    return g.principal


def current_principal() -> Principal:
    return g.principal


def principal_is_fresh() -> bool:
    """Whether the principal was read from the database in this request (not the cache)."""
    return bool(g.get("principal_fresh"))


def current_actor() -> Actor:
    if "actor" not in g:
        principal = current_principal()
        g.actor = Actor(
            user=db.session.get(User, principal.id),
            token=db.session.get(ApiToken, principal.token_id),
        )
    return g.actor
