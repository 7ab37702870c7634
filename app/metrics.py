"""``/metrics`` in the Prometheus text format (prometheus_client).

Request latencies and scan outcomes are counted in this process, in after-request hooks: the
scan's outcome is read from its answer (status, JSON ``error`` code, ``repeat``), so the scan
service itself carries no metrics code. The background-job figures (backlog, age of the oldest
due mail, the workers' last heartbeat) are read from the database at each scrape, so every web
server reports the same, shared numbers.

Under gunicorn with several workers, set ``PROMETHEUS_MULTIPROC_DIR`` (deploy/gunicorn.conf.py
does) before the app is imported: each process then writes its counters to files there and a
scrape, answered by any one process, adds them all up.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import case, func, select

from app.clock import now as clock_now
from app.extensions import db
from app.models import Job, WorkerHeartbeat

bp = Blueprint("metrics", __name__)

REQUEST_SECONDS = Histogram(
    "aanwezig_request_duration_seconds",
    "Time to answer a request, by endpoint and status.",
    ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SCANS = Counter(
    "aanwezig_scans_total",
    "Scans answered: accepted, repeat (nothing recorded) or refused, with the refusal's code.",
    ["outcome", "reason"],
)
SCAN_ENDPOINT = "api.scan"
_REASON_LENGTH = 40


def init_metrics(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    endpoint = request.endpoint or "unmatched"
    if started is not None:
        REQUEST_SECONDS.labels(request.method, endpoint, str(response.status_code)).observe(
            time.perf_counter() - started
        )
    if endpoint == SCAN_ENDPOINT:
        outcome, reason = scan_outcome(response)
        SCANS.labels(outcome, reason).inc()
    return response


def count_scan(outcome: str, reason: str) -> None:
    """The scan view states its outcome ("accepted", "repeat" or "refused" with the refusal's
    code) where it is decided; ``_observe`` counts it when the answer goes out."""
    g.scan_outcome = (outcome, reason[:_REASON_LENGTH])


def scan_outcome(response: Response) -> tuple[str, str]:
    """The outcome the view stated; a scan answered before its view ran (a malformed body, an
    unknown token, a limit) is refused with its HTTP status as the reason."""
    stated = g.pop("scan_outcome", None)
    if stated is not None:
        return stated
    return "refused", f"http_{response.status_code}"


# --- the scrape ---------------------------------------------------------------------------------


def _networks(
    setting: Iterable[str] | str | None,
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if isinstance(setting, str):
        setting = [part for part in setting.split(",")]
    return [
        ipaddress.ip_network(item.strip(), strict=False) for item in setting or () if item.strip()
    ]


def allowed() -> bool:
    """A valid METRICS_TOKEN, or a client address in METRICS_ALLOW."""
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in _networks(config.get("METRICS_ALLOW")))


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    if not allowed():
        return jsonify({"error": "forbidden", "message": "metrics are not served to you"}), 403
    output = generate_latest(_process_registry()) + generate_latest(_database_registry())
    return Response(
        output, mimetype=CONTENT_TYPE_LATEST.split(";")[0], content_type=CONTENT_TYPE_LATEST
    )


def _process_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _database_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobsCollector())
    return registry


class JobsCollector:
    """The shared figures, from the database: two queries per scrape."""

    def collect(self) -> Iterator[Metric]:
        now = clock_now()
        unfinished = GaugeMetricFamily(
            "aanwezig_jobs_unfinished", "Background jobs not done yet, by kind.", labels=["kind"]
        )
        due = GaugeMetricFamily(
            "aanwezig_jobs_due", "Unfinished jobs whose time has come, by kind.", labels=["kind"]
        )
        oldest = GaugeMetricFamily(
            "aanwezig_jobs_oldest_due_age_seconds",
            "Age (since it was queued) of the oldest due, unfinished job, by kind; 0 if none.",
            labels=["kind"],
        )
        is_due = Job.due_at <= now
        rows = db.session.execute(
            select(
                Job.kind,
                func.count(),
                func.sum(case((is_due, 1), else_=0)),
                func.min(case((is_due, Job.created_at), else_=None)),
            )
            .where(Job.finished_at.is_(None))
            .group_by(Job.kind)
        ).all()
        figures = {kind: (count, due_count or 0, first) for kind, count, due_count, first in rows}
        figures.setdefault("mail", (0, 0, None))
        for kind, (count, due_count, first) in sorted(figures.items()):
            unfinished.add_metric([kind], count)
            due.add_metric([kind], due_count)
            oldest.add_metric([kind], _age(now, first))
        mail_count, _, mail_first = figures["mail"]
        yield unfinished
        yield due
        yield oldest
        yield GaugeMetricFamily(
            "aanwezig_outbox_backlog",
            "Mails not sent yet (the outbox page's waiting).",
            value=mail_count,
        )
        yield GaugeMetricFamily(
            "aanwezig_outbox_oldest_due_age_seconds",
            "How long the oldest mail that is due has waited since it was queued; 0 if none.",
            value=_age(now, mail_first),
        )
        last = db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
        yield GaugeMetricFamily(
            "aanwezig_worker_heartbeat_age_seconds",
            "Seconds since a worker last reported; -1 if none ever did.",
            value=_age(now, last) if last is not None else -1,
        )


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # an aggregate over a UTC column comes back without its type
        then = then.replace(tzinfo=UTC)
    return max((now - then).total_seconds(), 0.0)
