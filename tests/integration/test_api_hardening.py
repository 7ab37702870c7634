"""Issue 8 on the API: dates and ids out of range, text no reader can take, replayed nonces,
a stale role in the token cache. Each test fails on the code before the fix."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.domain.limits import MAX_ID
from app.models import Role
from tests.builders import Api


def nonce() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def gent(make, today):  # type: ignore[no-untyped-def]
    trainer = make.user(Role.TRAINER)
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    an, ben = make.participant(name="An Peeters"), make.participant(name="Ben Claes")
    for person in (an, ben):
        make.enrol(session_id, person)
    api = make.api(Role.PROMOTOR)
    training_id = api.get(f"/sessions/{session_id}").get_json()["training_id"]
    return {
        "api": api,
        "trainer": trainer,
        "trainer_api": Api(make.app.test_client(), make.token(trainer)),
        "session": session_id,
        "training": training_id,
        "an": an,
        "ben": ben,
        "code": make.code(an),
        "other_code": make.code(ben),
    }


def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _session(gent, day: str) -> dict:  # type: ignore[no-untyped-def]
    return {"training_id": gent["training"], "date": day, "start": "09:00", "end": "12:00"}


# --- 1. Dates out of range -------------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_a_session_date_out_of_range_is_refused_naming_the_field_and_nothing_is_stored(
    gent, make, day
):
    from app.models import Session

    before = _count(make.app, Session)
    response = gent["api"].post("/sessions", _session(gent, day))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_request" and body["field"] == "date"
    assert "2000-01-01" in body["message"] and "2100-12-31" in body["message"]
    assert _count(make.app, Session) == before
    assert gent["api"].get("/sessions").status_code == 200


def test_the_edges_of_the_date_range_are_accepted(gent):
    for day in ("2000-01-03", "2100-12-30"):
        assert gent["api"].post("/sessions", _session(gent, day)).status_code == 201, day
    listed = gent["api"].get("/sessions").get_json()["items"]
    assert {"2000-01-03", "2100-12-30"} <= {s["date"] for s in listed}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-02-30", "", "24/11/2026"])
def test_a_date_filter_out_of_range_or_malformed_is_a_400_naming_it(gent, day):
    response = gent["api"].get("/sessions", query_string={"date": day})
    assert response.status_code == 400
    assert response.get_json()["field"] == "date"


def test_an_offline_scan_time_out_of_range_is_refused(gent):
    for at in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59+00:00"):
        response = gent["api"].post(
            "/scans",
            {
                "session_id": gent["session"],
                "code": gent["code"],
                "nonce": nonce(),
                "scanned_at": at,
            },
        )
        assert response.status_code == 400 and response.get_json()["field"] == "scanned_at", at


# --- 2. Ids past the database's integer --------------------------------------------------------


@pytest.mark.parametrize("too_large", [2**31, 1099511627776, 10**30])
def test_an_id_past_the_database_integer_in_a_body_is_a_400_naming_the_field(gent, too_large):
    cases = [
        ("/sessions", {**_session(gent, "2026-12-24"), "training_id": too_large}, "training_id"),
        ("/trainings", {"project_id": too_large, "name": "Excel"}, "project_id"),
        (
            f"/sessions/{gent['session']}/enrolments",
            {"participant_id": too_large},
            "participant_id",
        ),
        ("/scans", {"session_id": too_large, "code": gent["code"], "nonce": nonce()}, "session_id"),
    ]
    for path, payload, field in cases:
        response = gent["api"].post(path, payload)
        assert response.status_code == 400, (path, response.get_json())
        assert response.get_json()["field"] == field


def test_an_id_past_the_database_integer_in_a_query_is_a_400_naming_it(gent):
    for value in (str(2**31), "216068776342", "-1", "0", "1.5", ""):
        response = gent["api"].get("/sessions", query_string={"training_id": value})
        assert response.status_code == 400, value
        assert response.get_json()["field"] == "training_id"
    largest = gent["api"].get("/sessions", query_string={"training_id": str(MAX_ID)})
    assert largest.status_code == 200 and largest.get_json()["items"] == []


@pytest.mark.parametrize("too_large", [str(2**31), "216068776342", "99999999999999999999"])
def test_an_id_past_the_database_integer_in_a_path_is_a_404_for_every_method(gent, too_large):
    for path in (
        f"/projects/{too_large}",
        f"/trainings/{too_large}",
        f"/trainings/{too_large}/attendance",
        f"/sessions/{too_large}",
        f"/sessions/{too_large}/roster",
        f"/sessions/{too_large}/registrations",
        f"/sessions/{too_large}/enrolments",
        f"/participants/{too_large}",
        f"/participants/{too_large}/code",
    ):
        response = gent["api"].get(path)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found", path
    # A POST beside a GET rule was a 405 (werkzeug tried the methods before the id's range).
    response = gent["api"].post(f"/sessions/{too_large}/enrolments", {"participant_id": 1})
    assert response.status_code == 404


def test_a_405_says_which_methods_are_allowed(gent):
    response = gent["api"].client.delete(
        "/api/v1/projects", headers={"Authorization": f"Bearer {gent['api'].token}"}
    )
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


# --- 3. Text no database or reader can take ---------------------------------------------------


def _raw(api: Api, path: str, data: str):  # type: ignore[no-untyped-def]
    return api.client.post(
        "/api/v1" + path,
        data=data,
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "\\ud800", "number": "ESF-1"}',  # a field the schema reads
        '{"name": "Excel", "number": "ESF-1", "note": "x\\udfffy"}',  # one it ignores
        '{"name": "Excel", "number": "ESF-1", "\\ud800": 1}',  # a key
        '{"name": "Excel", "number": "ESF-1", "tags": [["\\ud83d"]]}',  # deep inside
    ],
)
def test_a_lone_surrogate_anywhere_in_the_json_is_a_clear_400(gent, make, body):
    from app.models import Project

    before = _count(make.app, Project)
    response = _raw(gent["api"], "/projects", body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_json"
    assert "\\ud800" in response.get_json()["message"]
    assert _count(make.app, Project) == before


def test_a_surrogate_pair_is_ordinary_text(gent):
    response = _raw(gent["api"], "/projects", '{"name": "Excel \\ud83d\\ude00", "number": "E-2"}')
    assert response.status_code == 201 and response.get_json()["name"] == "Excel \U0001f600"


@pytest.mark.parametrize("depth", [100_000, 50])
def test_json_nested_deeply_is_a_clear_400(gent, depth):
    response = _raw(gent["api"], "/scans", "[" * depth + "]" * depth)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_json"
    nested = '{"session_id": 1, "x": ' + "[" * depth + "]" * depth + "}"
    response = _raw(gent["api"], "/scans", nested)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"


@pytest.mark.parametrize("character", ["\r", "\n", "\t", "\u2028", "\x85"])
def test_a_line_break_or_tab_in_a_one_line_field_is_refused_naming_it(gent, make, character):
    cases = [
        ("/projects", {"name": "Excel", "number": f"ESF{character}1"}, "number"),
        ("/projects", {"name": f"Ex{character}cel", "number": "ESF-1"}, "name"),
        (
            "/trainings",
            {"project_id": 1, "name": "Excel", "code": f"T{character}1"},
            "code",
        ),
        ("/participants", {"name": f"An{character}P", "email": "an@example.org"}, "name"),
        ("/participants", {"name": "An", "email": f"an{character}@example.org"}, "email"),
        (
            "/sessions",
            {**_session(gent, "2026-12-24"), "location": f"Room{character}1"},
            "location",
        ),
    ]
    for path, payload, field in cases:
        response = gent["api"].post(path, payload)
        assert response.status_code == 400, (path, field)
        assert response.get_json()["field"] == field
        assert response.get_json()["error"] == "invalid_request"


def test_spaces_and_line_breaks_around_a_value_are_dropped_as_before(gent):
    response = gent["api"].post("/projects", {"name": " Excel\r\n", "number": "\tESF-9\n"})
    assert response.status_code == 201
    assert (response.get_json()["name"], response.get_json()["number"]) == ("Excel", "ESF-9")


def test_a_nul_or_other_control_character_is_refused_naming_the_field(gent):
    response = gent["api"].post("/projects", {"name": "Ex\x00cel", "number": "1"})
    assert response.status_code == 400 and response.get_json()["field"] == "name"


def test_text_longer_than_its_column_is_refused_naming_the_field(gent):
    response = gent["api"].post("/projects", {"name": "Excel", "number": "x" * 61})
    assert response.status_code == 400 and response.get_json()["field"] == "number"
    assert "60" in response.get_json()["message"]
    assert gent["api"].post("/projects", {"name": "Excel", "number": "x" * 60}).status_code == 201


def test_the_new_messages_are_in_english_when_asked(gent):
    response = gent["api"].client.post(
        "/api/v1/projects",
        json={"name": "Excel", "number": "ESF\n1"},
        headers={"Authorization": f"Bearer {gent['api'].token}", "Accept-Language": "en"},
    )
    assert response.get_json() == {
        "error": "invalid_request",
        "field": "number",
        "message": "The field number must fit on one line: no line breaks or tabs.",
    }
    dutch = gent["api"].post("/projects", {"name": "Excel", "number": "ESF\n1"}).get_json()
    assert dutch["message"] != "The field number must fit on one line: no line breaks or tabs."


# --- 4. A replayed nonce with another request -------------------------------------------------


def _scan(api: Api, gent, the_nonce: str, **changes):  # type: ignore[no-untyped-def]
    payload = {"session_id": gent["session"], "code": gent["code"], "nonce": the_nonce, **changes}
    return api.post("/scans", payload)


def _refused_as_reused(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "nonce_reused"
    assert set(body) == {"error", "message"}
    assert "An" not in body["message"] and "Peeters" not in body["message"]


def test_the_same_request_again_gets_the_stored_answer_byte_for_byte(gent):
    the_nonce = nonce()
    first = _scan(gent["api"], gent, the_nonce, direction="in")
    again = _scan(gent["api"], gent, the_nonce, direction="in")
    assert first.status_code == again.status_code == 200
    assert again.data == first.data


def test_a_replayed_nonce_with_another_body_is_409_and_tells_nothing(gent, make, today):
    the_nonce = nonce()
    made = (datetime.now(UTC) - timedelta(minutes=3)).replace(microsecond=0)
    first = _scan(gent["api"], gent, the_nonce, scanned_at=made.isoformat())
    assert first.status_code == 200 and first.get_json()["participant"]["name"] == "An Peeters"
    other_session = make.session(today, time(0, 0), time(23, 59))
    for changes in (
        {"code": gent["other_code"]},
        {"session_id": other_session},
        {"direction": "out"},
        {"direction": "in"},
        {"scanned_at": (made - timedelta(minutes=1)).isoformat()},
        {"scanned_at": None},
    ):
        _refused_as_reused(
            _scan(gent["api"], gent, the_nonce, **{"scanned_at": made.isoformat(), **changes})
        )
    # Another token of the same branch, and one of another branch, with the very same body.
    for api in (make.api(Role.PROMOTOR), make.api(Role.PROMOTOR, "Brugge"), gent["trainer_api"]):
        _refused_as_reused(_scan(api, gent, the_nonce, scanned_at=made.isoformat()))
    again = _scan(gent["api"], gent, the_nonce, scanned_at=made.isoformat())
    assert again.status_code == 200 and again.data == first.data
    registrations = gent["api"].get(f"/sessions/{gent['session']}/registrations").get_json()
    assert len(registrations["items"]) == 1


def test_a_repeat_receipt_belongs_to_its_request_too(gent):
    _scan(gent["api"], gent, nonce())
    the_nonce = nonce()
    repeat = _scan(gent["api"], gent, the_nonce)
    assert repeat.get_json()["repeat"] is True
    assert _scan(gent["api"], gent, the_nonce).data == repeat.data
    _refused_as_reused(_scan(gent["api"], gent, the_nonce, code=gent["other_code"]))


def test_the_same_nonce_twice_at_once_records_one_scan_and_answers_both_alike(gent):
    """A scanner's retry racing its first attempt (the same body, at the same instant)."""
    for _ in range(4):
        the_nonce = nonce()
        barrier = threading.Barrier(2)
        answers: list = []

        def send(the_nonce=the_nonce, barrier=barrier, answers=answers):  # type: ignore[no-untyped-def]
            barrier.wait()
            response = _scan(gent["api"], gent, the_nonce, direction="in")
            answers.append((response.status_code, response.data))

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert [a[0] for a in answers] == [200, 200]
        assert answers[0][1] == answers[1][1]
    items = gent["api"].get(f"/sessions/{gent['session']}/registrations").get_json()["items"]
    assert len([r for r in items if r["participant_id"] == gent["an"]]) == 1  # later ones repeat


def test_one_nonce_for_two_people_at_once_records_one_and_refuses_the_other(gent):
    for _ in range(3):
        the_nonce = nonce()
        barrier = threading.Barrier(2)
        answers: list = []

        def send(code, the_nonce=the_nonce, barrier=barrier, answers=answers):  # type: ignore[no-untyped-def]
            barrier.wait()
            response = _scan(gent["api"], gent, the_nonce, code=code, direction="in")
            answers.append(response.status_code)

        threads = [
            threading.Thread(target=send, args=(code,))
            for code in (gent["code"], gent["other_code"])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(answers) == [200, 409]


# --- 8. A stale role in the token cache ------------------------------------------------------


def _set_role(app, user_id: int, role: Role) -> None:  # type: ignore[no-untyped-def]
    from app.extensions import db
    from app.models import User

    with app.app_context():
        db.session.get(User, user_id).role = role
        db.session.commit()


def test_a_trainer_made_front_desk_and_back_scans_again_at_once(gent, make):
    api = gent["trainer_api"]
    assert _scan(api, gent, nonce()).status_code == 200  # the token is now in the cache
    _set_role(make.app, gent["trainer"], Role.FRONTDESK)
    refused = _scan(api, gent, nonce())
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    _set_role(make.app, gent["trainer"], Role.TRAINER)
    # The cache now remembers a front desk role: it must not refuse what the data allows.
    again = _scan(api, gent, nonce(), direction="out")
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["direction"] == "out"


def test_a_front_desk_token_is_still_refused_on_every_scan(gent, make):
    api = make.api(Role.FRONTDESK)
    for _ in range(3):
        response = _scan(api, gent, nonce())
        assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


# --- The answers stay as they were ------------------------------------------------------------


def test_the_answers_keep_their_shape(gent):
    session = gent["api"].get(f"/sessions/{gent['session']}").get_json()
    assert set(session) == {
        "id", "training_id", "training_name", "date", "start", "end", "break_start",
        "break_end", "location", "trainer_email", "status", "reopened", "scan_opens", "deadline",
        # Added for editing through the API (issue 22): the version to send back in If-Match.
        "cancelled", "cancel_reason", "version",
    }  # fmt: skip
    assert session["start"] == "00:00" and session["break_start"] is None
    assert datetime.fromisoformat(session["deadline"]).utcoffset() is not None
    scan = _scan(gent["api"], gent, nonce()).get_json()
    assert set(scan) == {"direction", "participant", "at", "repeat"}
    assert scan["at"].endswith("+00:00")
    [registration] = (
        gent["api"].get(f"/sessions/{gent['session']}/registrations").get_json()["items"]
    )
    assert registration["received_at"].endswith("+00:00") and registration["source"] == "scan"
    assert json.loads(json.dumps(registration)) == registration


# --- The description documents what each route answers -----------------------------------------


def test_every_route_documents_its_refusals_with_the_error_schema(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if path == "/openapi.json":
                continue
            expected = {"401", "503"}
            if method == "post":
                expected |= {"400", "409", "413"}
            if "{" in path:
                expected.add("404")
            assert expected <= set(responses), (method, path, sorted(responses))
            for status, response in responses.items():
                if status >= "400":
                    assert response["content"]["application/json"]["schema"] == error
    scans = spec["paths"]["/scans"]["post"]["responses"]
    assert {"403", "404", "409", "422"} <= set(scans)
    assert "nonce_reused" in spec["paths"]["/scans"]["post"]["description"]


def test_the_description_states_the_constraints_once_from_their_sources(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    number = schemas["ProjectCreate"]["properties"]["number"]
    assert number["maxLength"] == 60 and number["minLength"] == 1  # projects.number is 60
    assert schemas["ScanCreate"]["properties"]["session_id"]["maximum"] == MAX_ID
    assert schemas["TrainingMode"]["enum"] == ["classroom", "e-learning"]
    assert schemas["ScanCreate"]["properties"]["scanned_at"]["anyOf"][0]["format"] == "date-time"
    date_pattern = schemas["SessionCreate"]["properties"]["date"]["pattern"]
    assert "2000" in date_pattern and "2100" in date_pattern and "2101" not in date_pattern


def test_a_body_past_the_size_limit_is_a_413_in_json(gent):
    response = _raw(gent["api"], "/projects", '{"name": "' + "x" * (11 * 1024 * 1024) + '"}')
    assert response.status_code == 413
    assert response.get_json()["error"] == "too_large"
