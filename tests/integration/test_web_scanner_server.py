"""The browser scanner's server side: the signed-in user gives the page its own scanner token
in one step (CSRF-protected, audited, listed on Scannertokens); the decoder's worker alone may
compile WebAssembly; the vendored decoder is the one its checksums name."""

from __future__ import annotations

import hashlib
from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, AuditRecord, Role

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "app" / "static" / "vendor" / "zxing-wasm"


@pytest.fixture
def app_config() -> dict:
    return {"WTF_CSRF_ENABLED": True}


def csrf(client) -> str:  # type: ignore[no-untyped-def]
    account = client.get("/scan/account")
    assert account.headers["Cache-Control"] == "no-store"
    return account.get_json()["csrf_token"]


def test_the_signed_in_trainer_gives_the_page_its_own_scanner_token(app, make, today, auth):
    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(today, time(9), time(12), trainer_id=trainer)
    client = auth.log_in("tom@example.org")
    assert client.get("/scan/account").get_json()["name"]

    # Without the CSRF token (another site's page posting with the trainer's cookie): refused.
    refused = client.post("/scan/device", json={"device_name": "Telefoon"})
    assert refused.status_code == 400
    answer = client.post(
        "/scan/device",
        json={"device_name": "  Telefoon \n deur A "},
        headers={"X-CSRFToken": csrf(client)},
    )
    assert answer.status_code == 201 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["device_name"] == "Telefoon deur A" and body["token"].startswith("azt_")
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert (token.user_id, token.device_name, token.revoked_at) == (
            trainer,
            "Telefoon deur A",
            None,
        )
        assert body["token"] not in token.token_hash
        audit = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "token.create")
        ).one()
        assert audit.after["device_name"] == "Telefoon deur A"
    # The token works on the API, and Scannertokens lists the page among the scanners.
    api = app.test_client()
    sessions = api.get(
        f"/api/v1/sessions?date={today.isoformat()}",
        headers={"Authorization": f"Bearer {body['token']}"},
    )
    assert [s["id"] for s in sessions.get_json()["items"]] == [session_id]
    tokens_page = client.get("/tokens").get_data(as_text=True)
    scanners = tokens_page.split('id="scanners"')[1].split("</table>")[0]
    assert "Telefoon deur A" in scanners


def test_nobody_signed_in_and_the_front_desk_get_no_token(app, make, auth):
    make.user(Role.FRONTDESK, "Gent", email="balie@example.org")
    anonymous = app.test_client()
    assert anonymous.get("/scan/account").get_json() == {"signed_in": False}
    assert anonymous.post("/scan/device", json={}).status_code in (400, 401)
    desk = auth.log_in("balie@example.org")
    account = desk.get("/scan/account").get_json()
    assert account["may_scan"] is False
    refused = desk.post("/scan/device", json={}, headers={"X-CSRFToken": account["csrf_token"]})
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    bad = desk.post(
        "/scan/device", json={"device_name": 5}, headers={"X-CSRFToken": account["csrf_token"]}
    )
    assert bad.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).all() == []


def test_only_the_decoder_worker_may_compile_webassembly(client):
    page = client.get("/scan/")
    assert page.status_code == 200
    assert "wasm-unsafe-eval" not in page.headers["Content-Security-Policy"]
    assert "<script>" not in page.get_data(as_text=True)  # no inline script
    worker = client.get("/scan/decoder-worker.js")
    assert "script-src 'self' 'wasm-unsafe-eval'" in worker.headers["Content-Security-Policy"]
    wasm = client.get("/static/vendor/zxing-wasm/reader/zxing_reader.wasm")
    assert wasm.status_code == 200 and wasm.mimetype == "application/wasm"
    wasm.close()
    manifest = client.get("/scan/manifest.webmanifest").get_json()
    assert manifest["start_url"] == "/scan/" and manifest["display"] == "fullscreen"
    assert client.get("/scan/sw.js").headers["Cache-Control"] == "no-cache"


def test_a_sessions_scan_page_needs_a_login_and_opens_the_scanner_on_that_session(
    app, make, client, today, auth
):
    tom = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    other = make.user(Role.TRAINER, "Gent", email="eva@example.org")
    make.user(Role.FRONTDESK, "Gent", email="balie@example.org")
    mine = make.session(today, time(9), time(12), trainer_id=tom)
    theirs = make.session(today, time(13), time(16), trainer_id=other)
    assert "/login" in client.get(f"/sessions/{mine}/scan").headers["Location"]
    assert client.get("/scan").status_code in (301, 308)
    trainer = auth.log_in("tom@example.org")
    assert trainer.get(f"/sessions/{mine}/scan").headers["Location"] == f"/scan/?session={mine}"
    assert trainer.get(f"/sessions/{theirs}/scan").status_code == 404
    assert trainer.get("/sessions/99999999999/scan").status_code == 404
    assert auth.log_in("balie@example.org").get(f"/sessions/{mine}/scan").status_code == 403


def test_the_vendored_decoder_is_the_one_its_checksums_name():
    """What scripts/refresh-zxing-wasm.sh wrote: a changed or added file fails here."""
    sums = dict(
        reversed(line.split("  ", 1)) for line in (VENDOR / "SHA256SUMS").read_text().splitlines()
    )
    files = {
        str(p.relative_to(VENDOR))
        for p in VENDOR.rglob("*")
        if p.is_file() and p.name not in ("SHA256SUMS", "VERSION")
    }
    assert files == set(sums)
    for name, digest in sums.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    version = (VENDOR / "VERSION").read_text().strip()
    script = (ROOT / "scripts" / "refresh-zxing-wasm.sh").read_text()
    assert f"VERSION={version}" in script
    # The module's CDN default for the .wasm is overridden: the worker names our copy.
    assert "locateFile" in (ROOT / "app" / "static" / "webscan" / "decoder-worker.js").read_text()


def test_the_server_loads_none_of_the_laptop_scanners_libraries(tmp_path):
    """They are the ``scanner`` extra, which the production install leaves out."""
    import subprocess
    import sys

    program = (
        "import sys\n"
        "from app import create_app\n"
        "app = create_app({'TESTING': True, 'EMBEDDED_WORKER': False,"
        " 'SQLALCHEMY_DATABASE_URI': 'sqlite:///' + sys.argv[1]}, instance_path=sys.argv[2])\n"
        "app.test_client().get('/scan/')\n"
        "print(sorted(m for m in ('cv2', 'zxingcpp', 'pyzbar', 'miniaudio', 'Xlib', 'pynput')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, str(tmp_path / "db.sqlite"), str(tmp_path / "instance")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    setup = (ROOT / "setup.cfg").read_text()
    required = setup.split("install_requires =")[1].split("[")[0]
    assert "opencv" not in required and "zxing" not in required and "miniaudio" not in required
    assert "opencv-python" in setup.split("scanner =")[1].split("test =")[0]


def test_aanwezig_scan_says_how_to_install_the_scanner_when_its_libraries_are_missing(
    monkeypatch, capsys
):
    import sys

    from scanner import entry

    monkeypatch.setitem(sys.modules, "cv2", None)  # import cv2 now raises ImportError
    monkeypatch.delitem(sys.modules, "scanner.cli", raising=False)
    monkeypatch.delitem(sys.modules, "scanner.decoding", raising=False)
    assert entry.main() == 2
    assert ".[scanner]" in capsys.readouterr().err
