"""Writes while others write (issue 18, point 11): on SQLite a request that writes waits for the
write lock instead of failing with "database is locked", and an answer that says nothing was
saved (503) has indeed saved nothing, also after some rows of an import were written."""

from __future__ import annotations

import io
import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import AuditRecord, Participant, Role
from tests.concurrency import same_time
from tests.helpers.preconditions import by_design


def csv(prefix: str, n: int) -> bytes:
    lines = ["name,email"] + [f"{prefix} {i},{prefix.lower()}{i}@example.org" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def import_file(client, data: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        "/participants/import",
        data={"import-file": (io.BytesIO(data), "people.csv"), "import-branch": "Gent"},
        content_type="multipart/form-data",
    )


def participants(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Participant))


def test_an_import_that_fails_after_some_rows_stores_none_of_them(
    app, make, today, monkeypatch, auth
):
    """The 503 says "nothing was saved": the rows before the failure, their enrolments and
    their QR-code mails are rolled back too (on SQLite each row's savepoint used to commit on
    its own, as the issue's import that stored 2 participants, 26 enrolments and 2 mails)."""
    from datetime import timedelta

    from app.models import Enrolment, Job, OutboxMail, Session
    from app.participants import importing

    first = make.session(today + timedelta(days=7))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    make.session(today + timedelta(days=14), training_id=training_id)
    real = importing.create_participant
    calls = []

    def failing_third(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "create_participant", failing_third)
    client = auth.as_role(Role.PROMOTOR)
    before = participants(app)
    answer = client.post(
        "/participants/import",
        data={
            "import-file": (io.BytesIO(csv("Imp", 5)), "people.csv"),
            "import-branch": "Gent",
            "import-enrol_in": f"training:{training_id}",
        },
        content_type="multipart/form-data",
    )
    assert len(calls) == 3  # two rows were written (and enrolled) before the failure
    assert answer.status_code == 503
    assert "niets bewaard" in answer.get_data(as_text=True)
    assert participants(app) == before
    with app.app_context():
        for model in (Enrolment, OutboxMail, Job):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
        assert not db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "participant.create")
        ).all()


@pytest.fixture
def other_writer(app, database_url):  # type: ignore[no-untyped-def]
    """Another process's writer (the embedded worker, a scanner): holds SQLite's write lock
    for 50 ms at a time, again and again, until the test ends."""
    if not database_url.startswith("sqlite"):
        by_design("SQLite's write lock; PostgreSQL has none to wait for")
    path = database_url.removeprefix("sqlite:///")
    stop = threading.Event()
    rounds: list[int] = []

    def write() -> None:
        connection = sqlite3.connect(path, timeout=15, isolation_level=None)
        while not stop.is_set():
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("UPDATE participants SET key_version = key_version")
            time.sleep(0.05)
            connection.execute("COMMIT")
            rounds.append(1)
            time.sleep(0.005)
        connection.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    yield rounds
    stop.set()
    thread.join(10)


def test_imports_at_once_while_another_connection_writes_all_succeed(app, make, other_writer, auth):
    promotors = [auth.as_role(Role.PROMOTOR) for _ in range(4)]
    before = participants(app)
    answers = same_time(4, lambda i: import_file(promotors[i], csv(f"P{i}x", 10)))
    assert [a.status_code for a in answers] == [200] * 4
    assert not any("bezet" in a.get_data(as_text=True) for a in answers)
    assert participants(app) == before + 40
    assert len(other_writer) > 0


def test_pages_that_read_and_write_meanwhile_never_answer_database_is_locked(
    app, make, today, other_writer, auth
):
    """A GET reads without the write lock and takes it only to write (here: an API token's last
    use, written with the request); POSTs take it at their start."""
    from datetime import timedelta

    session_id = make.session(today + timedelta(days=3))
    people = [make.participant(name=f"Deelnemer {i}") for i in range(6)]
    promotors = [auth.as_role(Role.PROMOTOR) for _ in range(6)]
    apis = [make.api() for _ in range(6)]

    def work(i: int):  # type: ignore[no-untyped-def]
        enrolled = promotors[i].post(
            f"/sessions/{session_id}/enrol", data={"enrol-participants": people[i]}
        )
        listed = apis[i].get(f"/sessions/{session_id}/registrations")
        page = promotors[i].get(f"/sessions/{session_id}")
        return enrolled.status_code, listed.status_code, page.status_code

    answers = same_time(6, work)
    assert all(code < 500 for answer in answers for code in answer), answers
    with app.app_context():
        from app.models import Enrolment

        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 6


def test_a_page_that_only_reads_does_not_wait_for_the_write_lock(
    app, make, today, database_url, auth
):
    """While another connection holds SQLite's write lock (a long import, the worker), pages
    that only read answer at once; a form that writes waits for the lock instead of failing."""
    if not database_url.startswith("sqlite"):
        by_design("SQLite's write lock; PostgreSQL has none to wait for")
    from datetime import timedelta

    session_id = make.session(today + timedelta(days=3))
    an = make.participant(name="An")
    promotor = auth.as_role(Role.PROMOTOR)
    holder = sqlite3.connect(
        database_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        for path in (f"/sessions/{session_id}", "/participants/", f"/participants/{an}"):
            assert promotor.get(path).status_code == 200, path
        assert time.monotonic() - started < 5
        release = threading.Timer(1.0, lambda: holder.execute("COMMIT"))
        release.start()
        started = time.monotonic()
        enrolled = promotor.post(f"/sessions/{session_id}/enrol", data={"enrol-participants": an})
        assert enrolled.status_code == 302
        assert time.monotonic() - started >= 0.9  # it waited for the lock, then wrote
        release.join()
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
