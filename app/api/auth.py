"""Bearer-token authentication: a token acts with its user's rights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.api import bp
from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.models import ApiToken
from app.security import hash_api_token

PUBLIC_ENDPOINTS = {"api.openapi"}
# Built once: every API request, each scan at the door included, runs it.
_TOKEN = (
    select(ApiToken)
    .options(joinedload(ApiToken.user))
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


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
    token = db.session.scalars(_TOKEN, {"token_hash": hash_api_token(value.strip())}).first()
    if token is None or token.revoked_at is not None or not token.user.active:
        raise Refusal("unauthorized", _l("This API token is unknown or revoked."), status=401)
    now = datetime.now(UTC)
    # Recording use once an hour keeps the scan hot path free of an extra write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(hours=1):
        token.last_used_at = now
        db.session.commit()
    g.actor = Actor(user=token.user, token=token)


def current_actor() -> Actor:
    return g.actor
