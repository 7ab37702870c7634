"""A real Aanwezig server in a subprocess, set up through its CLI and API, for the scanner tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    trainer_token: str = ""
    promotor_token: str = ""
    session_id: int = 0
    participants: dict[str, int] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "AANWEZIG_INSTANCE_PATH": str(self.folder),
            "DATABASE_URL": f"sqlite:///{self.folder}/aanwezig.db",
        }
        env["AANWEZIG_SCAN_REPEAT_SECONDS"] = "1"
        return env

    def flask(self, *args: str) -> str:
        done = subprocess.run(
            [PYTHON, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    def start(self) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "-m", "flask", "--app", "wsgi", "run", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/api/v1/openapi.json", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError("the test server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> dict:  # type: ignore[no-untyped-def]
        response = requests.request(
            method,
            self.url + "/api/v1" + path,
            headers={"Authorization": f"Bearer {token or self.promotor_token}"},
            timeout=10,
            **kwargs,
        )
        response.raise_for_status()
        return response.json()

    def registrations(self) -> list[dict]:
        return self.api("GET", f"/sessions/{self.session_id}/registrations")["items"]

    def setup(self) -> None:
        self.flask("db", "upgrade")
        self.flask(
            "create-user",
            "promotor@example.org",
            "--role",
            "promotor",
            "--branch",
            "Gent",
            "--password",
            "long enough pw",
        )
        self.flask(
            "create-user",
            "trainer@example.org",
            "--role",
            "trainer",
            "--branch",
            "Gent",
            "--password",
            "long enough pw",
        )
        self.promotor_token = (
            self.flask("create-token", "promotor@example.org").strip().splitlines()[-1]
        )
        self.trainer_token = (
            self.flask("create-token", "trainer@example.org").strip().splitlines()[-1]
        )
        self.start()
        project = self.api("POST", "/projects", json={"name": "Scan", "number": "ESF-1"})
        training = self.api(
            "POST",
            "/trainings",
            json={"project_id": project["id"], "name": "Excel", "mode": "classroom"},
        )
        session = self.api(
            "POST",
            "/sessions",
            json={
                "training_id": training["id"],
                "date": datetime.now(ZoneInfo("Europe/Brussels")).date().isoformat(),
                "start": "00:00",
                "end": "23:59",
                "trainer_email": "trainer@example.org",
            },
        )
        self.session_id = session["id"]
        for name in ("An Peeters", "Ben Claes"):
            person = self.api(
                "POST",
                "/participants",
                json={"name": name, "email": f"{name.split()[0].lower()}@example.org"},
            )
            self.api(
                "POST",
                f"/sessions/{self.session_id}/enrolments",
                json={"participant_id": person["id"]},
            )
            self.participants[name] = person["id"]
            self.codes[name] = self.api("GET", f"/participants/{person['id']}/code")["code"]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "server")
    server.setup()
    yield server
    server.stop()


def run_scanner(
    server: LiveServer, data: Path, *args: str, stdin: str = "", timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    """The scanner as a trainer runs it, against the live server."""
    env = {
        **os.environ,
        "AANWEZIG_SERVER": server.url,
        "AANWEZIG_TOKEN": server.trainer_token,
        "AANWEZIG_SCANNER_DATA": str(data),
        "AANWEZIG_SCANNER_CONFIG": str(data / "scanner.json"),
    }
    return subprocess.run(
        [PYTHON, "-m", "scanner", "--headless", "--no-sound", "--repeat", "1", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
