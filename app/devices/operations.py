"""Issuing and exchanging pairing tokens. Operations flush and audit; they never commit."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from app import audit
from app.audit import Actor
from app.db import changed_rows
from app.domain.pairing import pairing_expires_at, pairing_refusal
from app.errors import Refusal
from app.extensions import db
from app.models import ApiToken, PairingToken, User
from app.security import hash_api_token, new_api_token
from qr.pairing import PAIRING_PREFIX

REFUSALS = {
    "pairing_unknown": _l(
        "This pairing code is unknown. Make a new one on the Scanner tokens page."
    ),
    "pairing_used": _l(
        "This pairing code was already used. Make a new one on the Scanner tokens page."
    ),
    "pairing_expired": _l(
        "This pairing code has expired. Make a new one on the Scanner tokens page."
    ),
}


def refuse(code: str) -> Refusal:
    return Refusal(code, REFUSALS[code], status=401)


def new_pairing_token() -> str:
    return PAIRING_PREFIX + secrets.token_urlsafe(24)


def issue_pairing(actor: Actor, user: User, name: str, now: datetime) -> tuple[PairingToken, str]:
    """A pairing token for a scanner of ``user``; the plain text is returned once, for the QR
    code, and only its hash is stored."""
    plain = new_pairing_token()
    pairing = PairingToken(
        user=user,
        token_hash=hash_api_token(plain),
        name=name.strip(),
        created_at=now,
        expires_at=pairing_expires_at(now),
    )
    db.session.add(pairing)
    db.session.flush()
    audit.record(
        actor,
        "pairing.issue",
        pairing,
        after={
            "user_id": user.id,
            "name": pairing.name,
            "expires_at": audit.plain(pairing.expires_at),
        },
    )
    return pairing, plain


_PAIRING = select(PairingToken).where(PairingToken.token_hash == bindparam("token_hash"))


class Exchanged(NamedTuple):
    """A pairing exchanged: the scanner's token, its secret (shown once) and the device name."""

    token: ApiToken
    secret: str
    device_name: str


def exchange_pairing(plain: str, device_name: str, now: datetime) -> Exchanged:
    """The scanner's own token for a pairing token, which is used up by it.

    Claimed with a conditional update, so two scanners sending the same pairing token at once
    cannot both get a token: the second finds it used.
    """
    pairing = db.session.scalars(_PAIRING, {"token_hash": hash_api_token(plain)}).first()
    if pairing is None or not pairing.user.active:
        raise refuse("pairing_unknown")
    reason = pairing_refusal(pairing.expires_at, pairing.used_at, now)
    if reason is not None:
        raise refuse(reason)
    claimed = changed_rows(
        update(PairingToken)
        .where(PairingToken.id == pairing.id, PairingToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed != 1:
        raise refuse("pairing_used")
    name = pairing.name or device_name.strip() or str(_l("Scanner"))
    token_plain = new_api_token()
    token = ApiToken(
        user=pairing.user,
        label=name,
        device_name=name,
        token_hash=hash_api_token(token_plain),
        created_at=now,
        last_used_at=now,
    )
    db.session.add(token)
    db.session.flush()
    pairing.used_at = now
    pairing.api_token_id = token.id
    db.session.flush()
    actor = Actor(user=pairing.user, token=token)
    audit.record(
        actor,
        "pairing.exchange",
        pairing,
        after={
            "used_at": audit.plain(now),
            "api_token_id": token.id,
            "device_reported": device_name,
        },
    )
    audit.record(
        actor,
        "token.create",
        token,
        after={"user_id": pairing.user_id, "label": token.label, "device_name": name},
    )
    return Exchanged(token, token_plain, name)


def scanners_and_tokens(user: User) -> tuple[list[ApiToken], list[ApiToken]]:
    """The user's paired scanners and their tokens made by hand, newest first (one query)."""
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()
    return (
        [t for t in tokens if t.device_name is not None],
        [t for t in tokens if t.device_name is None],
    )
