"""The worker loop: ``flask --app wsgi worker`` in production, a thread of the web server in the
embedded default (``make run``).

The loop claims a batch of due jobs, does them one by one, and beats its heartbeat (stored, so
``/readyz`` of any web server can tell that a worker is alive). Told to stop (SIGTERM), it
finishes the job in hand, gives back the jobs it claimed but did not start, removes its
heartbeat and returns.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import delete, update
from sqlalchemy.exc import SQLAlchemyError

from app.clock import clock_of
from app.db import changed_rows
from app.extensions import db
from app.jobs import EMBEDDED_WORKER, Run, enabled_kinds
from app.jobs.daily import schedule_due
from app.jobs.runner import claim, perform, release
from app.models import WorkerHeartbeat
from app.settings import settings_of

log = logging.getLogger(__name__)
# A heartbeat left behind by a worker that was killed is forgotten after this long.
FORGET_HEARTBEATS_AFTER = timedelta(days=1)
# How often a worker looks whether a daily job (the digest) is to be scheduled.
SCHEDULE_EVERY = timedelta(minutes=1)


def worker_name() -> str:
    """Unique across machines and restarts: the lease owner and the heartbeat's key."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(
        self,
        app: Flask,
        *,
        name: str | None = None,
        kinds: list[str] | None = None,
        poll: float | None = None,
        batch: int | None = None,
    ) -> None:
        config = app.config
        self.app = app
        self.name = name or worker_name()
        self.kinds = kinds
        self.poll = float(poll if poll is not None else config["WORKER_POLL_SECONDS"])
        self.batch = int(batch if batch is not None else config["WORKER_BATCH"])
        self.lease = timedelta(seconds=float(config["JOB_LEASE_SECONDS"]))
        self.heartbeat_every = timedelta(seconds=float(config["WORKER_HEARTBEAT_SECONDS"]))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._last_beat: datetime | None = None
        self._last_schedule: datetime | None = None
        self.done = self.failed = 0
        self.thread: threading.Thread | None = None  # the embedded worker's own thread

    # --- control (any thread, or a signal handler) -------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # --- the loop -------------------------------------------------------------------------------
    def run(self) -> None:
        """Work until stopped. Survives the database or a job going wrong; never loses a job."""
        log.info("worker %s started", self.name)
        while not self._stop.is_set():
            busy = False
            with self.app.app_context():
                try:
                    self._beat()
                    self._schedule()
                    busy = self.run_once() > 0
                except SQLAlchemyError:
                    log.exception("worker %s: database unavailable, trying again", self.name)
                    db.session.rollback()
                except Exception:  # a bug must not stop the jobs: the lease keeps them safe
                    log.exception("worker %s: unexpected failure, trying again", self.name)
                    db.session.rollback()
                finally:
                    db.session.remove()
            if not busy:
                self._wake.wait(self.poll)
                self._wake.clear()
        with self.app.app_context():
            self._forget()
        log.info("worker %s stopped (%s done, %s failed)", self.name, self.done, self.failed)

    def run_once(self) -> int:
        """Claim one batch and do it; returns how many jobs were claimed."""
        kinds = self.kinds if self.kinds is not None else enabled_kinds(self.app)
        clock = clock_of(self.app)
        run = Run(clock.now(), settings_of(self.app), clock)
        jobs = claim(self.name, kinds, run.now, self.lease, self.batch)
        for index, job in enumerate(jobs):
            if self._stop.is_set():
                released = release(jobs[index:], self.name)
                log.info("worker %s: stopping, gave back %s jobs", self.name, released)
                break
            if perform(job, self.name, run):
                self.done += 1
            else:
                self.failed += 1
        return len(jobs)

    # --- daily jobs -----------------------------------------------------------------------------
    def _schedule(self) -> None:
        """Enqueue the daily jobs this worker does, once their time has come (app/jobs/daily)."""
        now = clock_of(self.app).now()
        if self._last_schedule is not None and now - self._last_schedule < SCHEDULE_EVERY:
            return
        self._last_schedule = now
        schedule_due(now, self.kinds if self.kinds is not None else enabled_kinds(self.app))

    # --- the heartbeat --------------------------------------------------------------------------
    def _beat(self) -> None:
        now = clock_of(self.app).now()
        if self._last_beat is not None and now - self._last_beat < self.heartbeat_every:
            return
        kinds = ",".join(self.kinds if self.kinds is not None else enabled_kinds(self.app))
        updated = changed_rows(
            update(WorkerHeartbeat)
            .where(WorkerHeartbeat.name == self.name)
            .values(beat_at=now, kinds=kinds[:300])
        )
        if not updated:
            db.session.execute(
                delete(WorkerHeartbeat).where(
                    WorkerHeartbeat.beat_at < now - FORGET_HEARTBEATS_AFTER
                )
            )
            db.session.add(
                WorkerHeartbeat(
                    name=self.name,
                    hostname=socket.gethostname()[:255],
                    pid=os.getpid(),
                    kinds=kinds[:300],
                    started_at=now,
                    beat_at=now,
                )
            )
        db.session.commit()
        self._last_beat = now

    def _forget(self) -> None:
        try:
            db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == self.name))
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            log.warning("worker %s: could not remove its heartbeat", self.name)
        finally:
            db.session.remove()


def start_embedded_worker(app: Flask) -> None:
    """The embedded default: a daemon thread of the web process runs the jobs.

    Started by the first request, so CLI commands (migrations, user creation) start no thread.
    Production turns it off (``EMBEDDED_WORKER = False``) and runs ``flask worker`` processes.
    """
    if app.testing or not app.config.get("EMBEDDED_WORKER"):
        return
    lock = threading.Lock()

    @app.before_request
    def _ensure_worker() -> None:
        if EMBEDDED_WORKER in app.extensions:
            return
        with lock:
            if EMBEDDED_WORKER not in app.extensions:
                worker = Worker(app)
                thread = threading.Thread(target=worker.run, name="jobs", daemon=True)
                worker.thread = thread
                app.extensions[EMBEDDED_WORKER] = worker
                thread.start()
