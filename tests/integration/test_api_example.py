"""The example client of docs/api.md, copied from the page, run against a live server: it
syncs a CRM's CSV into participants and enrolments, twice (the second run creates nothing),
and prints the attendance figures."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Enrolment, Participant, Role, Session

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


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


def test_the_documented_client_syncs_enrolments_and_reads_the_figures(
    app, make, port, today, tmp_path
):
    script = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert script, "docs/api.md holds the example client"
    (tmp_path / "sync.py").write_text(script[1], encoding="utf-8")
    first = make.session(today + timedelta(days=7), time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    make.session(today + timedelta(days=14), time(9), time(12), training_id=training_id)
    existing = make.participant(name="Al bekend", email="al@example.org")
    token = make.token(make.user(Role.PROMOTOR))
    (tmp_path / "crm.csv").write_text(
        "external_id,name,email,national_number\n"
        "C-1,An Peeters,an@example.org,85073003328\n"
        "C-2,Ben Claes,ben@example.org,\n"
        "C-3,Al bekend,al@example.org,\n",
        encoding="utf-8",
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        outputs = []
        for _ in range(2):
            done = subprocess.run(
                [sys.executable, "sync.py", f"http://127.0.0.1:{port}", token,
                 str(training_id), "crm.csv"],
                cwd=tmp_path, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
            outputs.append(done.stdout)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    assert outputs[0].startswith("2 participants created, 3 newly enrolled")
    assert outputs[1].startswith("0 participants created, 0 newly enrolled")
    assert "An Peeters;0.00;" in outputs[1] and "Al bekend;0.00;" in outputs[1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Participant)) == 3
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 6
        an = db.session.scalars(select(Participant).where(Participant.external_id == "C-1")).one()
        assert an.national_number_last2 == "28"
        assert db.session.get(Participant, existing).external_id is None
