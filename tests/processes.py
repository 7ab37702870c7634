"""Real processes for the tests of background work: a mail relay (aiosmtpd) that can be slow,
hold a message or be down, and `flask --app wsgi worker` subprocesses. Everything is bounded in
time and stopped by the fixture that started it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float, what: str, step: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll ``condition`` until it is truthy (returned) or ``timeout`` seconds pass (fails)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


@dataclass
class Received:
    at: float
    message: email.message.EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def to(self) -> str:
        return str(self.message["To"])


class Relay:
    """An SMTP server that takes ``delay`` seconds per message; ``hold()`` makes it keep the
    senders of the next messages waiting for its answer until ``let_go()``."""

    def __init__(self, port: int | None = None, delay: float = 0.0) -> None:
        self.port = port or free_port()
        self.delay = delay
        self.received: list[Received] = []
        self.entered = threading.Event()  # a message's DATA has arrived
        self._gate = threading.Event()
        self._gate.set()
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        # The message counts as taken when it has arrived: a sender that dies while waiting
        # for the answer has still delivered it (the case a stable Message-ID is for).
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.received.append(Received(time.monotonic(), message))  # type: ignore[arg-type]
        self.entered.set()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._gate.wait, 60)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"

    def start(self) -> Relay:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._gate.set()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def hold(self) -> None:
        self._gate.clear()

    def let_go(self) -> None:
        self._gate.set()

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def by_message_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            for item in self.received:
                counts[item.message_id] = counts.get(item.message_id, 0) + 1
        return counts


@dataclass
class WorkerProcess:
    """``flask --app wsgi worker`` in a subprocess with the given environment."""

    env: dict[str, str]
    log: Path
    args: tuple[str, ...] = ()
    process: subprocess.Popen | None = None
    output: str = field(default="", init=False)

    def start(self) -> WorkerProcess:
        with self.log.open("w") as out:  # the child keeps its own copy of the file
            self.process = subprocess.Popen(
                [PYTHON, "-m", "flask", "--app", "wsgi", "worker", *self.args],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM and wait; returns the exit code (killed and failed if it hangs)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"worker {self.pid} did not stop within {timeout} s") from None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """For fixtures' teardown: whatever state it is in, it is gone afterwards."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def read_log(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


def worker_env(
    database_url: str, instance: Path, smtp_port: int, **settings: str
) -> dict[str, str]:
    """A worker's environment as deploy/aanwezig.env.example sets it, pointed at the test's
    database, instance folder and relay; ``settings`` are AANWEZIG_* overrides."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AANWEZIG_INSTANCE_PATH": str(instance),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "AANWEZIG_EMBEDDED_WORKER": "false",
        "AANWEZIG_WORKER_POLL_SECONDS": "0.2",
        "AANWEZIG_WORKER_HEARTBEAT_SECONDS": "0.5",
        "AANWEZIG_MAIL_RETRY_SECONDS": "1",
        # These tests count the mails and jobs they make: no daily digest of the real day
        # among them (the digest has its own tests, tests/integration/test_digest.py).
        "AANWEZIG_DIGEST_TIME": "off",
    }
    env.update({f"AANWEZIG_{key}": value for key, value in settings.items()})
    return env
