"""Benchmark of the exchange: events per second out and in, and the delay from a registration
to its delivery with the peer up.

One process: our app on a fresh migrated database (SQLite by default, PostgreSQL with
--postgres), the reference peer of the tests (tests/exchange_peer.py: its own werkzeug server,
verifying every signature) and one worker thread (``app.jobs.worker.Worker``, the code a
``flask worker`` runs, polling every 50 ms).

- out: --events roll-call marks (one per participant) committed in one transaction, timed from
  the commit until the peer has applied the last; every event id the peer saw is counted.
- delay: --singles marks committed one at a time, each timed from its commit to the moment the
  peer applied it (the worker idle in between and woken by the commit, as the embedded worker is).
- in: --events events sent by the peer to ``POST /api/v1/exchange/{id}/events`` one after
  another over HTTP (our app served by werkzeug, threaded), each signed and verified.

    .venv/bin/python bench/exchange.py [--events 300] [--singles 30] [--postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time as clock
from datetime import UTC, datetime
from datetime import time as daytime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql+psycopg://postgres@127.0.0.1:5432/aanwezig_bench_exchange"


def reset_postgres() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS aanwezig_bench_exchange WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE aanwezig_bench_exchange"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--singles", type=int, default=30)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from app import create_app
    from app.attendance.operations import RollCallLine, confirm_roll_call
    from app.audit import Actor
    from app.auth.operations import get_or_create_branch
    from app.domain.cutoff import BRUSSELS
    from app.domain.exchange import DEFAULT_MAPPING, EVENT_KINDS
    from app.exchange import operations as ops
    from app.exchange.outgoing import KIND
    from app.extensions import db
    from app.jobs import EMBEDDED_WORKER
    from app.jobs.worker import Worker
    from app.models import Participant, Session
    from tests.builders import Builders
    from tests.exchange_peer import Peer, free_port

    instance = Path(tempfile.mkdtemp(prefix="aanwezig-bench-exchange-"))
    if args.postgres:
        reset_postgres()
        uri = PG_BENCH
    else:
        uri = f"sqlite:///{instance / 'bench.db'}"
    port = free_port()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": uri,
            "TESTING": True,
            "SMTP_HOST": None,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": f"127.0.0.1:{port}",
            # The reference peer listens on this machine: allowed explicitly, as an
            # on-premises package would be.
            "EXCHANGE_ALLOW_HOSTS": "127.0.0.1",
        },
        instance_path=str(instance),
    )
    with app.app_context():
        upgrade()
    make = Builders(app)
    today = datetime.now(UTC).astimezone(BRUSSELS).date()
    session_id = make.session(today, daytime(0, 0), daytime(11, 59))
    people = [make.participant(email=f"p{i}@example.org") for i in range(args.events)]
    with app.app_context():
        session = db.session.get(Session, session_id)
        from app.participants.operations.enrolling import enrol

        for pid in people:
            enrol(Actor(None), session, db.session.get(Participant, pid))
        db.session.commit()
    peer = Peer(secret=ops.new_secret())
    peer.start()
    with app.app_context():
        connection, _ = ops.create_connection(
            Actor(None),
            get_or_create_branch("Gent"),
            ops.ConnectionInput(
                "Peer",
                peer.url,
                list(EVENT_KINDS),
                "email",
                False,
                dict(DEFAULT_MAPPING),
                daytime(12, 0),
                peer.secret,
            ),
        )
        ops.switch(Actor(None), connection, True, datetime.now(UTC))
        db.session.commit()
        connection_id = connection.id

    worker = Worker(app, kinds=[KIND], poll=0.05, batch=20)
    # As the embedded worker: woken by the commit that queues a job (else at its next poll).
    app.extensions[EMBEDDED_WORKER] = worker
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()

    def wait_for(count: int, limit: float = 300) -> float:
        end = clock.perf_counter() + limit
        while clock.perf_counter() < end:
            with peer.lock:
                if len(peer.received) >= count:
                    return clock.perf_counter()
            clock.sleep(0.002)
        raise SystemExit(f"the peer got {len(peer.received)} of {count} events")

    # --- out: a roll call of everyone at once
    with app.app_context():
        session = db.session.get(Session, session_id)
        lines = [RollCallLine(pid, False, "bench") for pid in people]
        confirm_roll_call(Actor(None), session, lines, datetime.now(UTC))
        started = clock.perf_counter()
        db.session.commit()
    finished = wait_for(args.events)
    out_seconds = finished - started
    ids = [e["event_id"] for e in peer.received]
    duplicates = len(ids) - len(set(ids))

    # --- delay: one mark at a time
    delays = []
    for i in range(args.singles):
        before = len(peer.received)
        with app.app_context():
            session = db.session.get(Session, session_id)
            at = datetime.now(UTC)
            confirm_roll_call(Actor(None), session, [RollCallLine(people[i], False, f"d{i}")], at)
            committed = clock.perf_counter()
            db.session.commit()
        delays.append((wait_for(before + 1) - committed) * 1000)
    worker.stop()
    thread.join(timeout=10)

    # --- in: the peer sends, we verify and apply
    server = make_server("127.0.0.1", port, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{port}/api/v1/exchange/{connection_id}/events"
    events = [
        peer.register(f"p{i}@example.org", today.isoformat(), "am", "Z", "in")
        for i in range(args.events)
    ]
    started = clock.perf_counter()
    outcomes: dict[str, int] = {}
    for event in events:
        answer = peer.send(url, event)
        key = answer.json().get("outcome", answer.json().get("error", "?"))
        outcomes[key] = outcomes.get(key, 0) + 1
    in_seconds = clock.perf_counter() - started
    server.shutdown()
    server.server_close()
    peer.stop()
    with app.app_context():
        db.engine.dispose()

    backend = "postgresql" if args.postgres else "sqlite"
    delays.sort()
    p95 = delays[max(0, int(len(delays) * 0.95) - 1)]
    print(
        f"| {backend} | out | {args.events} | {out_seconds:.2f} | {args.events / out_seconds:.0f} | duplicates {duplicates} |"
    )
    print(
        f"| {backend} | in | {args.events} | {in_seconds:.2f} | {args.events / in_seconds:.0f} | {outcomes} |"
    )
    print(
        f"| {backend} | delay registration → delivery ({args.singles} one by one) | median "
        f"{statistics.median(delays):.0f} ms, p95 {p95:.0f} ms, max {delays[-1]:.0f} ms |"
    )


if __name__ == "__main__":
    main()
