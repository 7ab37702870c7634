"""The settings that code below the routes needs, read from the configuration once.

``create_app`` builds one frozen :class:`Settings` from ``app.config``; entry points (routes,
CLI commands, jobs) take it with :func:`settings` and pass the values down, so operations and
services never read ``current_app.config`` (and a test can hand them any value it likes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from app.domain.peer_address import Allowance, allowance

EXTENSION = "settings"


@dataclass(frozen=True, slots=True)
class Smtp:
    """The mail server; ``host`` None: mails stay in the outbox."""

    host: str | None
    port: int
    user: str | None
    password: str | None
    starttls: bool


@dataclass(frozen=True, slots=True)
class Settings:
    scan_early_minutes: int
    scan_repeat_seconds: int
    mail_from: str
    smtp: Smtp
    languages: tuple[str, ...]
    default_locale: str
    job_lease_seconds: float
    job_retry_seconds: float
    mail_retry_seconds: float
    exchange_retry_seconds: float
    # The internal hosts the exchange may reach all the same (EXCHANGE_ALLOW_HOSTS, parsed).
    exchange_allowance: Allowance

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            scan_early_minutes=int(config["SCAN_EARLY_MINUTES"]),
            scan_repeat_seconds=int(config["SCAN_REPEAT_SECONDS"]),
            mail_from=str(config["MAIL_FROM"]),
            smtp=Smtp(
                host=config.get("SMTP_HOST") or None,
                port=int(config["SMTP_PORT"]),
                user=config.get("SMTP_USER") or None,
                password=config.get("SMTP_PASSWORD") or None,
                starttls=bool(config.get("SMTP_STARTTLS")),
            ),
            languages=tuple(config["LANGUAGES"]),
            default_locale=str(config["BABEL_DEFAULT_LOCALE"]),
            job_lease_seconds=float(config["JOB_LEASE_SECONDS"]),
            job_retry_seconds=float(config["JOB_RETRY_SECONDS"]),
            mail_retry_seconds=float(config["MAIL_RETRY_SECONDS"]),
            exchange_retry_seconds=float(config["EXCHANGE_RETRY_SECONDS"]),
            exchange_allowance=allowance(config.get("EXCHANGE_ALLOW_HOSTS")),
        )


def init_settings(app: Flask) -> None:
    app.extensions[EXTENSION] = Settings.from_config(app.config)


def settings_of(app: Flask) -> Settings:
    return app.extensions[EXTENSION]


def settings() -> Settings:
    """The application's settings: for entry points only, which pass them down."""
    return settings_of(current_app)
