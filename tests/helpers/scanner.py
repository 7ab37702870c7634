"""A real Aanwezig server in a subprocess, set up through its CLI and API, and the scanner
run against it."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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

    def web(self, email: str = "trainer@example.org") -> requests.Session:
        """A browser-like session logged in through the real login form (CSRF and all)."""
        http = requests.Session()
        page = http.get(self.url + "/login", timeout=10)
        http.post(
            self.url + "/login",
            data={"csrf_token": csrf(page.text), "email": email, "password": "long enough pw"},
            timeout=10,
        ).raise_for_status()
        assert "/login" not in http.get(self.url + "/", timeout=10).url, "login failed"
        return http

    def new_token(self, email: str = "trainer@example.org") -> str:
        return self.flask("create-token", email).strip().splitlines()[-1]

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
            "--keep-password",
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
            "--keep-password",
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


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert found, "no CSRF token on the page"
    return found.group(1)


def scanner_env(server: LiveServer | None, data: Path, token: str | None = None) -> dict[str, str]:
    """The scanner's environment: its own folders; the server and token when given (``token=""``
    leaves both to the scanner's saved settings, as after pairing)."""
    env = {
        **os.environ,
        "AANWEZIG_SCANNER_DATA": str(data),
        "AANWEZIG_SCANNER_CONFIG": str(data / "scanner.json"),
    }
    env.pop("AANWEZIG_SERVER", None)
    env.pop("AANWEZIG_TOKEN", None)
    if server is not None and token != "":
        env["AANWEZIG_SERVER"] = server.url
        env["AANWEZIG_TOKEN"] = token or server.trainer_token
    return env


def run_scanner(
    server: LiveServer | None,
    data: Path,
    *args: str,
    stdin: str | bytes = "",
    timeout: float = 90,
    token: str | None = None,
    env: dict[str, str] | None = None,
    mute: bool = True,
) -> subprocess.CompletedProcess[str]:
    """The scanner as a trainer runs it, against the live server."""
    environment = {**scanner_env(server, data, token), **(env or {})}
    quiet = ["--mute"] if mute else []
    done = subprocess.run(
        [PYTHON, "-m", "scanner", "--headless", *quiet, "--repeat", "1", *args],
        cwd=ROOT, env=environment, input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True, timeout=timeout, check=False,
    )  # fmt: skip
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def states(data: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(data / "journal.sqlite3") as db:
        return db.execute("SELECT state, error FROM scans ORDER BY id").fetchall()


def revoke_on_the_tokens_page(server: LiveServer) -> None:
    """The trainer revokes every token the scanner might use, the way they would: on the
    tokens page."""
    web = server.web()
    page = web.get(server.url + "/tokens", timeout=10).text
    ids = re.findall(r'action="/tokens/(\d+)/revoke"', page)
    assert ids, page
    for token_id in ids:
        web.post(
            f"{server.url}/tokens/{token_id}/revoke", data={"csrf_token": csrf(page)}, timeout=10
        ).raise_for_status()
    assert "/revoke" not in web.get(server.url + "/tokens", timeout=10).text
