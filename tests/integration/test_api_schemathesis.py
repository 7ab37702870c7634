"""Schemathesis against a real server: what the OpenAPI description promises, the API keeps.

A server started here (werkzeug, in a thread, on the test's database) with seeded data; the
``schemathesis`` command runs every check against the generated /api/v1/openapi.json, as a
promotor, as a trainer and as central support, with a fixed seed and a bounded number of examples. The few checks
that cannot apply to an operation are switched off for that operation only, each with its
reason, in ``schemathesis.toml`` beside this file.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.models import Role
from tests.builders import Builders

HERE = Path(__file__).resolve().parent
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def port() -> int:
    return _free_port()


@pytest.fixture
def app_config(port: int) -> dict:
    return {"SERVER_NAME": f"127.0.0.1:{port}"}


@pytest.fixture
def live(app, make: Builders, port: int, today: date) -> Iterator[dict[str, str]]:
    """The server, and a token of each role over seeded data (a session today, enrolled)."""
    trainer = make.user(Role.TRAINER)
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    for name in ("An Peeters", "Ben Claes"):
        make.enrol(session_id, make.participant(name=name))
    tokens = {
        "promotor": make.token(make.user(Role.PROMOTOR)),
        "trainer": make.token(trainer),
        "support": make.token(make.user(Role.ADMIN, branch=None)),
    }
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{port}/api/v1/openapi.json", **tokens}
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.mark.slow
@pytest.mark.parametrize("role", ["promotor", "trainer", "support"])
def test_the_api_keeps_what_its_description_promises(
    live: dict[str, str], role: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--no-color",
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            live["url"],
            "--header",
            f"Authorization: Bearer {live[role]}",
            "--seed",
            "20261201",
            "--max-examples",
            "12",
            "--workers",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
            "--request-timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        # Some forty operations, each through three phases, on a machine shared by the suite.
        timeout=900,
        cwd=tmp_path,  # schemathesis keeps a cache in its working folder
    )
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
