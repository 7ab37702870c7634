"""One-time links by mail, and the addresses they are built on.

A link is an itsdangerous token (signed with the app's secret, with its own salt per purpose,
expiring) that names a stored row and a random nonce, put on the configured public address
(``external_url``), never on a request's Host; requests for a host the server is not are
refused (``check_host``): docs/security.md, "Links and hosts".

The signature makes the link unforgeable and its age checkable without the database; the row
(which keeps only the nonce's SHA-256) makes it single-use: using it is one conditional UPDATE
(``used_at IS NULL``), so two clicks at once sign in once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.errors import Refusal


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
    key = current_app.secret_key
    if key is None:  # app.security sets it when the app is made
        raise RuntimeError("SECRET_KEY is not set")
    return URLSafeTimedSerializer(key, salt=f"aanwezig.{purpose}")


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


# Where `make run` serves; links made without any configured address point here.
LOCAL_URL = "http://127.0.0.1:5000"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# Machines reach these on a server's own address (a load balancer, Prometheus); they build
# no links, so the Host they come with does not matter.
ANY_HOST_ENDPOINTS = frozenset({"health.healthz", "health.readyz", "metrics.metrics"})


def public_base(config: Mapping[str, Any]) -> str:
    """The configured address of the server, without a trailing slash: ``PUBLIC_URL``, else
    ``SERVER_NAME`` (the tests), else the local development server. Never a request's host."""
    public = (config.get("PUBLIC_URL") or "").strip()
    if public:
        return public.rstrip("/")
    server = config.get("SERVER_NAME")
    if server:
        return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{server}"
    return LOCAL_URL


def external_url(endpoint: str, **values: object) -> str:
    """An absolute address for a mail, built from the configured address (``public_base``):
    a link in a mail must never follow the Host header a request came with, which anyone can
    set (a reset link pointing at someone else's server would hand them the token)."""
    base = urlsplit(public_base(current_app.config))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def _host_name(host: str) -> str:
    """The name in a ``host[:port]`` (an IPv6 address without its brackets), lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.partition(":")[0].rstrip(".")


def trusted_hosts(config: Mapping[str, Any]) -> frozenset[str]:
    """The host names this server answers to: ``PUBLIC_URL``'s, ``SERVER_NAME``'s and those of
    ``ALLOWED_HOSTS``; this machine's own names (localhost, 127.0.0.1, ::1) when the public
    address is one of them or none is configured (development, `make run`, the tests)."""
    names: set[str] = set()
    public = (config.get("PUBLIC_URL") or "").strip()
    if public:
        names.add(_host_name(urlsplit(public).netloc.rpartition("@")[2]))
    if config.get("SERVER_NAME"):
        names.add(_host_name(str(config["SERVER_NAME"])))
    extra = config.get("ALLOWED_HOSTS") or ()
    if isinstance(extra, str):
        extra = extra.replace(",", " ").split()
    names.update(_host_name(str(name)) for name in extra)
    if not public or names & LOOPBACK_NAMES:
        names |= LOOPBACK_NAMES
    names.discard("")
    return frozenset(names)


def check_host() -> None:
    """Refuse a request for a host this server is not (the equivalent of Flask's
    ``TRUSTED_HOSTS``, with the machine endpoints left open): a poisoned Host header never
    reaches a page, a redirect or a link."""
    if request.endpoint in ANY_HOST_ENDPOINTS:
        return
    if _host_name(request.host) not in trusted_hosts(current_app.config):
        raise Refusal(
            "unknown_host",
            _l("This server does not answer to this address."),
            status=400,
        )


def init_hosts(app: Flask) -> None:
    """The host check runs before every other before-request function (rate limits, CSRF,
    signatures), so nothing answers a request for a foreign host."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_host)


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """What a production start lacks (``PRODUCTION``): the public address, well-formed."""
    if not config.get("PRODUCTION"):
        return []
    public = (config.get("PUBLIC_URL") or "").strip()
    if not public:
        return ["AANWEZIG_PUBLIC_URL is not set: every link in a mail needs it"]
    parts = urlsplit(public)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"AANWEZIG_PUBLIC_URL is not an http(s) address: {public!r}"]
    return []
