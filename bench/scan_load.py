"""Load benchmark of POST /api/v1/scans, the hot path at the door.

Starts gunicorn on this machine with PostgreSQL (and then the SQLite default), lets N concurrent
clients each scan distinct participants once, and reports scans per second and p50/p99 latency;
then does the same against bench/ceiling_app.py (one INSERT per request, same server settings),
the practical ceiling. A third run lets the same scanners scan at a door's pace (one scan every
--door-interval seconds each) to show the latency a trainer meets. Checks that no request failed
and that the registrations in the database equal the accepted scans. Only loopback traffic;
every loop is bounded.

    .venv/bin/python bench/scan_load.py [--clients 32] [--per-client 60] [--workers 4 --threads 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql+psycopg://postgres@127.0.0.1:5432/aanwezig_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_postgres() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS aanwezig_bench WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE aanwezig_bench"))
    engine.dispose()


def prepare(database_url: str, instance: Path, participants: int) -> tuple[str, int, list[str]]:
    """Migrate, create a trainer, a session today and enrolled participants; return token, session, codes."""
    os.environ["DATABASE_URL"] = database_url
    from flask_migrate import upgrade

    from app import create_app
    from app.audit import Actor
    from app.auth.operations import create_user, get_or_create_branch, issue_token
    from app.domain.cutoff import BRUSSELS
    from app.extensions import db
    from app.mail.messages import participant_code
    from app.models import Enrolment, Participant, Role, TrainingMode
    from app.planning.operations import create_project, create_session, create_training

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url}, instance_path=str(instance))
    with app.app_context():
        upgrade()
        actor = Actor(None)
        branch = get_or_create_branch("Bench")
        admin = create_user(actor, "bench-admin@example.org", Role.ADMIN, "bench-password", None)
        trainer = create_user(
            actor, "bench-trainer@example.org", Role.TRAINER, "bench-password", branch
        )
        project = create_project(Actor(admin), "Bench", "ESF-0", "Bench")
        training = create_training(actor, project, "Bench", "B", TrainingMode.CLASSROOM, [trainer])
        today = datetime.now(UTC).astimezone(BRUSSELS).date()
        session = create_session(
            actor, training, today, clock(0, 0), clock(23, 59), trainer=trainer
        )
        people = [
            Participant(branch=branch, name=f"P{i}", email=f"p{i}@example.org")
            for i in range(participants)
        ]
        db.session.add_all(people)
        db.session.flush()
        # Bulk enrolment: the bench measures scans, not the per-enrolment mail composition.
        db.session.add_all(Enrolment(session_id=session.id, participant_id=p.id) for p in people)
        token = issue_token(actor, trainer, "bench")
        codes = [participant_code(p) for p in people]
        db.session.commit()
        db.engine.dispose()
        return token, session.id, codes


def count_rows(database_url: str, table: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return count


def start_gunicorn(
    app_path: str, env: dict[str, str], workers: int, threads: int
) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            app_path,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(
        "gunicorn did not start: " + (process.stderr.read() if process.stderr else "")
    )


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err or ""


WARMUP = 5  # first requests per client, not measured: worker start-up and statement caches


def load(
    ports: list[int],
    path: str,
    bodies: list[list[dict]],
    headers: dict[str, str],
    interval: float | None = None,
) -> dict:
    """Each client thread sends its bodies one after another on a keep-alive connection.

    Without ``interval`` a client sends the next body as soon as it has the answer (saturation:
    throughput). With ``interval`` it sends one every ``interval`` seconds, as a scanner at a
    door does, starting at a random offset; latency then shows what a trainer waits for.
    The first WARMUP bodies of each client are sent before the clock starts and not measured.
    """
    latencies: list[float] = []
    failures: list[str] = []
    accepted = 0
    lock = threading.Lock()
    barrier = threading.Barrier(len(bodies))

    def client(items: list[dict], port: int) -> None:
        nonlocal accepted
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for body in items[:WARMUP]:
            connection.request(
                "POST", path, json.dumps(body), {"Content-Type": "application/json", **headers}
            )
            connection.getresponse().read()
        barrier.wait()
        begin = time.perf_counter()
        with lock:
            started_at.append(begin)
        offset = random.uniform(0, interval) if interval else 0.0
        for i, body in enumerate(items[WARMUP:]):
            if interval:
                time.sleep(max(0.0, begin + offset + i * interval - time.perf_counter()))
            payload = json.dumps(body)
            started = time.perf_counter()
            try:
                connection.request(
                    "POST", path, payload, {"Content-Type": "application/json", **headers}
                )
                response = connection.getresponse()
                text = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, text = 0, str(exc).encode()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status == 200:
                    accepted += 1
                else:
                    failures.append(f"{status} {text[:200]!r}")
        connection.close()

    started_at: list[float] = []
    # With several servers (the two-server setup) the clients are spread over them in turn, as
    # a load balancer would.
    threads = [
        threading.Thread(target=client, args=(items, ports[i % len(ports)]))
        for i, items in enumerate(bodies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    wall = time.perf_counter() - min(started_at)
    latencies.sort()
    return {
        "requests": len(latencies),
        "accepted": accepted + WARMUP * len(bodies),
        "failures": failures,
        "per_second": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def run_scans(
    database_url: str,
    clients: int,
    per_client: int,
    workers: int,
    threads: int,
    interval: float | None = None,
    servers: int = 1,
) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        per_client += WARMUP
        token, session_id, codes = prepare(database_url, instance, clients * per_client)
        env = {"DATABASE_URL": database_url, "AANWEZIG_INSTANCE_PATH": str(instance)}
        started = [start_gunicorn("wsgi:app", env, workers, threads) for _ in range(servers)]
        try:
            bodies = [
                [
                    {
                        "session_id": session_id,
                        "code": codes[c * per_client + i],
                        "nonce": uuid.uuid4().hex,
                    }
                    for i in range(per_client)
                ]
                for c in range(clients)
            ]
            result = load(
                [port for _, port in started],
                "/api/v1/scans",
                bodies,
                {"Authorization": f"Bearer {token}"},
                interval,
            )
        finally:
            errors = "".join(stop(process) for process, _ in started)
        result["registrations"] = count_rows(database_url, "registrations")
        result["locked_errors"] = errors.count("database is locked")
        return result


def run_ceiling(
    database_url: str, clients: int, per_client: int, workers: int, threads: int
) -> dict:
    from sqlalchemy import create_engine

    sys.path.insert(0, str(ROOT / "bench"))
    os.environ["DATABASE_URL"] = database_url
    import ceiling_app

    engine = create_engine(database_url)
    ceiling_app.Base.metadata.drop_all(engine)
    ceiling_app.Base.metadata.create_all(engine)
    engine.dispose()
    process, port = start_gunicorn(
        "ceiling_app:app",
        {"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT / "bench")},
        workers,
        threads,
    )
    try:
        bodies = [
            [{"nonce": uuid.uuid4().hex} for _ in range(per_client + WARMUP)]
            for _ in range(clients)
        ]
        result = load([port], "/insert", bodies, {})
    finally:
        stop(process)
    result["registrations"] = count_rows(database_url, "ceiling_rows")
    return result


def line(name: str, r: dict) -> str:
    return (
        f"| {name} | {r['requests']} | {r['per_second']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
        f"| {len(r['failures'])} | {r['registrations']} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--per-client", type=int, default=60)
    parser.add_argument(
        "--door-interval",
        type=float,
        default=0.5,
        help="seconds between two scans of one scanner in the door-pace run",
    )
    parser.add_argument("--sqlite-clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    reset_postgres()
    scans = run_scans(PG_BENCH, args.clients, args.per_client, args.workers, args.threads)
    ceiling = run_ceiling(PG_BENCH, args.clients, args.per_client, args.workers, args.threads)
    reset_postgres()
    door = run_scans(
        PG_BENCH, args.clients, args.per_client, args.workers, args.threads, args.door_interval
    )
    reset_postgres()
    # The production setup: two servers on one database (deploy/, tested by
    # tests/integration/test_two_servers.py), each with half the processes of the one above,
    # so the machine runs as many as before.
    half = max(args.workers // 2, 1)
    two = run_scans(PG_BENCH, args.clients, args.per_client, half, args.threads, servers=2)
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{folder}/bench.db"
        lite = run_scans(
            sqlite_url, args.sqlite_clients, args.per_client, args.workers, args.threads
        )

    print(
        f"gunicorn gthread, {args.workers} workers x {args.threads} threads, {os.cpu_count()} cores"
    )
    print("| run | requests | per second | p50 ms | p99 ms | failed | rows after |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(line(f"POST /scans, PostgreSQL, {args.clients} clients", scans))
    print(line(f"ceiling: one INSERT, PostgreSQL, {args.clients} clients", ceiling))
    print(
        line(
            f"POST /scans, PostgreSQL, {args.clients} scanners, one scan each "
            f"{args.door_interval:g} s",
            door,
        )
    )
    print(
        line(
            f"POST /scans, PostgreSQL, two servers ({half} x {args.threads} each), "
            f"{args.clients} clients",
            two,
        )
    )
    print(line(f"POST /scans, SQLite, {args.sqlite_clients} clients", lite))
    print(
        f"scans/ceiling: {scans['per_second'] / ceiling['per_second']:.0%}; "
        f"SQLite 'database is locked' errors: {lite['locked_errors']}"
    )
    ok = True
    runs = (
        ("postgres", scans),
        ("ceiling", ceiling),
        ("door", door),
        ("two", two),
        ("sqlite", lite),
    )
    for name, r in runs:
        if r["failures"]:
            print(f"{name}: {len(r['failures'])} failures, first: {r['failures'][0]}")
            ok = False
        if r["registrations"] != r["accepted"]:
            print(f"{name}: {r['registrations']} rows for {r['accepted']} accepted requests")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
