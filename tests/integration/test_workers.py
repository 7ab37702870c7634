"""Real worker processes (`flask --app wsgi worker`) against a real mail relay, on SQLite and
PostgreSQL: two workers never send one mail twice; a worker killed while sending loses nothing
and its job returns after the lease; SIGTERM finishes the mail in hand and gives back the rest."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Job, OutboxMail, WorkerHeartbeat
from tests.helpers.jobs import queue_mails
from tests.processes import Relay, WorkerProcess, wait_until, worker_env

pytestmark = pytest.mark.slow


@pytest.fixture
def relay() -> Iterator[Relay]:
    relay = Relay(delay=0.02).start()
    yield relay
    relay.stop()


@pytest.fixture
def spawn(app: Flask, relay: Relay, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def spawn(**settings: str) -> WorkerProcess:
        env = worker_env(
            app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path), relay.port, **settings
        )
        worker = WorkerProcess(env, tmp_path / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    yield spawn
    for worker in started:
        worker.stop()


def beating(app: Flask) -> set[int]:
    with app.app_context():
        pids = set(db.session.scalars(select(WorkerHeartbeat.pid)))
        db.session.remove()
        return pids


def jobs_by_id(app: Flask) -> dict[int, Job]:
    with app.app_context():
        found = {job.id: job for job in db.session.scalars(select(Job))}
        db.session.expunge_all()
        db.session.remove()
        return found


def done_count(worker: WorkerProcess) -> int:
    match = re.search(r"stopped \((\d+) done", worker.read_log())
    assert match, worker.read_log()
    return int(match.group(1))


def test_two_workers_never_send_the_same_mail(app, relay, spawn):
    first, second = spawn(), spawn()
    wait_until(lambda: {first.pid, second.pid} <= beating(app), 60, "both workers' heartbeats")
    queue_mails(app, 40)
    wait_until(lambda: relay.count() >= 40, 60, "40 mails at the relay")
    time.sleep(1.0)  # a second copy of any of them would have arrived by now
    assert first.terminate() == 0 and second.terminate() == 0
    counts = relay.by_message_id()
    assert len(counts) == 40 and set(counts.values()) == {1}
    assert len({item.to for item in relay.received}) == 40
    shares = done_count(first), done_count(second)
    assert sum(shares) == 40 and min(shares) > 0, shares  # both worked, neither twice
    assert all(job.finished_at for job in jobs_by_id(app).values())
    assert beating(app) == set()  # a clean stop removes the heartbeat


def test_a_worker_killed_while_sending_loses_nothing_and_its_job_returns_after_the_lease(
    app, relay, spawn
):
    relay.hold()  # the relay takes the mail but keeps the worker waiting for its "250 OK"
    [job_id] = queue_mails(app, 1)
    doomed = spawn(JOB_LEASE_SECONDS="3")
    wait_until(relay.entered.is_set, 60, "the mail reaching the relay")
    entered = time.monotonic()
    held = jobs_by_id(app)[job_id]
    assert held.lease_owner.split(":")[1] == str(doomed.pid) and held.attempts == 1
    doomed.kill()  # the server has the mail; the worker died before it could record that
    relay.let_go()
    successor = spawn(JOB_LEASE_SECONDS="3")
    wait_until(lambda: relay.count() >= 2, 60, "the job claimed again after the lease")
    first, second = relay.received
    assert second.at - entered >= 3 - 0.5  # not before the dead worker's lease ran out
    # One duplicate at most, and it is the same message: the mail client folds the two.
    assert first.message_id == second.message_id
    time.sleep(0.5)
    assert successor.terminate() == 0
    assert relay.count() == 2
    done = jobs_by_id(app)[job_id]
    assert done.finished_at and done.lease_owner is None and done.attempts == 2
    with app.app_context():
        assert db.session.scalars(select(OutboxMail.sent_at)).one() is not None


def test_sigterm_finishes_the_mail_in_hand_and_gives_back_the_others(app, relay, spawn):
    relay.hold()
    ids = queue_mails(app, 4)
    worker = spawn(WORKER_BATCH="4")
    wait_until(relay.entered.is_set, 60, "the first mail reaching the relay")
    assert {job.lease_owner for job in jobs_by_id(app).values()} == {
        jobs_by_id(app)[ids[0]].lease_owner
    }
    assert worker.process is not None
    worker.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert worker.alive()  # still waiting for the server to take the mail in hand
    relay.let_go()
    assert worker.process.wait(timeout=20) == 0
    assert relay.count() == 1
    after = jobs_by_id(app)
    assert after[ids[0]].finished_at is not None
    for job_id in ids[1:]:  # given back at once: due now, not after the lease, attempt undone
        job = after[job_id]
        assert (job.finished_at, job.lease_owner, job.attempts) == (None, None, 0)
    spawn()
    wait_until(lambda: relay.count() >= 4, 60, "the given-back mails sent by the next worker")
    assert set(relay.by_message_id().values()) == {1}


def test_the_embedded_worker_thread_delivers_mail_in_the_web_process(database_url, tmp_path, relay):
    """The embedded default (make run): no worker process, a thread of the web server."""
    from app import create_app
    from tests.helpers.config import BASE_CONFIG

    app = create_app(
        {
            **BASE_CONFIG,
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": relay.port,
            "EMBEDDED_WORKER": True,
            "WORKER_POLL_SECONDS": 0.2,
        },
        instance_path=str(tmp_path / "instance"),
    )
    try:
        assert app.test_client().get("/healthz").status_code == 200  # starts the thread
        worker = app.extensions["aanwezig.worker"]
        queue_mails(app, 2)
        wait_until(lambda: relay.count() >= 2, 30, "the embedded worker's mails")
        ready = app.test_client().get("/readyz").get_json()
        assert ready["checks"]["worker"] == {
            "ok": True,
            "mode": "embedded",
            "pid": ready["checks"]["worker"]["pid"],
        }
    finally:
        worker = app.extensions.get("aanwezig.worker")
        if worker is not None:
            worker.stop()
            worker.thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert set(relay.by_message_id().values()) == {1}
