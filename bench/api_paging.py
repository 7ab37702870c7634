"""Benchmark: paging through a year of one branch's registrations with the API, by cursor and
by page number.

Builds on SQLite (a temporary file), with bulk inserts, a year of two branches: the measured
one with 10 trainings of 40 sessions and 600 participants, and --registrations check-ins and
check-outs spread over its sessions; the other branch a quarter as many (so the scope has to
choose). Then, as a promotor of the first branch, walks ``GET /api/v1/registrations`` from the
first page to the last twice through the Flask test client: once with ``next_cursor``, once
with ``page=N``; every page timed. Prints a Markdown table of the time per page at a few
depths and of the whole walk, and checks that both walks read the same rows.

    .venv/bin/python bench/api_paging.py [--registrations 100000] [--per-page 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password-long"
TRAININGS, SESSIONS, PEOPLE = 10, 40, 600


def _insert(table: str, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert

    from app.extensions import db

    for start in range(0, len(rows), 5000):
        db.session.execute(insert(db.metadata.tables[table]), rows[start : start + 5000])


def build(app, registrations: int) -> str:  # type: ignore[no-untyped-def]
    """The year's objects of two branches and their registrations; the promotor's token."""
    import random

    from app.audit import Actor
    from app.auth.operations import create_user, get_or_create_branch, issue_token
    from app.extensions import db
    from app.models import Kind, Role, Source

    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    year_ago = now - timedelta(days=365)
    with app.app_context():
        branches = [get_or_create_branch("Gent"), get_or_create_branch("Brugge")]
        db.session.flush()
        promotor = create_user(
            Actor(None), "bench-promotor@example.org", Role.PROMOTOR, PASSWORD, branches[0],
            must_change=False,
        )  # fmt: skip
        db.session.flush()
        projects, trainings, sessions, participants, rows = [], [], [], [], []
        for b, branch in enumerate(branches):
            projects.append(
                {"id": b + 1, "name": f"Project {b}", "number": f"ESF-{b}",
                 "branch_id": branch.id, "created_at": year_ago}
            )  # fmt: skip
            mine_sessions, mine_people = [], []
            for t in range(TRAININGS):
                training_id = b * TRAININGS + t + 1
                trainings.append(
                    {"id": training_id, "project_id": b + 1, "name": f"Opleiding {training_id}",
                     "code": f"O{training_id}", "mode": "classroom", "kind": "vocational",
                     "recognition_number": "", "joint_committee": "", "per_school_year": False,
                     "created_at": year_ago}
                )  # fmt: skip
                for s in range(SESSIONS):
                    session_id = (b * TRAININGS + t) * SESSIONS + s + 1
                    day = (year_ago + timedelta(days=9 * s + t)).date()
                    sessions.append(
                        {"id": session_id, "training_id": training_id, "day": day,
                         "start": clock(9), "end": clock(16), "location": "Lokaal",
                         "was_reopened": False, "created_at": year_ago}
                    )  # fmt: skip
                    mine_sessions.append((session_id, day))
            for n in range(PEOPLE):
                participant_id = b * PEOPLE + n + 1
                participants.append(
                    {"id": participant_id, "branch_id": branch.id,
                     "name": f"Cursist {participant_id:05d}",
                     "email": f"c{participant_id}@example.org", "key_version": 1,
                     "created_at": year_ago}
                )  # fmt: skip
                mine_people.append(participant_id)
            count = registrations if b == 0 else registrations // 4
            for n in range(count):
                session_id, day = rng.choice(mine_sessions)
                at = datetime.combine(day, clock(9 if n % 2 == 0 else 16), tzinfo=UTC)
                rows.append(
                    {"session_id": session_id, "participant_id": rng.choice(mine_people),
                     "kind": Kind.IN if n % 2 == 0 else Kind.OUT, "at": at, "received_at": at,
                     "source": Source.SCAN, "nonce": f"bench-{b}-{n}"}
                )  # fmt: skip
        rng.shuffle(rows)  # as they come in: the branches' scans interleaved
        _insert("projects", projects)
        _insert("trainings", trainings)
        _insert("sessions", sessions)
        _insert("participants", participants)
        _insert("registrations", rows)
        db.session.commit()
        from sqlalchemy import text

        db.session.execute(text("ANALYZE"))
        db.session.commit()
        token = issue_token(Actor(None), promotor)
        db.session.commit()
        return token


def walk(client, headers, per_page: int, by_cursor: bool) -> tuple[list[float], list[int]]:  # type: ignore[no-untyped-def]
    """Every page's time in ms, and every id read."""
    times: list[float] = []
    ids: list[int] = []
    page, cursor = 1, None
    while True:
        path = f"/api/v1/registrations?per_page={per_page}"
        path += f"&cursor={cursor}" if cursor else ("" if by_cursor else f"&page={page}")
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        body = response.get_json()
        ids += [item["id"] for item in body["items"]]
        if by_cursor:
            cursor = body["next_cursor"]
            if cursor is None:
                return times, ids
        else:
            if page * per_page >= body["total"]:
                return times, ids
            page += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--per-page", type=int, default=1000)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-paging-"))
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
         "RATELIMIT_ENABLED": False, "EMBEDDED_WORKER": False,
         "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"},
        instance_path=str(folder),
    )  # fmt: skip
    with app.app_context():
        upgrade()
    started = time.perf_counter()
    token = build(app, args.registrations)
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    results = {}
    for label, by_cursor in (("cursor", True), ("page number", False)):
        started = time.perf_counter()
        times, ids = walk(client, headers, args.per_page, by_cursor)
        results[label] = (times, ids, time.perf_counter() - started)
        print(f"{label}: {len(times)} pages, {len(ids)} rows", file=sys.stderr)
    cursor_ids, page_ids = results["cursor"][1], results["page number"][1]
    assert cursor_ids == page_ids == sorted(set(cursor_ids)), "the walks read different rows"
    pages = len(results["cursor"][0])
    print(
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, SQLite, {len(cursor_ids)} "
        f"registrations of the branch in {pages} pages of {args.per_page} "
        f"(the other branch: {args.registrations // 4}), Flask test client.\n"
    )
    print("| walk | first page ms | page 10 ms | middle page ms | last page ms "
          "| median page ms | whole walk s |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, (times, _ids, whole) in results.items():
        print(
            f"| {label} | {times[0]:.1f} | {times[min(9, pages - 1)]:.1f} | "
            f"{times[pages // 2]:.1f} | {times[-1]:.1f} | {statistics.median(times):.1f} | "
            f"{whole:.1f} |"
        )


if __name__ == "__main__":
    main()
