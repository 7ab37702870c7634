"""Health checks for a load balancer: ``/healthz`` (the process answers) and ``/readyz`` (it can
serve: database reachable, migrations at head, a worker beating). JSON, no login, no secrets."""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from app.clock import now as clock_now
from app.extensions import db
from app.jobs import EMBEDDED_WORKER
from app.models import WorkerHeartbeat

bp = Blueprint("health", __name__)
HEADS = "aanwezig.migration_heads"


def init_health(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up and answers; asks nothing of the database."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    checks: dict[str, dict[str, Any]] = {"database": _database()}
    if current_app.config.get("PRODUCTION"):
        checks["public_url"] = _public_url()
    if checks["database"]["ok"]:
        checks["migrations"] = _migrations()
        checks["worker"] = _worker()
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return jsonify(body), 200 if ready else 503


def _public_url() -> dict[str, Any]:
    """In production every mailed link is built from PUBLIC_URL; without it (a setting
    changed after the start) the server is not fit to serve."""
    from app.links import production_problems

    problems = production_problems(current_app.config)
    return {"ok": not problems, **({"error": problems[0]} if problems else {})}


def _database() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        # The error text may name hosts and users: the log has it, the answer does not.
        current_app.logger.warning("readyz: database unreachable", exc_info=True)
        db.session.rollback()
        return {"ok": False, "error": "unreachable"}
    return {"ok": True}


def migration_heads(app: Flask) -> list[str]:
    """The newest revisions in migrations/ (read once per process: they change with a deploy)."""
    if HEADS not in app.extensions:
        from alembic.script import ScriptDirectory

        directory = app.extensions["migrate"].directory
        script = ScriptDirectory(directory)
        app.extensions[HEADS] = sorted(script.get_heads())
    return app.extensions[HEADS]


def _migrations() -> dict[str, Any]:
    heads = migration_heads(current_app)
    try:
        current = sorted(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:
        db.session.rollback()
        current = []
    return {"ok": current == heads, "current": current, "head": heads}


def _worker() -> dict[str, Any]:
    config = current_app.config
    if not config["READYZ_REQUIRE_WORKER"]:
        return {"ok": True, "required": False}
    embedded = current_app.extensions.get(EMBEDDED_WORKER)
    if embedded is not None:
        alive = embedded.thread.is_alive()
        return {"ok": alive, "mode": "embedded", "pid": os.getpid()}
    last = db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    if last is None:
        return {"ok": False, "mode": "separate", "error": "no worker has reported"}
    age = (clock_now() - last).total_seconds()
    return {
        "ok": age <= float(config["WORKER_STALE_SECONDS"]),
        "mode": "separate",
        "last_beat_seconds_ago": round(age, 1),
    }
