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

EXTENSION = "settings"


@dataclass(frozen=True, slots=True)
class Settings:
    scan_early_minutes: int
    scan_repeat_seconds: int
    mail_from: str
    languages: tuple[str, ...]
    default_locale: str
    job_lease_seconds: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            scan_early_minutes=int(config["SCAN_EARLY_MINUTES"]),
            scan_repeat_seconds=int(config["SCAN_REPEAT_SECONDS"]),
            mail_from=str(config["MAIL_FROM"]),
            languages=tuple(config["LANGUAGES"]),
            default_locale=str(config["BABEL_DEFAULT_LOCALE"]),
            job_lease_seconds=float(config["JOB_LEASE_SECONDS"]),
        )


def init_settings(app: Flask) -> None:
    app.extensions[EXTENSION] = Settings.from_config(app.config)


def settings_of(app: Flask) -> Settings:
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]


def settings() -> Settings:
    """The application's settings: for entry points only, which pass them down."""
    return settings_of(current_app)  # type: ignore[arg-type]
