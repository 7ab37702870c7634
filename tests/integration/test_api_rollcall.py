"""A session's roll call read back through the API (GET /sessions/{id}/roll-call): the marks
POST /sessions/{id}/roll-call wrote, who marked them and when, the latest per participant;
for the session's trainer and the planners in scope. Both databases."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import event

from app.extensions import db
from app.models import Role
from tests.builders import Api


def _world(app, make, today):  # type: ignore[no-untyped-def]
    trainer = make.user(Role.TRAINER, email="trainer.tom@example.org")
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    an, ben = make.participant(name="An"), make.participant(name="Ben")
    for person in (an, ben):
        make.enrol(session_id, person)
    return session_id, an, ben, Api(app.test_client(), make.token(trainer))


def test_the_marks_as_the_roll_call_wrote_them(app, make, today):
    session_id, an, ben, trainer = _world(app, make, today)
    before = datetime.now(UTC) - timedelta(seconds=1)
    first = {
        "marks": [
            {"participant_id": an, "present": True, "remark": "op tijd"},
            {"participant_id": ben, "present": False, "remark": "ziek gemeld"},
        ]
    }
    assert trainer.post(f"/sessions/{session_id}/roll-call", first).status_code == 200
    # Ben turns up after all: marked again, a new mark that is now the current one.
    again = {"marks": [{"participant_id": ben, "present": True, "remark": "toch gekomen"}]}
    assert trainer.post(f"/sessions/{session_id}/roll-call", again).status_code == 200

    answer = trainer.get(f"/sessions/{session_id}/roll-call")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 100)
    seen = [
        (m["participant_id"], m["participant_name"], m["present"], m["remark"], m["current"])
        for m in body["items"]
    ]
    assert seen == [
        (an, "An", True, "op tijd", True),
        (ben, "Ben", False, "ziek gemeld", False),
        (ben, "Ben", True, "toch gekomen", True),
    ]
    for mark in body["items"]:
        assert mark["session_id"] == session_id and mark["marked_by"] == "trainer.tom@example.org"
        assert mark["source"] == "manual" and mark["peer"] is None
        assert before <= datetime.fromisoformat(mark["marked_at"]) <= datetime.now(UTC)

    current = trainer.get(f"/sessions/{session_id}/roll-call?current=true").get_json()
    assert [(m["participant_id"], m["present"]) for m in current["items"]] == [
        (an, True),
        (ben, True),
    ]
    assert current["total"] == 2
    second_page = trainer.get(f"/sessions/{session_id}/roll-call?per_page=2&page=2").get_json()
    assert [m["remark"] for m in second_page["items"]] == ["toch gekomen"]
    assert second_page["total"] == 3
    assert trainer.get(f"/sessions/{session_id}/roll-call?current=yes").status_code == 400


def test_a_session_without_a_roll_call_has_no_marks(app, make, today):
    session_id, _an, _ben, trainer = _world(app, make, today)
    assert trainer.get(f"/sessions/{session_id}/roll-call").get_json() == {
        "items": [],
        "total": 0,
        "page": 1,
        "per_page": 100,
    }


def test_only_the_trainer_and_planners_in_scope_read_the_marks(app, make, today):
    session_id, an, _ben, trainer = _world(app, make, today)
    body = {"marks": [{"participant_id": an, "present": False, "remark": "ziek"}]}
    assert trainer.post(f"/sessions/{session_id}/roll-call", body).status_code == 200
    promotor = make.api(Role.PROMOTOR)
    assert promotor.get(f"/sessions/{session_id}/roll-call").get_json()["total"] == 1
    other_trainer = Api(app.test_client(), make.token(make.user(Role.TRAINER)))
    assert other_trainer.get(f"/sessions/{session_id}/roll-call").status_code == 404
    assert (
        make.api(Role.PROMOTOR, "Brugge").get(f"/sessions/{session_id}/roll-call").status_code
        == 404
    )
    refused = make.api(Role.FRONTDESK).get(f"/sessions/{session_id}/roll-call")
    assert refused.status_code == 403
    assert "ziek" not in refused.get_data(as_text=True)


def test_the_marks_cost_the_same_queries_for_2_and_for_20_participants(app, make, today):
    trainer = make.user(Role.TRAINER)
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    api = Api(app.test_client(), make.token(trainer))
    counts, people = [], []
    for size in (2, 20):
        while len(people) < size:
            people.append(make.participant())
            make.enrol(session_id, people[-1])
        marks = [{"participant_id": p, "present": False, "remark": "weg"} for p in people]
        assert api.post(f"/sessions/{session_id}/roll-call", {"marks": marks}).status_code == 200
        path = f"/sessions/{session_id}/roll-call?current=true"
        assert api.get(path).get_json()["total"] == size
        with app.app_context():
            engine = db.engine
        statements: list[str] = []

        def count(conn, cursor, statement, *args, seen=statements):  # type: ignore[no-untyped-def]
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert len(api.get(path).get_json()["items"]) == size
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
