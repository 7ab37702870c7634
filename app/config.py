"""Configuration: defaults here, then the instance folder's config.py, then the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


class DefaultConfig:
    SECRET_KEY: str | None = None  # read or created in the instance folder
    SQLALCHEMY_DATABASE_URI: str | None = None  # defaults to SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # a form left open during a long session must still submit
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True behind HTTPS (AANWEZIG_SESSION_COOKIE_SECURE=true)
    REMEMBER_COOKIE_SECURE = False  # likewise (AANWEZIG_REMEMBER_COOKIE_SECURE=true)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Brussels"
    LANGUAGES = ("nl", "en")
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_LOGIN = "10 per minute"  # failed logins per client address
    RATELIMIT_LOGIN_ACCOUNT = "20 per hour"  # failed logins per account, from any address
    # Mailed links (portal sign-in, password reset): asked for per client address and per
    # email address, whether the address is known or not.
    RATELIMIT_LINK = "10 per 15 minutes"
    RATELIMIT_LINK_ADDRESS = "3 per 15 minutes"
    RATELIMIT_PORTAL_MAIL = "3 per hour"  # the portal's "mail my QR code again", per person
    # Documents a participant sends from the portal, per person (their address): how often,
    # and how many and how much a day (app.supervision.operations.documents._check_allowance).
    RATELIMIT_PORTAL_UPLOAD = "5 per minute"
    PORTAL_UPLOADS_PER_DAY = 10
    PORTAL_UPLOAD_BYTES_PER_DAY = 25 * 1024 * 1024
    PASSWORD_RESET_MINUTES = 60
    # werkzeug's method name; the tests set a cheap one (see tests/conftest.py).
    PASSWORD_HASH_METHOD = "scrypt"
    # The portal (participants and supervisors): a sign-in link is valid 30 minutes and once;
    # the session it starts lasts until logout or PORTAL_SESSION_HOURS after the sign-in.
    PORTAL_LINK_MINUTES = 30
    PORTAL_SESSION_HOURS = 12
    # The address the server is reached at (https://aanwezig.example.org): every link in a mail
    # is built from it, never from a request's Host header, and requests for any other host
    # are refused (app/links.py). `make run` sets it to http://127.0.0.1:5000. Without it only
    # this machine's own names are answered (and SERVER_NAME's host, when set).
    PUBLIC_URL: str | None = None
    # Other host names this server answers to (a list, or names separated by commas): an
    # internal name a monitoring check or a script uses. /healthz, /readyz and /metrics answer
    # on any host (they build no links), for a load balancer or Prometheus reaching a server by
    # its own address.
    ALLOWED_HOSTS: tuple[str, ...] | str = ()
    # Set by the production units (deploy/systemd): the app refuses to start without
    # PUBLIC_URL, and /readyz reports it.
    PRODUCTION = False
    # Scanning
    SCAN_EARLY_MINUTES = 60
    SCAN_REPEAT_SECONDS = 120
    # Mail: with no SMTP_HOST, mails stay in the outbox and are shown on the outbox page.
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    MAIL_FROM = "Aanwezig <noreply@aanwezig.local>"
    MAIL_RETRY_SECONDS = 60
    # First retry of an exchange delivery (app/exchange); doubles per attempt, at most 30 min,
    # for a week.
    EXCHANGE_RETRY_SECONDS = 30
    # Internal hosts the exchange may reach all the same (app/domain/peer_address.py): for an
    # on-premises package or a test peer, e.g. "10.20.0.5", "10.20.0.0/16" or "informat.lan".
    # Without an entry, loopback, private, link-local, multicast and reserved addresses are
    # refused at saving and at every delivery.
    EXCHANGE_ALLOW_HOSTS: tuple[str, ...] | str = ()
    # An incoming exchange event is a few hundred bytes; a larger body is refused (413) before
    # its signature is checked.
    EXCHANGE_MAX_BODY = 64 * 1024
    # Background jobs (app/jobs). The embedded default runs them in a thread of the web
    # process; production sets EMBEDDED_WORKER = False and runs `flask worker` processes.
    EMBEDDED_WORKER = True
    JOB_LEASE_SECONDS = 300  # a claimed job whose worker died is due again after this
    JOB_RETRY_SECONDS = 60  # first retry of a failed job; doubles per attempt, at most 30 min
    WORKER_POLL_SECONDS = 1.0
    WORKER_BATCH = 5  # jobs claimed at once by one worker
    WORKER_HEARTBEAT_SECONDS = 5.0
    # The daily digest mail (app/digest) is scheduled on working days from this local
    # (Brussels) time: before 10:00, the deadline of yesterday's registrations. "off": none.
    DIGEST_TIME = "07:00"
    # Health and operations (app/health, app/metrics.py)
    READYZ_REQUIRE_WORKER = True  # /readyz answers 503 when no worker beat recently
    WORKER_STALE_SECONDS = 60
    METRICS_TOKEN: str | None = None  # /metrics with "Authorization: Bearer <token>"
    METRICS_ALLOW: tuple[str, ...] | str = ("127.0.0.1/32", "::1/128")  # or from these networks
    PROXY_COUNT = 0  # reverse proxies in front whose X-Forwarded-For/-Proto/-Host are trusted
    LOG_FORMAT = "text"  # or "json": one JSON object per log line
    LOG_LEVEL = "INFO"
    # Keys: PEM / Fernet key text; when unset they are created in the instance folder.
    QR_PRIVATE_KEY: str | None = None
    NATIONAL_NUMBER_KEY: str | None = None


ENV_KEYS = ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM")


def load_environment(config: dict[str, Any]) -> None:
    """Read the variables the README documents, then any ``AANWEZIG_*`` override."""
    for key in ENV_KEYS:
        if key in os.environ:
            config[key] = os.environ[key]
    if "SMTP_PORT" in os.environ:
        config["SMTP_PORT"] = int(os.environ["SMTP_PORT"])
    if os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("RATELIMIT_STORAGE_URI"):
        config["RATELIMIT_STORAGE_URI"] = os.environ["RATELIMIT_STORAGE_URI"]


def sqlite_default(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "aanwezig.db")
