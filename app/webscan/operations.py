"""The browser scanner's own token. Operations flush and audit; they never commit."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from app import audit
from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.models import ApiToken, Role, User
from app.security import hash_api_token, new_api_token


def issue_browser_scanner(
    actor: Actor, user: User, device_name: str, now: datetime
) -> tuple[ApiToken, str]:
    """A scanner token for the browser page the signed-in ``user`` confirmed it on.

    Like a paired scanner's (app.devices.operations.exchange_pairing): it has a device name, so
    *Scannertokens* lists it with its last use and revokes it; the plain text goes to the page
    once and only its hash is stored.
    """
    if user.role == Role.FRONTDESK:
        raise Refusal("forbidden", _l("Front desk accounts cannot register scans."), status=403)
    name = " ".join(device_name.split())[: ApiToken.device_name.type.length] or str(
        _l("Browser scanner")
    )
    plain = new_api_token()
    token = ApiToken(
        user=user,
        label=name,
        device_name=name,
        token_hash=hash_api_token(plain),
        created_at=now,
        last_used_at=now,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        actor,
        "token.create",
        token,
        after={"user_id": user.id, "label": name, "device_name": name, "browser": True},
    )
    return token, plain
