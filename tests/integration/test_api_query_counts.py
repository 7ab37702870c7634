"""API lists run a fixed number of queries whatever their length: 2 rows and 20 rows cost the same.

Counted with SQLAlchemy's ``before_cursor_execute`` event on the app's engine, for the second
request of a token (the first one records the token's use).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from app.models import Role
from tests.builders import Api


@contextmanager
def counting(app) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _queries(app, api: Api, path: str) -> int:  # type: ignore[no-untyped-def]
    assert api.get(path).status_code == 200  # the token's first use is recorded here
    with counting(app) as statements:
        response = api.get(path)
    assert response.status_code == 200, response.get_json()
    return len(statements)


class World:
    """Rows of everything a list shows, grown between two counts: projects and trainings (each
    with its trainer), sessions on different days, participants enrolled in the first session,
    each with a registration."""

    def __init__(self, make) -> None:  # type: ignore[no-untyped-def]
        self.make = make
        self.trainer = make.user(Role.TRAINER)
        self.sessions: list[int] = []
        self.people: list[int] = []

    def grow(self, rows: int) -> None:
        from app.extensions import db
        from app.models import Kind, Registration, Source

        make = self.make
        while len(self.sessions) < rows:
            day = date(2026, 12, 7) + timedelta(days=len(self.sessions))
            self.sessions.append(make.session(day, time(9), time(12), trainer_id=self.trainer))
        while len(self.people) < rows:
            person = make.participant()
            make.enrol(self.sessions[0], person)
            with make.app.app_context():
                # A registration as a correction would write it (no window check needed here).
                db.session.add(
                    Registration(
                        session_id=self.sessions[0],
                        participant_id=person,
                        kind=Kind.IN,
                        at=datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
                        source=Source.MANUAL,
                        nonce=f"count-{person}",
                    )
                )
                db.session.commit()
            self.people.append(person)


LISTS = [
    "/projects",
    "/trainings",
    "/sessions",
    "/participants",
    "/sessions/{session}/roster",
    "/sessions/{session}/registrations",
    "/sessions/{session}/enrolments",
]


@pytest.mark.parametrize("path", LISTS)
def test_a_list_costs_the_same_queries_for_2_and_for_20_rows(app, make, path):
    world = World(make)
    api = make.api(Role.PROMOTOR)
    counts = []
    for rows in (2, 20):
        world.grow(rows)
        url = path.format(session=world.sessions[0])
        counts.append(_queries(app, api, url))
        listed = api.get(url).get_json()
        assert len(listed.get("items", listed.get("participants"))) >= rows, path
    assert counts[0] == counts[1], (path, counts)


def test_a_trainers_session_list_costs_the_same_for_2_and_20(app, make):
    world = World(make)
    api = Api(app.test_client(), make.token(world.trainer))
    counts = []
    for rows in (2, 20):
        world.grow(rows)
        counts.append(_queries(app, api, "/sessions"))
        assert len(api.get("/sessions").get_json()["items"]) == rows
    assert counts[0] == counts[1]
