"""gunicorn settings for Aanwezig's web processes: ``gunicorn --config deploy/gunicorn.conf.py wsgi:app``.

Everything an administrator may want to change comes from the environment (see
deploy/aanwezig.env.example); the defaults are what docs/operations.md recommends and what
tests/integration/test_two_servers.py runs. Background jobs do not run here: set
``AANWEZIG_EMBEDDED_WORKER=false`` and run ``flask --app wsgi worker`` (deploy/systemd/).
"""

from __future__ import annotations

import glob
import os
import tempfile

bind = os.environ.get("AANWEZIG_BIND", "127.0.0.1:8000")
# Two processes per core with a few threads each: what bench/scan_load.py measures best here.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("AANWEZIG_THREADS", "4"))
# Load the app once in the master and fork: faster start, shared memory (wsgi.py freezes the
# start-up objects out of the collector, so the pages stay shared).
preload_app = True
timeout = 30
graceful_timeout = 25
keepalive = 5
max_requests = 0
errorlog = "-"
loglevel = os.environ.get("AANWEZIG_LOG_LEVEL", "info").lower()
accesslog = None  # the app writes one line per request itself with AANWEZIG_LOG_FORMAT=json
# The reverse proxy's X-Forwarded-* headers are trusted by the app (AANWEZIG_PROXY_COUNT), not
# by gunicorn: one place decides, and it is tested.
forwarded_allow_ips = "127.0.0.1"

if os.environ.get("AANWEZIG_LOG_FORMAT", "").lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.logs.json_formatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json"},
        },
        "root": {"handlers": ["stderr"], "level": loglevel.upper()},
        "loggers": {
            "gunicorn.error": {
                "handlers": ["stderr"],
                "level": loglevel.upper(),
                "propagate": False,
            },
            "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }

# Prometheus in multiprocess mode: every process writes its counters to files in this folder and
# /metrics, answered by any process, adds them up. It must be set before the app is imported
# (prometheus_client reads it then), and hold only this server's files.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="aanwezig-metrics-")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """A restart begins from zero: files of the previous run's processes would be added in."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def post_fork(server, worker) -> None:  # type: ignore[no-untyped-def]
    """A forked process must not share the master's database connections (it opens none, but a
    pool copied across fork would be corrupted by the first one that did)."""
    from app.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    """Live gauges of a process that exited leave the sum; its counters stay counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
