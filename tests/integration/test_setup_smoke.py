"""What `make run` does on a fresh machine: migrate an empty folder, load demo data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app import create_app
from tests.helpers.config import ClosingClient

ROOT = Path(__file__).resolve().parents[2]


def flask(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AANWEZIG_INSTANCE_PATH": str(instance)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_and_demo_data_on_an_empty_folder(tmp_path: Path):
    instance = tmp_path / "instance"
    upgrade = flask(instance, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    assert (instance / "aanwezig.db").exists()
    demo = flask(instance, "demo-data")
    assert demo.returncode == 0, demo.stderr
    assert "admin@demo.example.org" in demo.stdout
    password = demo.stdout.split("password for all: ")[1].split(")")[0]
    # Running it again (a second `make run`) keeps the data and prints the same logins.
    again = flask(instance, "demo-data")
    assert again.stdout == demo.stdout

    app = create_app(
        {"TESTING": True, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False},
        instance_path=str(instance),
    )
    app.test_client_class = ClosingClient
    client = app.test_client()
    login = client.post("/login", data={"email": "trainer@demo.example.org", "password": password})
    assert login.status_code == 302
    home = client.get("/")
    assert "Excel voor beginners" in home.get_data(as_text=True)
    assert (instance / "qr_signing_key.pem").stat().st_mode & 0o077 == 0
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
