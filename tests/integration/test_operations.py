"""Running in production: /healthz, /readyz, /metrics, the proxy headers the app trusts, JSON
logs, and the migration that moved the outbox's delivery state to jobs."""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db
from app.jobs.worker import Worker
from app.models import Job
from tests.helpers.config import BASE_CONFIG, TEST_DATABASE_URL
from tests.helpers.jobs import queue_mails
from tests.helpers.preconditions import by_design

# --- health ----------------------------------------------------------------------------------


def test_healthz_answers_without_a_login_or_the_database(tmp_path):
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/x"},
        instance_path=str(tmp_path),
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["checks"] == {"database": {"ok": False, "error": "unreachable"}}
    assert "nobody" not in ready.get_data(as_text=True)  # no user, host or URL in the answer


def test_readyz_needs_migrations_at_head_and_a_worker_that_beats(app):
    client = app.test_client()
    body = client.get("/readyz").get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["worker"] == {
        "ok": False,
        "mode": "separate",
        "error": "no worker has reported",
    }
    worker = Worker(app, name="readyz-test")
    with app.app_context():
        worker._beat()
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["status"] == "ready"
    app.config["WORKER_STALE_SECONDS"] = 0
    assert client.get("/readyz").status_code == 503
    app.config["READYZ_REQUIRE_WORKER"] = False
    assert client.get("/readyz").status_code == 200
    with app.app_context():
        [(version,)] = db.session.execute(text("SELECT version_num FROM alembic_version")).all()
        db.session.execute(text("UPDATE alembic_version SET version_num = 'e1e353b23f63'"))
        db.session.commit()
    try:
        migrations = client.get("/readyz").get_json()["checks"]["migrations"]
        assert migrations == {"ok": False, "current": ["e1e353b23f63"], "head": [version]}
    finally:
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})
            db.session.commit()


# --- metrics ---------------------------------------------------------------------------------


def scan(api, session_id: int, code: str) -> int:  # type: ignore[no-untyped-def]
    response = api.post(
        "/scans", {"session_id": session_id, "code": code, "nonce": uuid.uuid4().hex}
    )
    return response.status_code


def metric(page: str, name: str, **labels: str) -> float:
    pairs = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))  # as the exposition sorts
    wanted = name + ("{" + pairs + "}" if labels else "")
    for line in page.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_scans_by_outcome_and_report_the_outbox(app, make, today):
    from app.metrics import SCANS

    before = {
        key: SCANS.labels(*key)._value.get()
        for key in (("accepted", ""), ("repeat", ""), ("refused", "invalid_code"))
    }
    session_id = make.session(
        today, start=datetime.min.time(), end=datetime.max.time().replace(microsecond=0)
    )
    person = make.participant()
    make.enrol(session_id, person)
    api = make.api()
    code = make.code(person)
    assert scan(api, session_id, code) == 200
    assert scan(api, session_id, code) == 200  # within the repeat interval
    assert scan(api, session_id, "AZ1.forged") == 422
    page = app.test_client().get("/metrics").get_data(as_text=True)
    for (outcome, reason), count in {
        ("accepted", ""): 1,
        ("repeat", ""): 1,
        ("refused", "invalid_code"): 1,
    }.items():
        assert metric(page, "aanwezig_scans_total", outcome=outcome, reason=reason) == (
            before[(outcome, reason)] + count
        )
    assert (
        metric(
            page,
            "aanwezig_request_duration_seconds_count",
            method="POST",
            endpoint="api.scan",
            status="200",
        )
        >= 2
    )
    # The enrolment queued one mail; it waits (no mail server in this test).
    assert metric(page, "aanwezig_outbox_backlog") == 1
    assert metric(page, "aanwezig_jobs_unfinished", kind="mail") == 1
    assert 0 <= metric(page, "aanwezig_outbox_oldest_due_age_seconds") < 60
    assert metric(page, "aanwezig_worker_heartbeat_age_seconds") == -1


def test_the_oldest_due_mail_is_as_old_as_it_has_waited(app):
    queue_mails(app, 2)
    with app.app_context():
        first, second = db.session.query(Job).order_by(Job.id).all()
        first.created_at = datetime.now(UTC) - timedelta(minutes=10)
        second.due_at = datetime.now(UTC) + timedelta(hours=1)  # waits, but is not due
        db.session.commit()
    page = app.test_client().get("/metrics").get_data(as_text=True)
    assert metric(page, "aanwezig_outbox_backlog") == 2
    assert metric(page, "aanwezig_jobs_due", kind="mail") == 1
    assert 600 <= metric(page, "aanwezig_outbox_oldest_due_age_seconds") < 660


def test_metrics_are_served_only_to_the_allowed_networks_or_with_the_token(app):
    client = app.test_client()
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", environ_base=outside).status_code == 403
    app.config["METRICS_ALLOW"] = "10.0.0.0/8, 203.0.113.0/24"
    assert client.get("/metrics", environ_base=outside).status_code == 200
    assert client.get("/metrics").status_code == 403
    app.config.update(METRICS_ALLOW=(), METRICS_TOKEN="s3cret-token")
    assert client.get("/metrics").status_code == 403
    bad = {"Authorization": "Bearer wrong"}
    assert client.get("/metrics", headers=bad).status_code == 403
    good = {"Authorization": "Bearer s3cret-token"}
    assert client.get("/metrics", headers=good, environ_base=outside).status_code == 200


# --- behind the proxy ------------------------------------------------------------------------


@pytest.mark.parametrize("proxies", [0, 1])
def test_forwarded_headers_count_only_from_the_configured_proxies(
    tmp_path, proxies, sqlite_template
):
    shutil.copy(sqlite_template, tmp_path / "x.db")
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            "PROXY_COUNT": proxies,
            "METRICS_ALLOW": "127.0.0.1/32",
        },
        instance_path=str(tmp_path),
    )
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    response = app.test_client().get("/healthz", headers=forwarded)
    hsts = response.headers.get("Strict-Transport-Security")
    metrics = app.test_client().get("/metrics", headers=forwarded).status_code
    if proxies:
        # HTTPS at the proxy counts as secure (HSTS), and the client's own address is used, so
        # a client outside is not taken for the local Prometheus.
        assert hsts == "max-age=31536000" and metrics == 403
    else:
        assert hsts is None and metrics == 200


def test_json_logs_give_one_object_per_line_with_a_line_per_request(tmp_path, capsys):
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            "LOG_FORMAT": "json",
        },
        instance_path=str(tmp_path),
    )
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        app.test_client().get("/healthz")
        app.logger.warning("mail server slow")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    access = next(line for line in lines if line["logger"] == "aanwezig.access")
    assert access["path"] == "/healthz" and access["status"] == 200 and access["method"] == "GET"
    warning = next(line for line in lines if line["message"] == "mail server slow")
    assert warning["level"] == "WARNING" and "time" in warning


# --- the migration ---------------------------------------------------------------------------


def _backends(tmp_path) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = [("sqlite", f"sqlite:///{tmp_path}/migration.db")]
    if TEST_DATABASE_URL:
        found.append(("postgresql", TEST_DATABASE_URL.rsplit("/", 1)[0] + "/"))
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):  # type: ignore[no-untyped-def]
    """An empty database of its own (the shared test database stays at head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migration.db"
        return
    if not TEST_DATABASE_URL:
        by_design("the PostgreSQL variant runs only when TEST_DATABASE_URL is set")
    base, name = TEST_DATABASE_URL.rsplit("/", 1)
    url, admin = (
        f"{base}/{name}_migration",
        create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT"),
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}_migration" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}_migration"'))
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}_migration" WITH (FORCE)'))
    admin.dispose()


def test_the_migration_keeps_every_mail_and_its_delivery_state(empty_database, tmp_path):
    from flask_migrate import downgrade, upgrade

    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database}, instance_path=str(tmp_path)
    )
    sent_at, due = datetime(2026, 11, 20, 9, 0), datetime(2026, 11, 30, 8, 0)
    with app.app_context():
        upgrade(revision="42c15081fa68")
        db.session.execute(
            text(
                "INSERT INTO outbox_mails (recipient, subject, message, created_at, attempts,"
                " next_attempt_at, last_error, sent_at) VALUES"
                " ('an@example.org', 'QR', :m, :c, 1, :c, NULL, :s),"
                " ('ben@example.org', 'QR', :m, :c, 3, :d, 'ConnectionRefusedError', NULL)"
            ),
            {
                "m": b"Subject: QR\r\n\r\nhi",
                "c": datetime(2026, 11, 20, 8, 0),
                "s": sent_at,
                "d": due,
            },
        )
        db.session.commit()
        upgrade()
        rows = db.session.execute(
            text(
                "SELECT m.id, m.recipient, m.sent_at, j.kind, j.attempts, j.due_at, j.last_error,"
                " j.finished_at FROM outbox_mails m JOIN jobs j ON j.id = m.job_id ORDER BY m.id"
            )
        ).all()
        assert [(r.id, r.recipient, r.kind, r.attempts, r.last_error) for r in rows] == [
            (1, "an@example.org", "mail", 1, None),
            (2, "ben@example.org", "mail", 3, "ConnectionRefusedError"),
        ]
        assert _naive(rows[0].finished_at) == sent_at and rows[1].finished_at is None
        assert _naive(rows[1].due_at) == due
        # A new mail's job does not reuse a migrated id.
        [job_id] = queue_mails(app, 1)
        assert job_id == 3
        db.session.remove()
        downgrade(revision="42c15081fa68")
        back = db.session.execute(
            text("SELECT id, attempts, last_error, sent_at FROM outbox_mails ORDER BY id")
        ).all()
        assert [(r.id, r.attempts, r.last_error) for r in back][:2] == [
            (1, 1, None),
            (2, 3, "ConnectionRefusedError"),
        ]
        db.session.remove()
        db.engine.dispose()


def _naive(value):  # type: ignore[no-untyped-def]
    if isinstance(value, str):  # SQLite gives text back in a raw query
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=None)
