"""Never a 500: every form takes garbage and says what is wrong; a bad id answers 404; CSRF holds."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Project, Role, Session
from tests.builders import PASSWORD
from tests.integration.test_web_planning import log_in

GARBAGE = [
    "",
    " ",
    "x" * 5000,
    "nul\x00byte",
    "-1",
    "0",
    "99999999999999999999",
    "2026-02-30",
    "25:61",
    "<script>alert(1)</script>",
    "é€😀",
]

FORMS = {
    "/projects": ("name", "number", "branch"),
    "/projects/{project}": (
        "name",
        "code",
        "mode",
        "trainers",
        "kind",
        "recognition_number",
        "joint_committee",
        "joint_committee_date",
        "exam_date",
        "per_school_year",
    ),
    "/trainings/{training}": (
        "day",
        "start",
        "end",
        "break_start",
        "break_end",
        "location",
        "trainer",
    ),
    "/trainings/{training}/details": (
        "details-kind",
        "details-joint_committee_date",
        "details-exam_date",
        "details-recognition_number",
    ),
    "/trainings/{training}/enrol": ("enrol-participants",),
    "/sessions/{session}/enrol": ("enrol-participants",),
    "/sessions/{session}/reopen": ("reopen-reason",),
    "/sessions/{session}/submit": ("csrf_token",),
    "/sessions/{session}/close": ("csrf_token",),
    "/participants/": ("add-name", "add-email", "add-national_number", "add-branch"),
    "/participants/import": ("import-branch", "import-file"),
    "/participants/{participant}/reveal": ("csrf_token",),
    "/participants/{participant}/resend": ("csrf_token",),
    "/admin/users": ("email", "name", "role", "branch", "password"),
    "/admin/users/{user}": ("role", "branch"),
    "/admin/branches": ("name",),
    "/admin/closure-days": ("day", "label"),
    "/admin/outbox/{mail}/retry": ("back",),
}


@pytest.fixture
def world(app, make, today):  # type: ignore[no-untyped-def]
    session_id = make.session(today)
    person = make.participant()
    make.enrol(session_id, person)
    with app.app_context():
        session = db.session.get(Session, session_id)
        ids = {
            "session": session_id,
            "training": session.training_id,
            "project": session.training.project_id,
            "participant": person,
            "mail": 1,
        }
    ids["user"] = make.user(Role.TRAINER, "Gent")
    return ids


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PROMOTOR])
def test_every_form_takes_garbage_without_a_server_error(app, make, world, role):
    client = log_in(app, role, make, branch=None if role == Role.ADMIN else "Gent")
    projects_before = _count(app, Project)
    for path, fields in FORMS.items():
        url = path.format(**world)
        for value in GARBAGE:
            data = {name: value for name in fields}
            response = client.post(url, data=data)
            assert response.status_code in (200, 302, 400, 403, 404), (
                url,
                value,
                response.status_code,
            )
            if response.status_code == 200:
                assert "text/html" in response.content_type
        # every field missing at once
        assert client.post(url, data={}).status_code < 500, url
    assert _count(app, Project) == projects_before  # no garbage project made it in


def test_the_get_pages_take_odd_query_strings(app, make, world):
    client = log_in(app, Role.ADMIN, make, branch=None)
    for path in (
        "/?filter=%00",
        "/archive?page=-5&filter=%ff",
        "/archive?page=99999999999999999999",
        "/participants/?q=%25%5F%00" + "x" * 300,
        "/sessions/{session}?x=1".format(**world),
    ):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize(
    "path",
    [
        "/projects/999999",
        "/trainings/999999",
        "/sessions/999999",
        "/sessions/999999/roster.json",
        "/participants/999999",
        "/participants/999999/qr.png",
        "/admin/outbox/999999",
        "/admin/outbox/999999/image.png",
        "/projects/abc",
        "/sessions/-1",
    ],
)
def test_a_bad_id_answers_404(app, make, path):
    client = log_in(app, Role.ADMIN, make, branch=None)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/sessions/999999/enrol",
        "/sessions/999999/reopen",
        "/sessions/999999/close",
        "/sessions/999999/submit",
        "/trainings/999999/enrol",
        "/trainings/999999/details",
        "/participants/999999/reveal",
        "/participants/999999/resend",
        "/participants/999999/reissue",
        "/admin/users/999999",
        "/admin/users/999999/active/0",
        "/admin/outbox/999999/retry",
    ],
)
def test_a_bad_id_answers_404_on_post(app, make, path):
    client = log_in(app, Role.ADMIN, make, branch=None)
    assert client.post(path).status_code == 404


def test_another_branch_gets_404_on_every_action(app, make, world):
    brugge = log_in(app, Role.PROMOTOR, make, branch="Brugge")
    for path in (
        "/trainings/{training}/enrol",
        "/trainings/{training}/details",
        "/trainings/{training}",
        "/projects/{project}",
        "/sessions/{session}/submit",
        "/participants/{participant}/reveal",
        "/participants/{participant}/resend",
        "/participants/{participant}/reissue",
        "/admin/outbox/{mail}/retry",
    ):
        assert brugge.post(path.format(**world)).status_code == 404, path
    assert brugge.get("/admin/outbox/{mail}".format(**world)).status_code == 404


def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


class TestCsrf:
    @pytest.fixture
    def app_config(self) -> dict:
        return {"WTF_CSRF_ENABLED": True}

    @staticmethod
    def token(page: str) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def test_a_post_without_the_token_is_refused_and_with_it_accepted(self, app, make):
        make.user(Role.PROMOTOR, "Gent", email="p@example.org")
        session_id = make.session(date(2026, 1, 5), time(9), time(12))
        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        response = client.post(
            "/login",
            data={
                "email": "p@example.org",
                "password": PASSWORD,
                "csrf_token": self.token(login_page),
            },
        )
        assert response.status_code == 302
        data = {"name": "Excel", "number": "ESF-7", "branch": "Gent"}
        refused = client.post("/projects", data=data)
        assert refused.status_code == 400
        assert _count(app, Project) == 1  # the builder's project only
        assert client.post(f"/sessions/{session_id}/submit").status_code == 400
        with app.app_context():
            assert db.session.get(Session, session_id).submitted_at is None
        page = client.get("/projects").get_data(as_text=True)
        accepted = client.post("/projects", data={**data, "csrf_token": self.token(page)})
        assert accepted.status_code == 302
        assert _count(app, Project) == 2


def test_a_nul_character_is_refused_next_to_the_field_and_nothing_is_stored(app, make):
    client = log_in(app, Role.PROMOTOR, make, branch="Gent")
    before = _count(app, Project)
    response = client.post(
        "/projects", data={"name": "Excel\x00", "number": "ESF-1", "branch": "Gent"}
    )
    assert response.status_code == 200
    assert "Verwijder de onzichtbare stuurtekens uit dit veld." in response.get_data(as_text=True)
    assert _count(app, Project) == before


def test_the_api_refuses_control_characters_by_field(make):
    api = make.api(Role.PROMOTOR)
    response = api.post("/participants", json={"name": "An\x00", "email": "an@example.org"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_request" and "name" in body["message"]
    search = log_in(make.app, Role.PROMOTOR, make, branch="Gent").get("/participants/?q=An%00")
    assert search.status_code == 200
