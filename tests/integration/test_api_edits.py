"""Changing through the API as on the web: PATCH (JSON merge patch) with If-Match/ETag for a
session, a training and a project, cancelling and restoring a session, a retried POST with the
same Idempotency-Key (also two at once), and uniform paging with updated_since. Every test runs
on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from urllib.parse import quote

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditRecord, Project, Role, Session
from tests.builders import Api, future_monday


def _patch(api: Api, path: str, body: dict, etag: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {api.token}"}
    if etag is not None:
        headers["If-Match"] = etag
    return api.client.patch("/api/v1" + path, json=body, headers=headers)


def _post(api: Api, path: str, body: dict, key: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {api.token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.client.post("/api/v1" + path, json=body, headers=headers)


def _audit(app, action: str, object_id: int):  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalars(
            select(AuditRecord).where(
                AuditRecord.action == action, AuditRecord.object_id == object_id
            )
        ).all()


def test_a_session_is_patched_with_its_etag_and_a_stale_one_is_refused(app, make):
    day = future_monday()
    session_id = make.session(day, time(9), time(12), break_start=time(10), break_end=time(10, 15))
    api = make.api(Role.PROMOTOR)
    read = api.get(f"/sessions/{session_id}")
    etag = read.headers["ETag"]
    assert etag == f'"{read.get_json()["version"]}"'

    changed = _patch(api, f"/sessions/{session_id}", {"location": "Lokaal 9"}, etag)
    assert changed.status_code == 200, changed.get_json()
    answer = changed.get_json()
    assert answer["location"] == "Lokaal 9"
    assert (answer["start"], answer["end"], answer["break_start"]) == ("09:00", "12:00", "10:00")
    assert changed.headers["ETag"] != etag
    [record] = _audit(app, "session.change", session_id)
    assert record.before["location"] == "Room 1" and record.after["location"] == "Lokaal 9"

    stale = _patch(api, f"/sessions/{session_id}", {"location": "Lokaal 3"}, etag)
    assert stale.status_code == 412
    assert stale.get_json()["error"] == "stale"
    assert stale.get_json()["version"] == answer["version"]
    assert api.get(f"/sessions/{session_id}").get_json()["location"] == "Lokaal 9"

    missing = _patch(api, f"/sessions/{session_id}", {"location": "Lokaal 3"})
    assert missing.status_code == 428 and missing.get_json()["error"] == "precondition_required"
    # The version in the body does what If-Match does; null removes the break.
    by_field = _patch(
        api,
        f"/sessions/{session_id}",
        {"break_start": None, "break_end": None, "version": answer["version"]},
    )
    assert by_field.status_code == 200, by_field.get_json()
    assert by_field.get_json()["break_start"] is None
    version = by_field.get_json()["version"]
    refused = _patch(api, f"/sessions/{session_id}", {"date": None, "version": version})
    assert refused.status_code == 400 and refused.get_json()["field"] == "date"
    impossible = _patch(api, f"/sessions/{session_id}", {"end": "08:00", "version": version})
    assert impossible.status_code == 400 and impossible.get_json()["error"] == "end_before_start"


def test_the_web_rules_hold_for_a_patch(app, make):
    day = future_monday()
    first = make.session(day, time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    second = make.session(day, time(13), time(16), training_id=training_id)
    api = make.api(Role.PROMOTOR)
    version = api.get(f"/sessions/{second}").get_json()["version"]
    overlap = _patch(api, f"/sessions/{second}", {"start": "11:00", "version": version})
    assert overlap.status_code == 409
    assert overlap.get_json()["error"] == "overlap" and overlap.get_json()["session_id"] == first

    trainer = make.api(Role.TRAINER)
    assert _patch(trainer, f"/sessions/{second}", {"location": "x"}, "*").status_code in (403, 404)
    other_branch = make.api(Role.PROMOTOR, "Brugge")
    assert _patch(other_branch, f"/sessions/{second}", {"location": "x"}, "*").status_code == 404


def test_cancel_and_restore_a_session(app, make):
    session_id = make.session(future_monday(), time(9), time(12))
    make.enrol(session_id, make.participant())
    api = make.api(Role.PROMOTOR)
    cancelled = _post(api, f"/sessions/{session_id}/cancel", {"reason": "zaal dicht"})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["cancel_reason"] == "zaal dicht"
    again = _post(api, f"/sessions/{session_id}/cancel", {})
    assert again.status_code == 409 and again.get_json()["error"] == "already_cancelled"
    patch = _patch(api, f"/sessions/{session_id}", {"location": "x"}, "*")
    assert patch.status_code == 409 and patch.get_json()["error"] == "cancelled"

    restored = _post(api, f"/sessions/{session_id}/restore", {})
    assert restored.status_code == 200, restored.get_json()
    assert restored.get_json()["status"] == "planned" and not restored.get_json()["cancelled"]
    not_cancelled = _post(api, f"/sessions/{session_id}/restore", {})
    assert not_cancelled.status_code == 409 and not_cancelled.get_json()["error"] == "not_cancelled"
    assert _audit(app, "session.cancel", session_id) and _audit(app, "session.restore", session_id)
    stale = _post(api, f"/sessions/{session_id}/cancel", {"version": "0" * 24})
    assert stale.status_code == 412


def test_a_training_and_a_project_are_patched(app, make):
    session_id = make.session(future_monday(), time(9), time(12))
    trainer = make.user(Role.TRAINER, email="tom@example.org")
    api = make.api(Role.PROMOTOR)
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
    training = api.get(f"/trainings/{training_id}")
    changed = _patch(
        api,
        f"/trainings/{training_id}",
        {"name": "Excel gevorderd", "trainers": ["tom@example.org"], "hours_method": "lessons"},
        training.headers["ETag"],
    )
    assert changed.status_code == 200, changed.get_json()
    answer = changed.get_json()
    assert answer["name"] == "Excel gevorderd" and answer["trainers"] == ["tom@example.org"]
    assert answer["hours_method"] == "lessons" and answer["code"] == "T1"
    [record] = _audit(app, "training.change", training_id)[:1]
    assert record.after["trainers"] == [trainer]

    project_id = training.get_json()["project_id"]
    other = _post(api, "/projects", {"name": "Ander", "number": "ESF-OTHER"})
    assert other.status_code == 201
    project = api.get(f"/projects/{project_id}")
    taken = _patch(api, f"/projects/{project_id}", {"number": "ESF-OTHER"}, project.headers["ETag"])
    assert taken.status_code == 409 and taken.get_json()["error"] == "duplicate_project_number"
    renamed = _patch(api, f"/projects/{project_id}", {"name": "Nieuw"}, project.headers["ETag"])
    assert renamed.status_code == 200
    assert renamed.get_json()["name"] == "Nieuw"
    assert renamed.get_json()["number"] == project.get_json()["number"]


def _at_once(calls):  # type: ignore[no-untyped-def]
    """Run the calls in threads that start together behind a barrier; their answers."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        answers[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_two_scripts_with_the_same_etag_at_once_change_it_once(app, make):
    session_id = make.session(future_monday(), time(9), time(12))
    apis = [make.api(Role.PROMOTOR), make.api(Role.PROMOTOR)]
    etag = apis[0].get(f"/sessions/{session_id}").headers["ETag"]
    answers = _at_once(
        [
            lambda: _patch(apis[0], f"/sessions/{session_id}", {"location": "A"}, etag),
            lambda: _patch(apis[1], f"/sessions/{session_id}", {"location": "B"}, etag),
        ]
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 412], [a.get_json() for a in answers]
    winner = next(a for a in answers if a.status_code == 200).get_json()["location"]
    assert apis[0].get(f"/sessions/{session_id}").get_json()["location"] == winner
    assert len(_audit(app, "session.change", session_id)) == 1


def _projects(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Project))


def test_a_retried_post_with_the_same_idempotency_key_creates_one_object(app, make):
    api = make.api(Role.PROMOTOR)
    body = {"name": "Excel", "number": "ESF-77"}
    first = _post(api, "/projects", body, key="crm-sync-0001")
    assert first.status_code == 201
    again = _post(api, "/projects", body, key="crm-sync-0001")
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _projects(app) == 1
    other = _post(api, "/projects", {"name": "Word", "number": "ESF-78"}, key="crm-sync-0001")
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_reused"
    # Without a key, the same body is a second request (refused here by the rules).
    assert _post(api, "/projects", body).status_code == 409
    # Keys are the caller's own: another user's same key is another request.
    assert _post(make.api(Role.PROMOTOR), "/projects", {"name": "X", "number": "ESF-79"},
                 key="crm-sync-0001").status_code == 201  # fmt: skip
    assert _post(api, "/projects", body, key="bad key\t").status_code == 400
    # A refused request keeps no key: its retry runs again.
    refused = _post(api, "/projects", {"name": "", "number": "ESF-80"}, key="k2")
    assert refused.status_code == 400
    assert _post(api, "/projects", {"name": "Y", "number": "ESF-80"}, key="k2").status_code == 201


def test_two_requests_with_the_same_key_at_once_create_one_object(app, make):
    api = make.api(Role.PROMOTOR)
    body = {"name": "Tegelijk", "number": "ESF-SAME"}
    clients = [Api(app.test_client(), api.token) for _ in range(2)]
    answers = _at_once([lambda c=c: _post(c, "/projects", body, key="same-key") for c in clients])
    assert [a.status_code for a in answers] == [201, 201], [a.get_json() for a in answers]
    assert answers[0].get_json()["id"] == answers[1].get_json()["id"]
    assert _projects(app) == 1


def test_lists_are_paged_with_their_total_and_updated_since(app, make):
    api = make.api(Role.PROMOTOR)
    for n in range(5):
        assert _post(api, "/projects", {"name": f"P{n}", "number": f"ESF-P{n}"}).status_code == 201
    seen = []
    for page in (1, 2, 3):
        answer = api.get(f"/projects?per_page=2&page={page}").get_json()
        assert answer["total"] == 5 and answer["page"] == page and answer["per_page"] == 2
        seen += [p["id"] for p in answer["items"]]
    assert len(seen) == len(set(seen)) == 5
    assert api.get("/projects?per_page=2&page=4").get_json()["items"] == []
    assert api.get("/projects?per_page=0").status_code == 400
    assert api.get("/projects?per_page=1001").status_code == 400

    # The creations a day ago; one project changed now.
    with app.app_context():
        db.session.execute(
            update(AuditRecord)
            .where(AuditRecord.object_type == "projects")
            .values(at=datetime.now(UTC) - timedelta(days=1))
        )
        db.session.commit()
    project = api.get(f"/projects/{seen[2]}")
    assert (
        _patch(
            api, f"/projects/{seen[2]}", {"name": "Gewijzigd"}, project.headers["ETag"]
        ).status_code
        == 200
    )
    since = quote((datetime.now(UTC) - timedelta(hours=1)).isoformat())
    recent = api.get(f"/projects?updated_since={since}").get_json()
    assert [p["id"] for p in recent["items"]] == [seen[2]] and recent["total"] == 1
    assert api.get("/projects?updated_since=yesterday").status_code == 400


def test_a_branchs_registrations_page_through(app, make, today):
    session_id = make.session(today, time(0, 0), time(23, 59))
    other = make.session(today, time(0, 0), time(23, 59), branch="Brugge")
    people = [make.participant() for _ in range(5)]
    stranger = make.participant(branch="Brugge")
    for person in people:
        make.enrol(session_id, person)
    make.enrol(other, stranger)
    scanner = make.api(Role.PROMOTOR)
    for n, person in enumerate(people):
        body = {"session_id": session_id, "code": make.code(person), "nonce": f"n{n}"}
        assert scanner.post("/scans", body).status_code == 200
    brugge = make.api(Role.PROMOTOR, "Brugge")
    assert (
        brugge.post(
            "/scans", {"session_id": other, "code": make.code(stranger), "nonce": "b"}
        ).status_code
        == 200
    )
    ids = []
    page = 1
    while True:
        answer = scanner.get(
            f"/registrations?per_page=2&page={page}&date_from={today}&date_to={today}"
        ).get_json()
        assert answer["total"] == 5
        if not answer["items"]:
            break
        ids += [r["id"] for r in answer["items"]]
        page += 1
    assert len(ids) == 5 and ids == sorted(ids) and page == 4
    assert (
        scanner.get(f"/registrations?date_to={today - timedelta(days=1)}").get_json()["total"] == 0
    )


def test_a_participant_is_corrected_and_the_code_goes_to_a_new_address_on_request(app, make):
    from app.models import OutboxMail

    person = make.participant(name="An", email="an@example.org")
    make.participant(name="Bo", email="bo@example.org")
    api = make.api(Role.PROMOTOR)
    read = api.get(f"/participants/{person}")
    taken = _patch(
        api, f"/participants/{person}", {"email": "bo@example.org"}, read.headers["ETag"]
    )
    assert taken.status_code == 409 and taken.get_json()["participant_id"] != person

    def mails_to(address: str) -> int:
        with app.app_context():
            return len(
                db.session.scalars(select(OutboxMail).where(OutboxMail.recipient == address)).all()
            )

    changed = _patch(
        api, f"/participants/{person}", {"email": "an.new@example.org"}, read.headers["ETag"]
    )
    assert changed.status_code == 200, changed.get_json()
    assert (
        changed.get_json()["email"] == "an.new@example.org" and changed.get_json()["name"] == "An"
    )
    assert mails_to("an.new@example.org") == 0  # nothing by itself, as on the web
    again = _patch(
        api,
        f"/participants/{person}",
        {"email": "an.other@example.org", "send_code": True},
        changed.headers["ETag"],
    )
    assert again.status_code == 200
    assert mails_to("an.other@example.org") == 1
    assert (
        _patch(api, f"/participants/{person}", {"name": "X"}, read.headers["ETag"]).status_code
        == 412
    )
    [record] = _audit(app, "participant.change", person)[:1]
    assert record.before["email"] == "an@example.org"


def test_a_cancelled_session_whose_time_was_taken_is_not_restored(app, make):
    day = future_monday()
    first = make.session(day, time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    api = make.api(Role.PROMOTOR)
    assert _post(api, f"/sessions/{first}/cancel", {"reason": "verplaatst"}).status_code == 200
    moved = _post(
        api,
        "/sessions",
        {"training_id": training_id, "date": day.isoformat(), "start": "10:00", "end": "13:00"},
    )
    assert moved.status_code == 201, moved.get_json()
    refused = _post(api, f"/sessions/{first}/restore", {})
    assert refused.status_code == 409 and refused.get_json()["error"] == "overlap"
    assert refused.get_json()["session_id"] == moved.get_json()["id"]
    assert api.get(f"/sessions/{first}").get_json()["status"] == "cancelled"
