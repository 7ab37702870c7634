"""Fixtures: a fresh app per test on each database backend, builders, logged-in clients, a mail
inbox.

Every test that uses ``app`` runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
The schema comes from the Alembic migrations (run once per backend), never from create_all.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app import create_app
from tests.builders import Builders
from tests.helpers.config import BASE_CONFIG, TEST_DATABASE_URL, ClosingClient
from tests.helpers.mail import SMTP_PORT, Inbox
from tests.helpers.web import Auth

BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


def _migrate(uri: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": uri}, instance_path=str(instance))
    with app.app_context():
        upgrade()
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test would be slow)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "aanwezig.db"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def postgres_migrated(tmp_path_factory: pytest.TempPathFactory) -> str:
    assert TEST_DATABASE_URL
    engine = create_engine(TEST_DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _migrate(TEST_DATABASE_URL, tmp_path_factory.mktemp("pg-instance"))
    return TEST_DATABASE_URL


def _empty(uri: str) -> None:
    """Empty the tables a test filled and restart the sequences it used.

    A TRUNCATE of every table cost about a second a test on PostgreSQL (each one rewrites its
    files), while a test fills a handful: those are found in one query and emptied with DELETE,
    children first (the models' dependency order), which rewrites nothing.
    """
    from app.models.base import Base

    engine = create_engine(uri, poolclass=NullPool)
    with engine.begin() as connection:
        tables = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ).scalars()
        probe = " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables
        )
        filled = set(connection.execute(text(probe)).scalars())
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in filled:
                connection.execute(table.delete())
                filled.discard(table.name)
        if filled:  # a table no model maps: TRUNCATE takes whatever still refers to it
            names = ", ".join(f'"{name}"' for name in sorted(filled))
            connection.execute(text(f"TRUNCATE {names} CASCADE"))
        connection.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false)"
                " FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
        )
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "instance" / "aanwezig.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    uri = request.getfixturevalue("postgres_migrated")
    _empty(uri)
    return uri


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_config: dict) -> Iterator[Flask]:
    instance = tmp_path / "instance"
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **app_config},
        instance_path=str(instance),
    )
    app.test_client_class = ClosingClient
    yield app
    with app.app_context():
        from app.extensions import db

        # Close every session this app's contexts opened, then the pool: no connection is left
        # for the garbage collector to find (psycopg warns about those, in a later test).
        for session in list(db.session.registry.registry.values()):
            session.close()
        db.session.registry.registry.clear()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make(app: Flask) -> Builders:
    return Builders(app)


@pytest.fixture
def today() -> date:
    from datetime import UTC, datetime

    from app.domain.cutoff import BRUSSELS

    return datetime.now(UTC).astimezone(BRUSSELS).date()


@pytest.fixture
def day_times() -> tuple[time, time]:
    return time(0, 0), time(23, 59)


@pytest.fixture
def auth(app: Flask, make: Builders) -> Auth:
    """Logged-in clients: ``auth.as_role(Role.PROMOTOR)`` (a new user), ``auth.log_in(email)``."""
    return Auth(app, make)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on SMTP_PORT for this test; the app sends to it when the
    module's ``app_config`` includes ``MAIL_TO_INBOX``."""
    from aiosmtpd.controller import Controller

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield handler
    controller.stop()
