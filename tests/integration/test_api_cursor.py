"""Cursors on the top-level lists: a walk with ``next_cursor`` reads every row once, rows that
come in meanwhile make it skip or repeat nothing, and a changed, foreign or misused cursor is
a clear 400. Both databases."""

from __future__ import annotations

import base64
import uuid
from datetime import time, timedelta

from app.models import Role
from tests.builders import Api


def _walk(api: Api, path: str, per_page: int, between=None) -> tuple[list[int], int]:  # type: ignore[no-untyped-def]
    """Every id of a list read with cursors (``between`` runs after each page); the pages."""
    separator = "&" if "?" in path else "?"
    answer = api.get(f"{path}{separator}per_page={per_page}")
    assert answer.status_code == 200, answer.get_json()
    seen, pages = [], 0
    while True:
        body = answer.get_json()
        pages += 1
        seen += [item["id"] for item in body["items"]]
        if between:
            between()
        if body["next_cursor"] is None:
            return seen, pages
        assert len(body["items"]) == per_page
        answer = api.get(f"{path}{separator}per_page={per_page}&cursor={body['next_cursor']}")
        assert answer.status_code == 200, answer.get_json()


def _scan(make, session_id: int, person: int) -> None:  # type: ignore[no-untyped-def]
    answer = make.api().post(
        "/scans", {"session_id": session_id, "code": make.code(person), "nonce": uuid.uuid4().hex}
    )
    assert answer.status_code == 200, answer.get_json()


def _people(make, session_id: int, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    people = [make.participant(name=f"Deelnemer {i:02}") for i in range(n)]
    for person in people:
        make.enrol(session_id, person)
    return people


def test_a_cursor_walk_reads_every_registration_once_while_new_ones_come_in(app, make, today):
    session_id = make.session(today, time(0, 0), time(23, 59))
    people = _people(make, session_id, 7)
    for person in people:
        _scan(make, session_id, person)  # seven check-ins
    api = make.api(Role.PROMOTOR)
    before = [r["id"] for r in api.get("/registrations").get_json()["items"]]
    assert len(before) == 7
    # After each page a participant checks out: new rows come last (ordered by id).
    leaving = iter(people)
    seen, pages = _walk(
        api, "/registrations", 3, between=lambda: _scan(make, session_id, next(leaving))
    )
    assert pages >= 3
    assert len(seen) == len(set(seen)), "a row was read twice"
    assert seen[:7] == before, "a row that was there was skipped"
    assert seen == sorted(seen)


def test_offset_pages_and_cursors_agree_on_every_list(app, make, today):
    first = make.session(today, time(0, 0), time(23, 59))
    for day in range(1, 5):
        make.session(today + timedelta(days=day), time(9), time(12))
    people = _people(make, first, 5)
    for person in people:
        _scan(make, first, person)
    api = make.api(Role.ADMIN, None)
    for path, per_page in (
        ("/registrations", 2),
        ("/participants", 2),
        ("/sessions", 2),
        ("/projects", 2),
        ("/trainings", 2),
        ("/audit", 4),
    ):
        everything = api.get(f"{path}?per_page=1000" if path != "/audit" else "/audit?per_page=200")
        expected = [item["id"] for item in everything.get_json()["items"]]
        assert len(expected) > per_page, path
        # Central support's audit trail counted every record (it once counted one).
        assert everything.get_json()["total"] == len(expected), path
        seen, pages = _walk(api, path, per_page)
        assert seen == expected, path
        assert pages == -(-len(expected) // per_page), path
        assert everything.get_json()["next_cursor"] is None


def test_participants_walk_their_name_order_and_a_new_name_skips_nobody(app, make, today):
    session_id = make.session(today, time(0, 0), time(23, 59))
    _people(make, session_id, 6)
    api = make.api(Role.PROMOTOR)
    before = [p["id"] for p in api.get("/participants").get_json()["items"]]
    added = iter(["Aaron", "Zoë", "Maaike"])
    seen, _pages = _walk(
        api, "/participants", 2, between=lambda: make.participant(name=next(added, "Bart"))
    )
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in before] == before


def test_a_changed_foreign_or_misused_cursor_is_a_clear_400(app, make, today):
    session_id = make.session(today, time(0, 0), time(23, 59))
    for person in _people(make, session_id, 3):
        _scan(make, session_id, person)
    api = make.api(Role.PROMOTOR)
    cursor = api.get("/registrations?per_page=1").get_json()["next_cursor"]
    assert cursor
    # Opaque: the values it names (here an id; on /participants a name) cannot be read in it.
    names = api.get("/participants?per_page=1").get_json()
    for part in names["next_cursor"].split("."):
        decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        assert names["items"][0]["name"].encode() not in decoded
    changed = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    for bad in (changed, "nonsense", "x" * 1001):
        answer = api.get(f"/registrations?per_page=1&cursor={bad}")
        assert answer.status_code == 400, bad
        assert answer.get_json()["field"] == "cursor"
    assert api.get(f"/registrations?cursor={changed}").get_json()["error"] == "invalid_cursor"
    # Another list's cursor, or the same list with other filters, is not this one's.
    assert api.get(f"/participants?cursor={cursor}").get_json()["error"] == "invalid_cursor"
    other = api.get(f"/registrations?session_id={session_id}&cursor={cursor}")
    assert other.status_code == 400 and other.get_json()["error"] == "invalid_cursor"
    both = api.get(f"/registrations?page=2&cursor={cursor}")
    assert both.status_code == 400 and both.get_json()["error"] == "cursor_with_page"
    # A page size may change along the walk: the cursor names a row, not a page.
    rest = api.get(f"/registrations?per_page=5&cursor={cursor}").get_json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
