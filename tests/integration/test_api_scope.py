"""Branch scope in the API: another branch gets 404 for every object; the API is described."""

from __future__ import annotations

import re

import pytest

from app.models import Role
from tests.builders import Api


@pytest.fixture
def gent(make, today):
    api = make.api(Role.PROMOTOR, "Gent")
    project = api.post("/projects", {"name": "Excel", "number": "ESF-1"}).get_json()
    training = api.post(
        "/trainings", {"project_id": project["id"], "name": "Excel 1", "mode": "classroom"}
    ).get_json()
    session = api.post(
        "/sessions",
        {
            "training_id": training["id"],
            "date": today.isoformat(),
            "start": "00:00",
            "end": "23:59",
        },
    ).get_json()
    participant = api.post("/participants", {"name": "An", "email": "an@example.org"}).get_json()
    enrolment = api.post(
        f"/sessions/{session['id']}/enrolments", {"participant_id": participant["id"]}
    )
    assert enrolment.status_code == 201
    return {
        "api": api,
        "project": project,
        "training": training,
        "session": session,
        "participant": participant,
    }


def test_the_create_endpoints_answer_201_with_an_id(gent):
    for name in ("project", "training", "session", "participant"):
        assert isinstance(gent[name]["id"], int)
    assert gent["session"]["status"] in ("planned", "in_progress", "executed")


def test_another_branch_sees_none_of_it(gent, make):
    brugge = make.api(Role.PROMOTOR, "Brugge")
    for path in (
        f"/projects/{gent['project']['id']}",
        f"/trainings/{gent['training']['id']}",
        f"/sessions/{gent['session']['id']}",
        f"/sessions/{gent['session']['id']}/roster",
        f"/sessions/{gent['session']['id']}/registrations",
        f"/participants/{gent['participant']['id']}",
        f"/participants/{gent['participant']['id']}/code",
    ):
        assert brugge.get(path).status_code == 404, path
    for path in ("/projects", "/trainings", "/sessions", "/participants"):
        assert brugge.get(path).get_json()["items"] == [], path
    refused = brugge.post(
        f"/sessions/{gent['session']['id']}/enrolments",
        {"participant_id": gent["participant"]["id"]},
    )
    assert refused.status_code == 404
    refused = brugge.post("/trainings", {"project_id": gent["project"]["id"], "name": "x"})
    assert refused.status_code == 404
    code = gent["api"].get(f"/participants/{gent['participant']['id']}/code").get_json()["code"]
    scan = brugge.post("/scans", {"session_id": gent["session"]["id"], "code": code, "nonce": "n1"})
    assert scan.status_code == 404 and scan.get_json()["error"] == "unknown_session"


def test_a_trainer_may_not_plan(gent, make):
    trainer = make.api(Role.TRAINER, "Gent")
    response = trainer.post("/projects", {"name": "x", "number": "y"})
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    assert trainer.get(f"/participants/{gent['participant']['id']}/code").status_code in (403, 404)


def test_a_trainer_sees_only_their_own_sessions(gent, make, today):
    trainer_id = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    trainer = Api(make.app.test_client(), make.token(trainer_id))
    assert trainer.get("/sessions").get_json()["items"] == []
    own = (
        gent["api"]
        .post(
            "/sessions",
            {
                "training_id": gent["training"]["id"],
                "date": (today.replace(year=today.year + 1)).isoformat(),
                "start": "09:00",
                "end": "12:00",
                "trainer_email": "tom@example.org",
            },
        )
        .get_json()
    )
    assert [s["id"] for s in trainer.get("/sessions").get_json()["items"]] == [own["id"]]
    assert trainer.get(f"/sessions/{gent['session']['id']}").status_code == 404


def test_an_overlapping_session_is_refused_naming_the_other(gent, today):
    response = gent["api"].post(
        "/sessions",
        {
            "training_id": gent["training"]["id"],
            "date": today.isoformat(),
            "start": "10:00",
            "end": "11:00",
        },
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "overlap" and body["session_id"] == gent["session"]["id"]
    assert f"#{gent['session']['id']}" in body["message"]


def test_an_invalid_national_number_is_refused_and_a_valid_one_is_masked(gent):
    bad = gent["api"].post(
        "/participants",
        {"name": "B", "email": "b@example.org", "national_number": "85.07.30-033.29"},
    )
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_national_number"
    good = gent["api"].post(
        "/participants",
        {"name": "C", "email": "c@example.org", "national_number": "85.07.30-033.28"},
    )
    assert good.status_code == 201
    assert good.get_json()["national_number"] == "**.**.**-***.28"
    again = gent["api"].post(
        "/participants", {"name": "D", "email": "d@example.org", "national_number": "85073003328"}
    )
    assert again.status_code == 409


def test_the_national_number_is_encrypted_at_rest(gent, make):
    gent["api"].post(
        "/participants",
        {"name": "C", "email": "c@example.org", "national_number": "85.07.30-033.28"},
    )
    from sqlalchemy import text

    from app.extensions import db

    with make.app.app_context():
        stored = db.session.execute(
            text("SELECT national_number_encrypted FROM participants WHERE name = 'C'")
        ).scalar()
    assert stored and b"85073003328" not in bytes(stored)


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/projects", {"name": "x"}),
        ("/trainings", {"project_id": "one", "name": "x"}),
        ("/trainings", {"project_id": 1, "name": "x", "mode": "online"}),
        ("/sessions", {"training_id": 1, "date": "24/11/2026", "start": "09:00", "end": "10:00"}),
        ("/sessions", {"training_id": 1, "date": "2026-11-24", "start": "9h", "end": "10:00"}),
        ("/participants", {"name": "x", "email": "not-an-email"}),
        ("/participants", ["not", "an", "object"]),
    ],
)
def test_bad_input_is_a_clear_4xx(gent, path, payload):
    response = gent["api"].post(path, payload)
    assert 400 <= response.status_code < 500
    body = response.get_json()
    assert body["error"] and body["message"]


def test_the_openapi_description_lists_every_api_route(client, app):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)


def test_a_front_desk_token_sees_no_participant_records(gent, make):
    """The web keeps the front desk out of the participants' pages; the API did not (found by
    tests/integration/test_authorisation_matrix.py): names, addresses and external ids."""
    desk = make.api(Role.FRONTDESK, "Gent")
    for path in ("/participants", f"/participants/{gent['participant']['id']}"):
        response = desk.get(path)
        assert response.status_code == 403, path
        assert "an@example.org" not in response.get_data(as_text=True)
    assert desk.get(f"/sessions/{gent['session']['id']}").status_code == 200


def test_a_national_number_of_another_branch_gets_the_answer_of_a_free_one(gent, make):
    """Issue 18 (9): 409 national_number_unavailable told another branch that the number
    exists; now the answer is a free number's, and the record waits for central support."""
    number = "85.07.30-033.28"
    taken = gent["api"].post(
        "/participants", {"name": "C", "email": "c@example.org", "national_number": number}
    )
    assert taken.status_code == 201
    brugge = make.api(Role.PROMOTOR, "Brugge")
    free = brugge.post(
        "/participants",
        {"name": "F", "email": "f@example.org", "national_number": "90.02.15-123.70"},
    )
    held = brugge.post(
        "/participants", {"name": "D", "email": "d@example.org", "national_number": number}
    )
    assert free.status_code == held.status_code == 201
    assert set(free.get_json()) == set(held.get_json())
    assert held.get_json()["national_number"] == "**.**.**-***.28"
    # Brugge's own duplicate is named, so it can be merged; Gent's record never is.
    again = brugge.post(
        "/participants", {"name": "E", "email": "e@example.org", "national_number": number}
    )
    assert again.status_code == 409
    body = again.get_json()
    assert body["error"] == "duplicate_national_number"
    assert body["participant_id"] == held.get_json()["id"] != taken.get_json()["id"]
