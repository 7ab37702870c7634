"""Benchmark of the pages and downloads built on the attendance figures.

Builds, on SQLite and on PostgreSQL, with bulk inserts (not through the web):

- a *training*: P participants x S past sessions (two evenings a week, 18:00-21:30 with a
  break), every participant enrolled in every session, check-in and check-out for 90% of the
  pairs, the other 10% absent; a few justified absences, exemptions, late enrolments, people on
  paid leave and roll-call corrections, so every branch of the rules runs;
- a *project* of 20 such trainings of p x s each, with its own participants.

Each at two sizes 16x apart (training 25 x 20 and 100 x 80; project trainings 10 x 10 and
40 x 40), all in one database per backend. Then times every page and download through the
Flask test client as a logged-in promotor (one warm-up request, then the median of --repeat)
and prints a Markdown table with both sizes, the ratio and the target.

    .venv/bin/python bench/figures.py [--backend both|sqlite|postgresql] [--repeat 5]
        [--profile LABEL]   # cProfile one request of the large size (e.g. "certificates")
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "bench_perf"
PG_BENCH = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_NAME}"
PASSWORD = "bench-password"
PROMOTOR = "bench-promotor@example.org"
SIZES = {
    # name: (training participants, training sessions, project trainings, their p, their s)
    "small": (25, 20, 20, 10, 10),
    "large": (100, 80, 20, 40, 40),
}
PAGE_MS, DOWNLOAD_MS, PARTICIPANT_MS, PROJECT_MS = 250, 1000, 100, 5000


@dataclass
class Built:
    """The ids the timed requests need, for one size."""

    training_id: int
    training_project_id: int
    participant_id: int
    paper_index: int
    project_id: int
    training_range: tuple[date, date]
    project_range: tuple[date, date]


# --- building the data ------------------------------------------------------------------------


def reset_postgres() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {PG_NAME}"))
    engine.dispose()


class Builder:
    """Bulk inserts with SQLAlchemy Core, ids handed out here (one statement per table)."""

    def __init__(self, now: datetime, seed: int = 7):
        self.now = now
        self.random = random.Random(seed)
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.next_id: dict[str, int] = {}
        self.nonce = 0

    def add(self, table: str, **values: Any) -> int:
        from app.extensions import db

        if table not in self.next_id:
            column = db.metadata.tables[table].c.id
            self.next_id[table] = (db.session.scalar(db.select(db.func.max(column))) or 0) + 1
        row_id = self.next_id[table]
        self.next_id[table] += 1
        self.rows.setdefault(table, []).append({"id": row_id, **values})
        return row_id

    def link(self, table: str, **values: Any) -> None:
        self.rows.setdefault(table, []).append(values)

    def flush(self) -> None:
        from sqlalchemy import insert, text

        from app.extensions import db

        order = (
            "projects", "trainings", "participants", "sessions", "training_enrolments",
            "enrolments", "registrations", "justifications", "justification_sessions",
            "exemptions", "closure_days",
        )  # fmt: skip
        for table in order:
            rows = self.rows.pop(table, [])
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(db.metadata.tables[table]), rows[start : start + 5000])
        if db.engine.dialect.name == "postgresql":
            # Ids were given here: move each sequence past them for later inserts.
            for table in self.next_id:
                db.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        db.session.commit()

    def registration(self, session_id: int, participant_id: int, kind: str, at: datetime,
                     source: str = "scan", voids_id: int | None = None) -> int:  # fmt: skip
        self.nonce += 1
        return self.add(
            "registrations", session_id=session_id, participant_id=participant_id, kind=kind,
            at=at.astimezone(UTC), received_at=at.astimezone(UTC), source=source, user_id=None,
            token_id=None, nonce=f"bench-{self.nonce}", voids_id=voids_id,
            reason="late arrival" if voids_id else None,
        )  # fmt: skip

    def training(self, project_id: int, branch_id: int, name: str, people: int, lessons: int,
                 weekday: int) -> tuple[int, list[int], list[date]]:  # fmt: skip
        """A training of ``people`` x ``lessons``, two evenings a week, all in the past; returns
        its id, its participants and its lesson days."""
        from app.domain.cutoff import BRUSSELS

        training_id = self.add(
            "trainings", project_id=project_id, name=name, code=name[:20].upper(),
            mode="classroom", kind="vocational", recognition_number="ERK-1",
            joint_committee="", per_school_year=False, created_at=_utc(self.now),
        )  # fmt: skip
        weeks = (lessons + 1) // 2
        today = self.now.astimezone(BRUSSELS).date()
        first_week = today - timedelta(days=today.weekday() + 7 * (weeks + 2))
        days = sorted(
            first_week + timedelta(days=7 * week + offset)
            for week in range(weeks)
            for offset in (weekday, weekday + 3)
        )[:lessons]
        sessions = [
            self.add(
                "sessions",
                training_id=training_id,
                day=day,
                start=clock(18),
                end=clock(21, 30),
                break_start=clock(19, 30),
                break_end=clock(19, 45),
                location="Lokaal 1",
                trainer_id=None,
                was_reopened=False,
                created_at=_utc(self.now),
            )
            for day in days
        ]
        participants = []
        for n in range(people):
            pid = self.add(
                "participants", branch_id=branch_id, name=f"{name} cursist {n:03d}",
                email=f"{name.lower().replace(' ', '')}-{n}@example.org", key_version=1,
                code_sent_at=_utc(self.now), created_at=_utc(self.now),
            )  # fmt: skip
            participants.append(pid)
            late = self.random.random() < 0.05
            enrolled_on = days[min(3, len(days) - 1)] if late else days[0] - timedelta(days=7)
            self.add(
                "training_enrolments", training_id=training_id, participant_id=pid,
                enrolled_on=enrolled_on, paid_leave=self.random.random() < 0.3,
                terminated_on=None, created_at=_utc(self.now),
            )  # fmt: skip
            for session_id, day in zip(sessions, days, strict=True):
                self.add("enrolments", session_id=session_id, participant_id=pid,
                         created_at=_utc(self.now), created_by_id=None)  # fmt: skip
                self._attend(training_id, session_id, pid, day)
        return training_id, participants, days

    def _attend(self, training_id: int, session_id: int, pid: int, day: date) -> None:
        from app.domain.sessions import local_datetime

        start, end = local_datetime(day, clock(18)), local_datetime(day, clock(21, 30))
        roll = self.random.random()
        if roll < 0.9:
            if roll < 0.01:  # ticked at the roll call, then corrected to a later arrival
                ticked = self.registration(session_id, pid, "in", start, "manual")
                self.registration(session_id, pid, "in", start + timedelta(minutes=25),
                                  "correction", voids_id=ticked)  # fmt: skip
            else:
                arrive = start + timedelta(minutes=self.random.randint(-15, 12))
                self.registration(session_id, pid, "in", arrive)
            leave = end - timedelta(minutes=self.random.randint(-5, 20))
            self.registration(session_id, pid, "out", leave)
        elif roll < 0.93:
            justification = self.add(
                "justifications", participant_id=pid, kind="doctor",
                handed_in_on=day + timedelta(days=2), note="", created_at=_utc(self.now),
            )  # fmt: skip
            self.link("justification_sessions", justification_id=justification,
                      session_id=session_id)  # fmt: skip
        elif roll < 0.94:
            self.add(
                "exemptions", training_id=training_id, participant_id=pid,
                session_id=session_id, minutes=None, reason="EVC", created_at=_utc(self.now),
            )  # fmt: skip


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def build(app, now: datetime) -> dict[str, Built]:  # type: ignore[no-untyped-def]
    from app.audit import Actor
    from app.auth.operations import create_user, get_or_create_branch
    from app.extensions import db
    from app.models import Role

    built = {}
    with app.app_context():
        branch = get_or_create_branch("Bench")
        create_user(Actor(None), PROMOTOR, Role.PROMOTOR, PASSWORD, branch, must_change=False)
        db.session.commit()
        builder = Builder(now)
        for offset, day in enumerate((date(2026, 11, 11), date(2026, 12, 25))):
            builder.add("closure_days", day=day, label=f"closed {offset}")
        for size, (people, lessons, trainings, p, s) in SIZES.items():
            one = builder.add("projects", name=f"Training {size}", number=f"ESF-T-{size}",
                              branch_id=branch.id, created_at=_utc(now))  # fmt: skip
            training_id, people_ids, days = builder.training(
                one, branch.id, f"Avondcursus {size}", people, lessons, 0
            )
            many = builder.add("projects", name=f"Project {size}", number=f"ESF-P-{size}",
                               branch_id=branch.id, created_at=_utc(now))  # fmt: skip
            project_days: list[date] = []
            for n in range(trainings):
                _t, _s, t_days = builder.training(
                    many, branch.id, f"Opleiding {size} {n:02d}", p, s, n % 2
                )
                project_days += t_days
            builder.flush()
            from app.certificates.contents import periods
            from app.models import Training

            found = periods(db.session.get(Training, training_id))
            sizes = [sum(1 for d in days if a <= d <= b) for a, b in found]
            built[size] = Built(
                training_id=training_id,
                training_project_id=one,
                participant_id=people_ids[people // 2],
                paper_index=sizes.index(max(sizes)),
                project_id=many,
                training_range=(min(days), max(days)),
                project_range=(min(project_days), max(project_days)),
            )
    return built


# --- timing -----------------------------------------------------------------------------------


def requests_for(b: Built) -> list[tuple[str, str, int]]:
    """(label, path, target in ms) for one size."""
    t, tr, pr = b.training_id, b.training_range, b.project_range
    one = f"start={tr[0]}&end={tr[1]}"
    many = f"start={pr[0]}&end={pr[1]}"
    return [
        ("attendance page", f"/trainings/{t}/attendance", PAGE_MS),
        ("attendance CSV", f"/trainings/{t}/attendance.csv", DOWNLOAD_MS),
        ("attendance XLSX", f"/trainings/{t}/attendance.xlsx", DOWNLOAD_MS),
        ("certificates list", f"/trainings/{t}/certificates", PAGE_MS),
        ("paper list PDF", f"/trainings/{t}/paper-list/{b.paper_index}.pdf", DOWNLOAD_MS),
        ("participant page", f"/trainings/{t}/participants/{b.participant_id}", PARTICIPANT_MS),
        ("submission preview", f"/projects/{b.training_project_id}/submission?{one}", PAGE_MS),
        ("submission CSV", f"/projects/{b.training_project_id}/submission.csv?{one}", DOWNLOAD_MS),
        ("submission XLSX", f"/projects/{b.training_project_id}/submission.xlsx?{one}",
         DOWNLOAD_MS),
        ("project preview (20 trainings)", f"/projects/{b.project_id}/submission?{many}", PAGE_MS),
        ("project CSV (20 trainings)", f"/projects/{b.project_id}/submission.csv?{many}",
         PROJECT_MS),
        ("project XLSX (20 trainings)", f"/projects/{b.project_id}/submission.xlsx?{many}",
         PROJECT_MS),
    ]  # fmt: skip


def log_in(app):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/login", data={"email": PROMOTOR, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert response.status_code == 302, response.status_code
    return client


def timed(client, path: str, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median wall-clock and CPU milliseconds of ``repeat`` requests after one warm-up."""
    response = client.get(path)  # warm-up: templates compiled, caches filled
    assert response.status_code == 200, (path, response.status_code)
    assert response.data
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        data = response.data
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200 and data
    return statistics.median(walls), statistics.median(cpus)


def run_backend(backend: str, repeat: int, profile: str | None, only: str | None) -> list[tuple[str, float, float, float, int]]:  # fmt: skip
    from flask_migrate import upgrade

    from app import create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-figures-"))
    if backend == "postgresql":
        reset_postgres()
        uri = PG_BENCH
    else:
        uri = f"sqlite:///{folder / 'bench.db'}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": uri, "OUTBOX_WORKER": False, "RATELIMIT_ENABLED": False},
        instance_path=str(folder),
    )
    with app.app_context():
        upgrade()
    now = datetime.now(UTC)
    started = time.perf_counter()
    built = build(app, now)
    print(f"{backend}: data built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    client = log_in(app)
    # As wsgi.py does after start-up: what lives as long as the process (here also the
    # building's leftovers) stays out of the collector's full passes.
    gc.collect()
    gc.freeze()
    results = []
    small, large = requests_for(built["small"]), requests_for(built["large"])
    for (label, small_path, target), (_, large_path, _) in zip(small, large, strict=True):
        if only and only not in label:
            continue
        small_ms, _ = timed(client, small_path, repeat)
        large_ms, cpu_ms = timed(client, large_path, repeat)
        print(f"  {label}: {small_ms:.1f} ms -> {large_ms:.1f} ms", file=sys.stderr)
        results.append((label, small_ms, large_ms, cpu_ms, target))
        if profile and profile == label:
            profiler = cProfile.Profile()
            profiler.enable()
            client.get(large_path).close()
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
    with app.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", help="cProfile one large request with this label")
    parser.add_argument("--only", help="time only the requests whose label contains this")
    args = parser.parse_args()
    os.environ.setdefault("AANWEZIG_OUTBOX_WORKER", "false")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (load average {load}), median of "
          f"{args.repeat} requests after one warm-up, Flask test client as a logged-in promotor; "
          "cpu: this process's CPU time for the large request (without PostgreSQL's own).\n")  # fmt: skip
    print("| backend | page or download | small ms | large ms (16x data) | ratio | large cpu ms "
          "| target (large) | met |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for backend in backends:
        for label, small_ms, large_ms, cpu_ms, target in run_backend(
            backend, args.repeat, args.profile, args.only
        ):
            ratio = large_ms / small_ms if small_ms else float("inf")
            met = large_ms < target and ratio <= 16
            print(f"| {backend} | {label} | {small_ms:.1f} | {large_ms:.1f} | {ratio:.1f}x | "
                  f"{cpu_ms:.0f} | < {target} ms, ratio <= 16x | "
                  f"{'yes' if met else 'NOT MET'} |")  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main()
