"""Benchmark of the outbox: mails per second delivered by one and by two workers.

Starts a mail relay (aiosmtpd) that takes --relay-ms per message (50 ms by default, a slow
relay), then for each backend and each worker count: a fresh migrated database, that many
`flask --app wsgi worker` processes (production settings), --mails mails queued in one
transaction, and the time from that commit until the relay has taken them all. Counts every
Message-ID the relay saw more than once (duplicates) and checks the database marks every mail
sent. Loopback only; every wait is bounded.

    .venv/bin/python bench/outbox.py [--mails 300] [--relay-ms 50] [--workers 1 2] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql+psycopg://postgres@127.0.0.1:5432/aanwezig_bench_outbox"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SlowRelay:
    """Takes ``delay`` seconds per message (asynchronously: several senders are served at once,
    as a real relay serves several connections)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.seen: dict[str, int] = {}
        self.last_at = 0.0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            key = str(message["Message-ID"])
            self.seen[key] = self.seen.get(key, 0) + 1
            self.last_at = time.perf_counter()
        return "250 OK"

    def reset(self) -> None:
        with self.lock:
            self.seen.clear()

    def received(self) -> int:
        with self.lock:
            return sum(self.seen.values())

    def duplicates(self) -> int:
        with self.lock:
            return sum(count - 1 for count in self.seen.values())


def reset_postgres() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS aanwezig_bench_outbox WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE aanwezig_bench_outbox"))
    engine.dispose()


def make_app(database_url: str, instance: Path, smtp_port: int):  # type: ignore[no-untyped-def]
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_port,
            "EMBEDDED_WORKER": False,
        },
        instance_path=str(instance),
    )


def migrate(app) -> None:  # type: ignore[no-untyped-def]
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def queue(app, count: int) -> None:  # type: ignore[no-untyped-def]
    """``count`` mails of a realistic size (a QR-code mail is about 5 kB) in one transaction."""
    from app.extensions import db
    from app.mail import outbox

    body = "Beste deelnemer,\n\n" + "Uw QR-code voor de opleiding staat in de bijlage.\n" * 40
    with app.app_context():
        for number in range(count):
            message = EmailMessage()
            message["Subject"], message["From"] = "Uw QR-code", app.config["MAIL_FROM"]
            message["To"] = f"person{number}@example.org"
            message.set_content(body)
            message.add_attachment(os.urandom(2000), maintype="image", subtype="png")
            outbox.queue(message)
        db.session.commit()


def unsent(app) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import OutboxMail

    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None))
        )
        db.session.remove()
        return count or 0


def beating(app) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import WorkerHeartbeat

    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(WorkerHeartbeat))
        db.session.remove()
        return count or 0


def start_workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen]:
    processes = []
    for number in range(count):
        with (logs / f"worker-{number}.log").open("w") as out:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    return processes


def stop_workers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run(backend: str, workers: int, mails: int, relay: SlowRelay, port: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix=f"aanwezig-outbox-{backend}-"))
    if backend == "postgresql":
        reset_postgres()
        database_url = PG_BENCH
    else:
        database_url = f"sqlite:///{folder}/aanwezig.db"
    app = make_app(database_url, folder, port)
    migrate(app)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AANWEZIG_INSTANCE_PATH": str(folder),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "AANWEZIG_EMBEDDED_WORKER": "false",
        "AANWEZIG_LOG_LEVEL": "WARNING",
    }
    relay.reset()
    processes = start_workers(workers, env, folder)
    try:
        deadline = time.monotonic() + 60
        while beating(app) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
            time.sleep(0.2)
        started = time.perf_counter()
        queue(app, mails)
        deadline = time.monotonic() + 600
        while relay.received() < mails and time.monotonic() < deadline:
            time.sleep(0.05)
        finished = relay.last_at
        time.sleep(1.0)  # a duplicate would arrive now
    finally:
        stop_workers(processes)
    seconds = finished - started
    left = unsent(app)
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    return {
        "backend": backend,
        "workers": workers,
        "mails": relay.received() - relay.duplicates(),
        "seconds": seconds,
        "per_second": mails / seconds if seconds > 0 else 0.0,
        "duplicates": relay.duplicates(),
        "unsent": left,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--relay-ms", type=float, default=50.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    from aiosmtpd.controller import Controller

    relay = SlowRelay(args.relay_ms / 1000)
    port = free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    rows = []
    try:
        backends = ["postgresql"] + ([] if args.no_sqlite else ["sqlite"])
        for backend in backends:
            for workers in args.workers:
                row = run(backend, workers, args.mails, relay, port)
                rows.append(row)
                print(
                    f"{backend} x{workers}: {row['mails']} mails in {row['seconds']:.1f} s,"
                    f" {row['per_second']:.1f}/s, {row['duplicates']} duplicates, {row['unsent']} unsent",
                    file=sys.stderr,
                )
    finally:
        controller.stop()
    print(f"\nrelay {args.relay_ms:g} ms a message, {args.mails} mails per run, worker batch 5\n")
    print(
        "| database | workers | mails delivered | seconds | mails per second | duplicates | left unsent |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['backend']} | {row['workers']} | {row['mails']} | {row['seconds']:.1f} |"
            f" {row['per_second']:.1f} | {row['duplicates']} | {row['unsent']} |"
        )


if __name__ == "__main__":
    main()
