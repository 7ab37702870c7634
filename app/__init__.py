"""Aanwezig: QR-code check-in time registration for subsidised training."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from app.clock import Clock
from app.config import DefaultConfig, load_environment, sqlite_default


def create_app(
    config: dict[str, Any] | None = None,
    instance_path: str | None = None,
    clock: Clock | None = None,
) -> Flask:
    """Build the application: configure, init extensions, register areas, CLI and errors.

    ``clock``: what "now" is for the whole application (the system clock when not given; a
    test passes an ``app.clock.FixedClock``)."""
    from app.db import Application

    app = Application(
        __name__,
        instance_path=instance_path or os.environ.get("AANWEZIG_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    _configure(app, config)
    _init_inputs(app, clock)
    _route_ids(app)
    _init_extensions(app)
    _register_blueprints(app)
    _connect_listeners()
    _register_cli(app)
    from app.errors import register_error_handlers

    register_error_handlers(app)
    from app.web import init_web

    init_web(app)
    _init_operations(app)
    from app.json_strict import StrictJSONProvider
    from app.links import init_hosts

    init_hosts(app)
    app.json = StrictJSONProvider(app)
    return app


def _configure(app: Flask, config: dict[str, Any] | None) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    load_environment(app.config)
    app.config.from_prefixed_env("AANWEZIG")
    if config:
        app.config.update(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = sqlite_default(app.instance_path)
    from app.links import production_problems

    problems = production_problems(app.config)
    if problems:
        # A production start (deploy/systemd sets AANWEZIG_PRODUCTION) without its public
        # address would mail links to whatever host a request named: refuse to run.
        raise RuntimeError("; ".join(problems))
    from app.security import init_keys

    init_keys(app)


def _init_inputs(app: Flask, clock: Clock | None) -> None:
    """The clock and the settings: read once here, passed down by the entry points."""
    from app.clock import init_clock
    from app.settings import init_settings

    init_clock(app, clock)
    init_settings(app)


def _route_ids(app: Flask) -> None:
    """``<int:...>`` in a route takes only ids the database can hold: a larger one is a 404."""
    from werkzeug.routing import IntegerConverter, Map

    from app.domain.limits import MAX_ID

    class IdConverter(IntegerConverter):
        # In the pattern, not only in ``max``: werkzeug checks a rule's methods before its
        # converters, so a POST to /x/<too large>/y, whose GET rule also exists, would be a 405.
        regex = _numbers_up_to(MAX_ID)

        def __init__(
            self,
            url_map: Map,
            fixed_digits: int = 0,
            min: int | None = None,
            max: int | None = MAX_ID,
            signed: bool = False,
        ) -> None:
            super().__init__(url_map, fixed_digits, min, max, signed)

    app.url_map.converters["int"] = IdConverter


def _numbers_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 0 .. ``limit`` (no leading zeros)."""
    digits = str(limit)
    shorter = "0|[1-9]" + (f"[0-9]{{0,{len(digits) - 2}}}" if len(digits) > 1 else "")
    alternatives = [shorter, digits]
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(digits) - i - 1
            alternatives.append(
                f"{digits[:i]}[{low}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else "")
            )
    return "(?:" + "|".join(alternatives) + ")"


def _init_extensions(app: Flask) -> None:
    from app import auth, extensions, i18n
    from app.db import init_db

    extensions.db.init_app(app)
    init_db(app)
    extensions.migrate.init_app(app, extensions.db, directory=_migrations_dir())
    extensions.csrf.init_app(app)
    extensions.babel.init_app(
        app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone
    )
    extensions.limiter.init_app(app)
    auth.init_login(app)


def _migrations_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def _register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.attendance import bp as attendance_bp
    from app.audit_log import bp as audit_log_bp
    from app.auth import bp as auth_bp
    from app.calendar_feed import bp as calendar_feed_bp
    from app.certificates import bp as certificates_bp
    from app.devices import bp as devices_bp
    from app.exchange import incoming  # noqa: F401  (its endpoint joins the API's blueprint)
    from app.exchange.routes import bp as exchange_bp
    from app.exports import bp as exports_bp
    from app.extensions import csrf
    from app.frontdesk import bp as frontdesk_bp
    from app.participants import bp as participants_bp
    from app.planning import bp as planning_bp
    from app.portal import bp as portal_bp
    from app.supervision import bp as supervision_bp
    from app.webscan import bp as webscan_bp

    csrf.exempt(api_bp)  # bearer tokens, no cookies: CSRF cannot reach the API
    csrf.exempt(devices_bp)  # the pairing token in the body is the credential; no cookies
    for blueprint in (
        auth_bp,
        planning_bp,
        participants_bp,
        attendance_bp,
        frontdesk_bp,
        certificates_bp,
        exports_bp,
        admin_bp,
        exchange_bp,
        supervision_bp,
        audit_log_bp,
        calendar_feed_bp,
        portal_bp,
        api_bp,
        devices_bp,
        webscan_bp,
    ):
        app.register_blueprint(blueprint)


def _init_operations(app: Flask) -> None:
    """Running in production: logs, health checks, metrics, background jobs."""
    from app import health, logs, metrics
    from app.jobs import init_jobs

    logs.init_logging(app)
    health.init_health(app)
    metrics.init_metrics(app)
    _register_job_kinds()
    init_jobs(app)


def _register_job_kinds() -> None:
    """Every kind of background work, wired in one place: the job runner (app/jobs) sits under
    the areas and imports none of them. Importing a module registers the kinds it defines."""
    from app import digest  # noqa: F401  (the "digest" kind)
    from app.auth import operations as accounts
    from app.exchange import outgoing  # noqa: F401  (the "exchange.deliver" kind)
    from app.mail import outbox  # noqa: F401  (the "mail" kind)
    from app.portal import signin
    from app.supervision import daily  # noqa: F401  ("supervisor_waiting")

    # The mails asked for on public pages (app.mail.asked): a reset link, a portal sign-in link.
    accounts.register_jobs()
    signin.register_jobs()


def _connect_listeners() -> None:
    """What one area announces and another acts on (app/signals.py), connected in one place."""
    from app import signals
    from app.exchange import outgoing

    signals.registration_written.connect(outgoing.registration_written)
    signals.attendance_changed.connect(outgoing.attendance_changed)


def _register_cli(app: Flask) -> None:
    from app.cli import register

    register(app)
