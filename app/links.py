"""One-time links by mail: an itsdangerous token (signed with the app's secret, with its own
salt per purpose, expiring) that names a stored row and a random nonce.

The signature makes the link unforgeable and its age checkable without the database; the row
(which keeps only the nonce's SHA-256) makes it single-use: using it is one conditional UPDATE
(``used_at IS NULL``), so two clicks at once sign in once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class LinkExpired(Exception):
    """The link is genuine but older than it may be."""


class LinkInvalid(Exception):
    """The link was not made here, or was altered."""


@dataclass(frozen=True, slots=True)
class LinkKey:
    """What a token names: the row and its nonce."""

    row_id: int
    nonce: str


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"aanwezig.{purpose}")  # type: ignore[arg-type]


def make_token(purpose: str, key: LinkKey) -> str:
    return _serializer(purpose).dumps([key.row_id, key.nonce])


def read_token(purpose: str, token: str, max_age_seconds: int) -> LinkKey:
    """The row and nonce a token names; ``LinkExpired`` or ``LinkInvalid`` otherwise."""
    if not token or len(token) > 500:
        raise LinkInvalid()
    try:
        value = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise LinkExpired() from exc
    except BadSignature as exc:
        raise LinkInvalid() from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        raise LinkInvalid()
    return LinkKey(value[0], value[1])


def external_url(endpoint: str, **values: object) -> str:
    """An absolute address for a mail. ``PUBLIC_URL`` when configured (production: a link in
    a mail must never follow the Host header a request came with, which anyone can set), else
    the current request's host, else the local development server."""
    from flask import has_request_context, url_for

    public = current_app.config.get("PUBLIC_URL")
    if public or not has_request_context():
        base = (public or "http://127.0.0.1:5000").rstrip("/")
        with current_app.test_request_context(base_url=base):
            return url_for(endpoint, _external=True, **values)
    return url_for(endpoint, _external=True, **values)
