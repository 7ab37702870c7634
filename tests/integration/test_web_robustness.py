"""Never a 500: every form takes garbage and says what is wrong; a bad id answers 404; CSRF holds."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Project, Role, Session
from tests.builders import PASSWORD

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
def test_every_form_takes_garbage_without_a_server_error(app, make, world, role, auth):
    client = auth.as_role(role, branch=None if role == Role.ADMIN else "Gent")
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


def test_the_get_pages_take_odd_query_strings(app, make, world, auth):
    client = auth.as_role(Role.ADMIN, branch=None)
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
def test_a_bad_id_answers_404(app, make, path, auth):
    client = auth.as_role(Role.ADMIN, branch=None)
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
        "/admin/outbox/999999/renew",
    ],
)
def test_a_bad_id_answers_404_on_post(app, make, path, auth):
    client = auth.as_role(Role.ADMIN, branch=None)
    assert client.post(path).status_code == 404


def test_another_branch_gets_404_on_every_action(app, make, world, auth):
    brugge = auth.as_role(Role.PROMOTOR, branch="Brugge")
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
        "/admin/outbox/{mail}/renew",
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


def test_a_nul_character_is_refused_next_to_the_field_and_nothing_is_stored(app, make, auth):
    client = auth.as_role(Role.PROMOTOR, branch="Gent")
    before = _count(app, Project)
    response = client.post(
        "/projects", data={"name": "Excel\x00", "number": "ESF-1", "branch": "Gent"}
    )
    assert response.status_code == 200
    assert "Verwijder de onzichtbare stuurtekens uit dit veld." in response.get_data(as_text=True)
    assert _count(app, Project) == before


def test_the_api_refuses_control_characters_by_field(make, auth):
    api = make.api(Role.PROMOTOR)
    response = api.post("/participants", json={"name": "An\x00", "email": "an@example.org"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_request" and "name" in body["message"]
    search = auth.as_role(Role.PROMOTOR, branch="Gent").get("/participants/?q=An%00")
    assert search.status_code == 200


# Values no field of any form takes: each must be answered with a message (at the field, on
# the form, or flashed after a redirect), never a 500, and nothing of it stored.
REFUSED_EVERYWHERE = {
    "over-long": "x" * 5000,
    "control": "a\x00b\x1bc",
    "long and broken": ("y" * 300 + "\r\n") * 10,
}
# Dates and numbers the database or a datetime cannot take, and raw bytes of a lone surrogate
# (a browser cannot send the character itself; the server must not choke on the bytes).
OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "1899-12-31", "2147483648", "1099511627776",
                "-2147483649", "%ED%A0%80"]  # fmt: skip


def _said_what_is_wrong(client, response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code == 302:
        with client.session_transaction() as session:
            flashes = session.pop("_flashes", [])
        return any(category == "error" for category, _ in flashes)
    page = response.get_data(as_text=True)
    return (
        'class="field-error"' in page
        or 'class="flash error"' in page
        or (response.status_code in (400, 403, 404))
    )


@pytest.mark.parametrize("kind", sorted(REFUSED_EVERYWHERE))
def test_every_form_says_what_is_wrong(app, make, world, kind, auth):
    client = auth.as_role(Role.ADMIN, branch=None)
    value = REFUSED_EVERYWHERE[kind]
    projects_before = _count(app, Project)
    for path, fields in FORMS.items():
        if fields == ("csrf_token",) or path.endswith("/retry"):
            continue  # buttons without input
        url = path.format(**world)
        response = client.post(url, data={name: value for name in fields})
        assert response.status_code < 500, (url, kind)
        assert _said_what_is_wrong(client, response), (url, kind, response.status_code)
    assert _count(app, Project) == projects_before


def test_no_out_of_range_date_or_number_is_stored_and_every_page_still_opens(
    app, make, world, auth
):
    from datetime import date as date_type

    from sqlalchemy import Date, inspect

    from app.domain.limits import EARLIEST_DAY, LATEST_DAY

    client = auth.as_role(Role.ADMIN, branch=None)
    for path, fields in FORMS.items():
        url = path.format(**world)
        for value in OUT_OF_RANGE:
            response = client.post(url, data={name: value for name in fields})
            assert response.status_code < 500, (url, value)
        # A form filled sensibly but for one out-of-range date at a time.
    sensible = {"day": "2026-12-24", "start": "09:00", "end": "12:00", "trainer": "0"}
    for bad in ("9999-12-31", "0001-01-01"):
        assert (
            client.post(
                "/trainings/{training}".format(**world), data={**sensible, "day": bad}
            ).status_code
            == 200
        )
    with app.app_context():
        for mapper in db.Model.registry.mappers:
            table = mapper.local_table
            for column in table.columns:
                if isinstance(column.type, Date):
                    values = db.session.scalars(select(column).where(column.is_not(None))).all()
                    bad = [v for v in values if not EARLIEST_DAY <= v <= LATEST_DAY]
                    assert not bad, (table.name, column.name, bad)
        assert inspect(db.engine) is not None and isinstance(EARLIEST_DAY, date_type)
    for page in ("/", "/archive", "/trainings/{training}", "/sessions/{session}",
                 "/projects/{project}", "/participants/", "/admin/closure-days"):  # fmt: skip
        assert client.get(page.format(**world)).status_code == 200, page


def test_raw_bytes_of_a_lone_surrogate_in_a_form_are_no_error(app, make, auth):
    client = auth.as_role(Role.PROMOTOR, branch="Gent")
    response = client.post(
        "/projects",
        data=b"name=Ex%ED%A0%80cel&number=ESF-%ED%A0%80&branch=Gent",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (200, 302)


# --- Numbers of hundreds of digits ------------------------------------------------------------

# WTForms' NumberRange turns the number into a float (math.isnan), which overflows: these were
# answered with a 500 before the forms kernel checked the magnitude first.
HUGE_NUMBERS = ["9" * 400, "-" + "9" * 400, "1" + "0" * 309, "9" * 4000, "2147483648"]


def _numeric_fields() -> list[tuple[str, str]]:
    """(form class, field name) of every number field of every web form, found by looking:
    a form added later joins without being listed here."""
    import importlib
    import pkgutil

    from wtforms import DecimalField, FloatField, IntegerField

    import app as package
    from app.forms import Form

    for module in pkgutil.walk_packages(package.__path__, "app."):
        if module.name.rsplit(".", 1)[-1] == "forms":
            importlib.import_module(module.name)
    found, todo = [], list(Form.__subclasses__())
    while todo:
        form = todo.pop()
        todo.extend(form.__subclasses__())
        for name in dir(form):
            unbound = getattr(form, name)
            kind = getattr(unbound, "field_class", None)
            if isinstance(kind, type) and issubclass(
                kind, IntegerField | DecimalField | FloatField
            ):
                found.append((f"{form.__module__}.{form.__qualname__}", name))
    return sorted(set(found))


def test_the_number_fields_are_found():
    fields = _numeric_fields()
    assert ("app.portal.forms.HoursForm", "minutes") in fields
    assert ("app.attendance.forms.ExemptionForm", "minutes") in fields


@pytest.mark.parametrize(("form_path", "name"), _numeric_fields())
def test_every_number_field_refuses_an_absurd_number_with_a_message(app, form_path, name):
    import importlib

    from werkzeug.datastructures import MultiDict

    module, _, qualname = form_path.rpartition(".")
    form_class = getattr(importlib.import_module(module), qualname)
    for value in [*HUGE_NUMBERS, "NaN", "sNaN", "Infinity", "1e999999"]:
        with app.test_request_context("/", method="POST"):
            form = form_class(formdata=MultiDict({name: value}))
            field = form[name]
            valid = field.validate(form)  # an OverflowError or ValueError here was the 500
            assert not valid and field.errors, (form_path, name, value)
            if value in HUGE_NUMBERS[:3]:
                assert [str(e) for e in field.errors] == ["Dit getal is te groot."], value


def test_a_huge_number_of_minutes_in_the_portal_is_refused_in_dutch(app, make):
    from app.models import SelfReport
    from tests.helpers.portal import elearning_training, portal_client

    an = make.participant(name="An Peeters", email="an@example.org")
    training = elearning_training(app, make, None, [an])
    client = portal_client(app, "an@example.org")
    for value in HUGE_NUMBERS:
        response = client.post(
            "/portal/hours",
            data={
                "training": training,
                "day": "2026-01-05",
                "minutes": value,
                "description": "Video 1",
            },
        )
        assert response.status_code == 200, value
        page = response.get_data(as_text=True)
        assert "Dit getal is te groot." in page or "geen geldig geheel getal" in page, value
    assert _count(app, SelfReport) == 0


def test_a_huge_number_of_exempted_minutes_is_refused_in_dutch(app, make, past_training, auth):
    from app.models import Exemption

    client = auth.as_role(Role.PROMOTOR)
    for value in HUGE_NUMBERS:
        response = client.post(
            f"/trainings/{past_training['training']}/participants/{past_training['ben']}/exemptions",
            data={
                "exempt-session": 0,
                "exempt-minutes": value,
                "exempt-reason": "EVC",
            },
        )
        assert response.status_code == 200, value
        page = response.get_data(as_text=True)
        assert "Dit getal is te groot." in page or "geen geldig geheel getal" in page, value
    assert _count(app, Exemption) == 0


@pytest.mark.parametrize(
    "path",
    ["/projects/99999999999999999999999", "/sessions/" + "9" * 400,
     "/trainings/99999999999999999999999/attendance", "/portal/qr/99999999999999999999999.png",
     "/archive?page=" + "9" * 400, "/admin/users?edit=" + "9" * 400],
)  # fmt: skip
def test_a_huge_number_in_an_address_is_not_an_error(app, make, path, auth):
    client = auth.as_role(Role.ADMIN, branch=None)
    assert client.get(path).status_code in (200, 302, 404), path


@pytest.mark.parametrize("value", [10**400, -(10**400), 1e308, "9" * 400, 2**63])
def test_the_api_refuses_a_huge_number_in_every_id_field(make, value):
    api = make.api(Role.PROMOTOR)
    for path, body in (
        ("/trainings", {"project_id": value, "name": "x"}),
        ("/sessions", {"training_id": value, "date": "2026-01-05", "start": "09:00",
                       "end": "10:00"}),
        ("/scans", {"session_id": value, "code": "AZ1.x", "nonce": "n"}),
    ):  # fmt: skip
        response = api.post(path, body)
        assert response.status_code == 400, (path, response.status_code)
        assert response.get_json()["field"] in body, path
    listing = api.get("/sessions?training_id=" + "9" * 400)
    assert listing.status_code == 400
    for path in ("/sessions/" + "9" * 30, "/participants/99999999999999999999999/code"):
        assert api.get(path).status_code == 404, path
