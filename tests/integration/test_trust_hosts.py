"""Links and hosts (issue 18, item 3): every link in a mail is built from the configured public
address, never from the Host header a request came with; a request for a host the server is not
is refused before it reaches a page; a production start refuses to run without the address.

Mails go through a real SMTP server (aiosmtpd), as tests/integration/test_passwords.py does.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.links import external_url
from app.models import Role
from tests.helpers.config import BASE_CONFIG
from tests.helpers.mail import MAIL_TO_INBOX, SMTP_PORT, Inbox, deliver
from tests.processes import ROOT, free_port

HOSTILE = "evil.example"
LINK = re.compile(r"https?://[^\s\"<>]+/(?:password/reset|portal/link)/[A-Za-z0-9_.\-]+")


@pytest.fixture
def app_config() -> dict:
    return MAIL_TO_INBOX


def links_mailed(app: Flask, inbox: Inbox) -> list[str]:
    inbox.messages.clear()
    deliver(app)
    found: list[str] = []
    for message in inbox.messages:
        found += LINK.findall(message.get_body(preferencelist=("plain",)).get_content())
    return found


def _forgotten(client, base_url: str, **kwargs):  # type: ignore[no-untyped-def]
    return client.post(
        "/password/forgotten", data={"email": "petra@example.org"}, base_url=base_url, **kwargs
    )


# --- a poisoned Host reaches no link ------------------------------------------------------------


def test_a_reset_asked_for_another_host_is_refused_and_mails_nothing(app, make, inbox):
    make.user(Role.PROMOTOR, email="petra@example.org")
    client = app.test_client()
    for base in (f"http://{HOSTILE}", f"https://{HOSTILE}:5000", "http://10.1.2.3"):
        refused = _forgotten(client, base)
        assert refused.status_code == 400, base
        assert HOSTILE not in refused.get_data(as_text=True)
    assert links_mailed(app, inbox) == []
    # Asked on the server's own name: the mail comes, and links there.
    assert _forgotten(client, "http://localhost").status_code == 200
    [link] = links_mailed(app, inbox)
    assert link.startswith("http://localhost/password/reset/")


def test_a_portal_link_asked_for_another_host_is_refused_and_mails_nothing(app, make, inbox):
    make.participant(email="an@example.org")
    client = app.test_client()
    refused = client.post(
        "/portal/sign-in", data={"email": "an@example.org"}, base_url=f"http://{HOSTILE}"
    )
    assert refused.status_code == 400
    assert links_mailed(app, inbox) == []
    asked = client.post("/portal/sign-in", data={"email": "an@example.org"})
    assert asked.status_code == 200
    [link] = links_mailed(app, inbox)
    assert link.startswith("http://localhost/portal/link/")


def test_links_follow_the_public_address_whatever_host_the_request_used(app, make, inbox):
    app.config["PUBLIC_URL"] = "https://aanwezig.example.org/"
    app.config["ALLOWED_HOSTS"] = "aanwezig.internal, monitor.internal"
    make.user(Role.PROMOTOR, email="petra@example.org")
    client = app.test_client()
    for base in ("http://aanwezig.internal", "https://aanwezig.example.org", "http://localhost"):
        assert _forgotten(client, base).status_code == 200, base
    links = links_mailed(app, inbox)
    assert len(links) == 3
    assert all(link.startswith("https://aanwezig.example.org/password/reset/") for link in links)
    assert _forgotten(client, f"http://{HOSTILE}").status_code == 400


def test_behind_a_proxy_a_forwarded_foreign_host_is_refused_too(app, make, inbox, database_url):
    proxied = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": SMTP_PORT,
            "PROXY_COUNT": 1,
        },
        instance_path=app.instance_path,
    )
    make.user(Role.PROMOTOR, email="petra@example.org")
    client = proxied.test_client()
    refused = _forgotten(client, "http://localhost", headers={"X-Forwarded-Host": HOSTILE})
    assert refused.status_code == 400
    assert _forgotten(client, "http://localhost").status_code == 200
    [link] = links_mailed(proxied, inbox)
    assert HOSTILE not in link and link.startswith("http://localhost/")
    with proxied.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_the_api_answers_another_host_with_its_json_refusal(app, make):
    api = make.api()
    answer = api.get("/sessions", base_url=f"http://{HOSTILE}")
    assert answer.status_code == 400 and answer.get_json()["error"] == "unknown_host"
    assert api.get("/sessions").status_code == 200


def test_the_machine_endpoints_answer_on_a_servers_own_address(app):
    client = app.test_client()
    own = "http://10.0.0.5:8000"  # a load balancer or Prometheus, straight to one server
    assert client.get("/healthz", base_url=own).status_code == 200
    assert client.get("/readyz", base_url=own).status_code in (200, 503)  # not refused
    assert client.get("/metrics", base_url=own).status_code == 200
    assert client.get("/login", base_url=own).status_code == 400
    assert client.get("/no-such-page", base_url=own).status_code == 400


def test_without_any_configured_address_links_point_to_the_local_server(app):
    app.config.update(PUBLIC_URL=None, SERVER_NAME=None)
    with app.app_context():
        link = external_url("auth.reset_password", token="abc")
    assert link == "http://127.0.0.1:5000/password/reset/abc"
    app.config["PUBLIC_URL"] = "https://example.org/aanwezig/"
    with app.app_context():
        assert external_url("portal.sign_in") == "https://example.org/aanwezig/portal/sign-in"


# --- make run ----------------------------------------------------------------------------------


def make_run_public_url() -> str:
    """The address the Makefile's run target gives the server."""
    text = (ROOT / "Makefile").read_text()
    found = re.search(r"^run: export AANWEZIG_PUBLIC_URL \?= (\S+)$", text, re.MULTILINE)
    assert found, "the run target no longer sets AANWEZIG_PUBLIC_URL"
    return found.group(1)


def test_make_run_answers_on_localhost_and_127_0_0_1_and_links_to_its_own_address(app, make):
    public = make_run_public_url()
    assert public == "http://127.0.0.1:5000"
    app.config.update(PUBLIC_URL=public, SERVER_NAME=None)
    client = app.test_client()
    for base in ("http://127.0.0.1:5000", "http://localhost:5000", "http://[::1]:5000"):
        assert client.get("/login", base_url=base).status_code == 200, base
    assert client.get("/login", base_url=f"http://{HOSTILE}:5000").status_code == 400
    with app.app_context():
        assert external_url("auth.login") == "http://127.0.0.1:5000/login"


# --- a production start refuses to run without its public address ------------------------------


def test_a_production_app_needs_a_public_address(database_url, tmp_path):
    base = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "PRODUCTION": True}
    for missing in (None, "", "aanwezig.example.org", "ftp://aanwezig.example.org"):
        with pytest.raises(RuntimeError, match="AANWEZIG_PUBLIC_URL"):
            create_app({**base, "PUBLIC_URL": missing}, instance_path=str(tmp_path / "i"))
    ready = create_app(
        {**base, "PUBLIC_URL": "https://aanwezig.example.org", "READYZ_REQUIRE_WORKER": False},
        instance_path=str(tmp_path / "i"),
    )
    client = ready.test_client()
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.get_json()["checks"]["public_url"]["ok"]
    ready.config["PUBLIC_URL"] = None  # the setting lost after the start
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "AANWEZIG_PUBLIC_URL" in answer.get_json()["checks"]["public_url"]["error"]
    with ready.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


def _unit_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    """deploy/aanwezig.env.example with the units' own settings, on SQLite in ``tmp_path``."""
    from tests.helpers.deploy import DEPLOY, read_env_file, unit_commands, with_unit_environment

    env = {**os.environ, **read_env_file(DEPLOY / "aanwezig.env.example")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'aanwezig.db'}",
        RATELIMIT_STORAGE_URI="memory://",
        AANWEZIG_INSTANCE_PATH=str(tmp_path / "instance"),
        AANWEZIG_BIND=f"127.0.0.1:{free_port()}",
    )
    for unit in ("aanwezig-web.service", "aanwezig-worker.service"):
        env = with_unit_environment(env, unit_commands(unit), tmp_path / "run")
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _unit_command(unit: str, key: str) -> list[str]:
    from tests.helpers.deploy import unit_commands

    return unit_commands(unit)[key][0]


@pytest.mark.slow
def test_the_deploy_units_refuse_to_start_without_the_public_address(tmp_path):
    without = _unit_env(tmp_path, AANWEZIG_PUBLIC_URL=None)
    assert without["AANWEZIG_PRODUCTION"] == "true"  # set by the units themselves
    commands = [
        _unit_command("aanwezig-web.service", "ExecStartPre"),  # the migration
        _unit_command("aanwezig-worker.service", "ExecStart"),  # the worker
        _unit_command("aanwezig-web.service", "ExecStart"),  # gunicorn
    ]
    for command in commands:
        done = subprocess.run(
            command, cwd=ROOT, env=without, capture_output=True, text=True, timeout=120
        )
        assert done.returncode != 0, command
        assert "AANWEZIG_PUBLIC_URL is not set" in done.stdout + done.stderr, command
    # With the address the same migration runs.
    upgrade = subprocess.run(
        commands[0], cwd=ROOT, env=_unit_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert upgrade.returncode == 0, upgrade.stderr[-2000:]
