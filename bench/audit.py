"""Benchmark of the audit trail's pages at a year of data.

Builds, on SQLite and on PostgreSQL, with bulk inserts: 4 branches, each with 5 projects of
4 trainings of 25 sessions (a year of them) and 150 participants, and 200,000 audit records
spread over the year with the mix a year produces (mostly registrations, then enrolments,
roll-call marks, changes, corrections and reveals), each with the participant, session,
training and branch it belongs to, as ``app.audit`` writes them. Then times the Support ›
Audit page and ``GET /api/v1/audit`` through the Flask test client: as a promotor of one branch
(the branch's first page, a participant's history, a session's, a training's, an action over
a month, a person's records, a registration's corrections) and as central support (the first
page of everything). Prints a Markdown table: the median of --repeat requests after one
warm-up against the target (250 ms).

    .venv/bin/python bench/audit.py [--backend both|sqlite|postgresql] [--records 200000]
        [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "bench_audit"
PG_BENCH = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_NAME}"
PASSWORD = "bench-password-long"
TARGET_MS = 250
BRANCHES, PROJECTS, TRAININGS, SESSIONS, PEOPLE = 4, 5, 4, 25, 150
ACTIONS = [
    # action, object type, share
    ("registration.create", "registrations", 0.62),
    ("enrolment.create", "enrolments", 0.12),
    ("roll_call.mark", "roll_call_marks", 0.10),
    ("session.change", "sessions", 0.04),
    ("participant.change", "participants", 0.03),
    ("participant.reveal_national_number", "participants", 0.02),
    ("certificate.issue", "certificates", 0.03),
    ("training.change", "trainings", 0.02),
    ("exemption.create", "exemptions", 0.02),
]


def reset_postgres() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {PG_NAME}"))
    engine.dispose()


def _insert(table: str, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert, text

    from app.extensions import db

    for start in range(0, len(rows), 5000):
        db.session.execute(insert(db.metadata.tables[table]), rows[start : start + 5000])
    if rows and db.engine.dialect.name == "postgresql" and "id" in rows[0]:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )


def build(app, records: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The year's objects and its audit records; returns the ids the requests use."""
    from app.audit import Actor
    from app.auth.operations import create_user, get_or_create_branch
    from app.extensions import db
    from app.models import Role

    rng = random.Random(11)
    now = datetime.now(UTC).replace(microsecond=0)
    year_ago = now - timedelta(days=365)
    with app.app_context():
        branches = [get_or_create_branch(f"Vestiging {n}") for n in range(BRANCHES)]
        db.session.flush()
        promotor = create_user(
            Actor(None), "bench-promotor@example.org", Role.PROMOTOR, PASSWORD, branches[0],
            must_change=False,
        )  # fmt: skip
        create_user(
            Actor(None), "bench-support@example.org", Role.ADMIN, PASSWORD, None,
            must_change=False,
        )  # fmt: skip
        staff = [
            create_user(
                Actor(None),
                f"staff{n}@example.org",
                Role.PROMOTOR,
                PASSWORD,
                branches[n % BRANCHES],
                must_change=False,
            )
            for n in range(12)
        ]
        db.session.flush()
        projects, trainings, sessions, participants = [], [], [], []
        per_branch: dict[int, dict[str, list]] = {}
        ids = {"project": 0, "training": 0, "session": 0, "participant": 0}

        def next_id(kind: str) -> int:
            ids[kind] += 1
            return ids[kind]

        for branch in branches:
            mine: dict[str, list] = {"sessions": [], "participants": [], "staff": []}
            mine["staff"] = [u.id for u in staff if u.branch_id == branch.id] + (
                [promotor.id] if branch.id == branches[0].id else []
            )
            for _p in range(PROJECTS):
                project_id = next_id("project")
                projects.append(
                    {"id": project_id, "name": f"Project {project_id}", "number": f"ESF-{project_id}",
                     "branch_id": branch.id, "created_at": year_ago}
                )  # fmt: skip
                for t in range(TRAININGS):
                    training_id = next_id("training")
                    trainings.append(
                        {"id": training_id, "project_id": project_id, "name": f"Opleiding {training_id}",
                         "code": f"O{training_id}", "mode": "classroom", "kind": "vocational",
                         "recognition_number": "", "joint_committee": "", "per_school_year": False,
                         "created_at": year_ago}
                    )  # fmt: skip
                    for s in range(SESSIONS):
                        session_id = next_id("session")
                        day = (year_ago + timedelta(days=14 * s + t)).date()
                        sessions.append(
                            {"id": session_id, "training_id": training_id, "day": day,
                             "start": clock(9), "end": clock(16), "location": "Lokaal",
                             "was_reopened": False, "created_at": year_ago}
                        )  # fmt: skip
                        mine["sessions"].append((session_id, training_id, day))
            for _n in range(PEOPLE):
                participant_id = next_id("participant")
                participants.append(
                    {"id": participant_id, "branch_id": branch.id,
                     "name": f"Cursist {participant_id:05d}", "email": f"c{participant_id}@example.org",
                     "key_version": 1, "created_at": year_ago}
                )  # fmt: skip
                mine["participants"].append(participant_id)
            per_branch[branch.id] = mine
        _insert("projects", projects)
        _insert("trainings", trainings)
        _insert("sessions", sessions)
        _insert("participants", participants)
        db.session.commit()

        weights = [share for _, _, share in ACTIONS]
        rows = []
        registration_id = 0
        first_branch = per_branch[branches[0].id]
        for n in range(records):
            branch = branches[n % BRANCHES]
            mine = per_branch[branch.id]
            action, table, _share = rng.choices(ACTIONS, weights)[0]
            session_id, training_id, day = rng.choice(mine["sessions"])
            participant_id = rng.choice(mine["participants"])
            at = year_ago + timedelta(seconds=rng.randrange(365 * 86400))
            object_id: int
            before: dict | None = None
            after: dict[str, Any] = {}
            if table == "registrations":
                registration_id += 1
                object_id = registration_id
                after = {"id": object_id, "session_id": session_id, "participant_id": participant_id,
                         "kind": "in", "at": at.isoformat(), "source": "scan", "voids_id": None}  # fmt: skip
            elif table == "participants":
                object_id = participant_id
                if action == "participant.change":
                    before, after = {"name": "Oude naam"}, {"name": f"Cursist {participant_id:05d}"}
            elif table == "sessions":
                object_id = session_id
                before, after = {"location": "Lokaal"}, {"location": "Lokaal 2"}
            elif table == "trainings":
                object_id = training_id
                before, after = {"name": "Oud"}, {"name": f"Opleiding {training_id}"}
            else:
                object_id = n + 1
                after = {"session_id": session_id, "participant_id": participant_id}
            rows.append(
                {"at": at, "user_id": rng.choice(mine["staff"]) if mine["staff"] else None,
                 "action": action, "object_type": table, "object_id": object_id,
                 "before": before, "after": after, "branch_id": branch.id,
                 "participant_id": participant_id if table not in ("sessions", "trainings") else None,
                 "session_id": session_id if table not in ("participants", "trainings") else None,
                 "training_id": training_id if table != "participants" else None}
            )  # fmt: skip
        _insert("audit_records", rows)
        db.session.commit()
        from sqlalchemy import text

        if db.engine.dialect.name == "postgresql":
            # As autovacuum leaves a table in steady use: statistics and the visibility map
            # (which lets a count read the index alone).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        session_id, training_id, day = first_branch["sessions"][len(first_branch["sessions"]) // 2]
        return {
            "participant": first_branch["participants"][7],
            "session": session_id,
            "training": training_id,
            "user": first_branch["staff"][0],
            "month": (now - timedelta(days=90)).date(),
            "registration": 17,
        }


def requests_for(built: dict[str, Any]) -> list[tuple[str, str, str]]:
    month_from: date = built["month"]
    month_to = month_from + timedelta(days=30)
    return [
        ("promotor", "branch, first page", "/audit/"),
        ("promotor", "branch, page 40", "/audit/?page=40"),
        ("promotor", "a participant's history", f"/audit/?participant={built['participant']}"),
        ("promotor", "a session's history", f"/audit/?session={built['session']}"),
        ("promotor", "a training's history", f"/audit/?training={built['training']}"),
        (
            "promotor",
            "an action over a month",
            f"/audit/?action=session&from={month_from.isoformat()}&to={month_to.isoformat()}",
        ),
        ("promotor", "a person's records", f"/audit/?user={built['user']}"),
        (
            "promotor",
            "a registration's history",
            f"/audit/?object_type=registration&object_id={built['registration']}",
        ),
        (
            "promotor",
            "API, a participant's history",
            f"/api/v1/audit?participant_id={built['participant']}",
        ),
        ("promotor", "API, branch, 200 per page", "/api/v1/audit?per_page=200"),
        ("support", "everything, first page", "/audit/"),
        (
            "support",
            "everything, an action over a month",
            f"/audit/?action=participant.reveal_national_number&from={month_from.isoformat()}&to={month_to.isoformat()}",
        ),
    ]


def client_for(app, email: str):  # type: ignore[no-untyped-def]
    from app.audit import Actor
    from app.auth.operations import issue_token
    from app.extensions import db
    from app.models import User

    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    with app.app_context():
        user = db.session.query(User).filter(User.email == email).one()
        token = issue_token(Actor(None), user)
        db.session.commit()
    return client, {"Authorization": f"Bearer {token}"}


def timed(client, headers, path: str, repeat: int) -> float:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code)
    walls = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and response.data
        walls.append((time.perf_counter() - started) * 1000)
    return statistics.median(walls)


def run_backend(backend: str, records: int, repeat: int) -> list[tuple[str, str, float]]:
    from flask_migrate import upgrade

    from app import create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    if backend == "postgresql":
        reset_postgres()
        uri = PG_BENCH
    else:
        uri = f"sqlite:///{folder / 'bench.db'}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": uri, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
         "EMBEDDED_WORKER": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"},
        instance_path=str(folder),
    )  # fmt: skip
    with app.app_context():
        upgrade()
    started = time.perf_counter()
    built = build(app, records)
    print(f"{backend}: {records} records built in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)  # fmt: skip
    clients = {
        "promotor": client_for(app, "bench-promotor@example.org"),
        "support": client_for(app, "bench-support@example.org"),
    }
    results = []
    for who, label, path in requests_for(built):
        client, headers = clients[who]
        ms = timed(client, headers if path.startswith("/api/") else {}, path, repeat)
        print(f"  {who} {label}: {ms:.1f} ms", file=sys.stderr)
        results.append((who, label, ms))
    with app.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("AANWEZIG_EMBEDDED_WORKER", "false")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (load average {load}), "
          f"{args.records} audit records over a year in {BRANCHES} branches, median of "
          f"{args.repeat} requests after one warm-up, Flask test client.\n")  # fmt: skip
    print("| backend | reader | page | ms | target | met |")
    print("| --- | --- | --- | --- | --- | --- |")
    for backend in backends:
        for who, label, ms in run_backend(backend, args.records, args.repeat):
            met = "yes" if ms < TARGET_MS else "NOT MET"
            print(f"| {backend} | {who} | {label} | {ms:.1f} | < {TARGET_MS} ms | {met} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
