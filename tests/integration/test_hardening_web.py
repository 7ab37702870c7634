"""Regressions of the hardening round on the web side: each test fails without its fix.

Numbers refer to the findings of the hardening issue: out-of-range dates (1), ids past the
database's integer (2), text a reader cannot take (3), formula injection (5), open redirects
(6), sessions that outlive logout (7), smaller leaks (11) and the login limit (12).
"""

from __future__ import annotations

import io
from datetime import date, time

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.models import ClosureDay, Participant, Project, Role, Session, Training, User
from app.planning.operations import create_project, create_session
from tests.builders import PASSWORD


def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _training(app, make, today) -> int:  # type: ignore[no-untyped-def]
    session_id = make.session(today)
    with app.app_context():
        return db.session.get(Session, session_id).training_id


# --- 1. Dates outside 2000-01-01 .. 2100-12-31 ------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_a_session_out_of_the_date_range_is_refused_at_the_field(app, make, today, day, auth):
    client = auth.as_role(Role.PROMOTOR, english=True)
    training_id = _training(app, make, today)
    before = _count(app, Session)
    response = client.post(
        f"/trainings/{training_id}",
        data={"day": day, "start": "09:00", "end": "12:00", "trainer": "0"},
    )
    assert response.status_code == 200
    assert "Give a date between 01/01/2000 and 31/12/2100." in response.get_data(as_text=True)
    assert _count(app, Session) == before
    for page in ("/", "/archive", f"/trainings/{training_id}"):
        assert client.get(page).status_code == 200


def test_the_operation_itself_refuses_an_out_of_range_date_whatever_the_door(app, make, today):
    training_id = _training(app, make, today)
    with app.app_context():
        training = db.session.get(Training, training_id)
        with pytest.raises(Refusal) as refused:
            create_session(Actor(None), training, date(9999, 12, 31), time(9), time(12))
        assert refused.value.code == "date_out_of_range"
        assert refused.value.details["field"] == "date"


def test_a_closure_day_out_of_range_is_refused(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    response = client.post("/admin/closure-days", data={"day": "9999-12-31", "label": "x"})
    assert "Give a date between" in response.get_data(as_text=True)
    assert _count(app, ClosureDay) == 0


def test_export_filters_out_of_range_are_refused_without_an_error(app, make, today, auth):
    client = auth.as_role(Role.PROMOTOR)
    session_id = make.session(today)
    with app.app_context():
        project_id = db.session.get(Session, session_id).training.project_id
    for query in ("start=0001-01-01&end=9999-12-31", "start=2026-01-01&end=99999-01-01"):
        response = client.get(f"/projects/{project_id}/submission.csv?{query}")
        assert response.status_code == 302


# --- 2. Ids past the database's integer -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/projects/99999999999", "/trainings/2147483648", "/sessions/1099511627776/roster.json"],
)
def test_a_huge_id_in_a_path_is_not_found(app, make, path, auth):
    client = auth.as_role(Role.PROMOTOR)
    assert client.get(path).status_code == 404


def test_a_huge_id_in_a_form_is_not_found(app, make, today, auth):
    client = auth.as_role(Role.PROMOTOR)
    training_id = _training(app, make, today)
    response = client.post(
        f"/trainings/{training_id}/certificates",
        data={"participant_id": "99999999999", "kind": "diligence"},
    )
    assert response.status_code == 404


# --- 3. Line breaks in one-line values --------------------------------------------------------


def test_a_line_break_in_a_project_number_is_refused_in_the_form_and_the_operation(app, make, auth):
    client = auth.as_role(Role.PROMOTOR, english=True)
    response = client.post(
        "/projects", data={"name": "Excel", "number": "ESF-1\r\nX", "branch": "Gent"}
    )
    assert "This field takes a single line" in response.get_data(as_text=True)
    assert _count(app, Project) == 0
    with app.app_context():
        with pytest.raises(Refusal) as refused:
            create_project(Actor(None), "Excel", "ESF\n1", "Gent")
        assert refused.value.code == "line_break"


def test_an_import_row_with_a_line_break_in_the_name_is_reported(app, make, auth):
    client = auth.as_role(Role.PROMOTOR, english=True)
    data = b'name,email\n"An\nPeeters",an@example.org\nBo,bo@example.org\n'
    page = client.post(
        "/participants/import",
        data={"import-file": (io.BytesIO(data), "people.csv"), "import-branch": "Gent"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "This field takes a single line" in page
    with app.app_context():
        assert db.session.scalars(select(Participant.name)).all() == ["Bo"]


# --- 5. Formula injection in exports ----------------------------------------------------------

EVIL = '=HYPERLINK("http://evil.example/","klik")'


def test_a_formula_in_a_name_is_inert_in_every_csv_and_xlsx(app, make, today, auth):
    client = auth.as_role(Role.PROMOTOR)
    session_id = make.session(today)
    person = make.participant(name=EVIL)
    make.enrol(session_id, person)
    with app.app_context():
        session = db.session.get(Session, session_id)
        training_id, project_id = session.training_id, session.training.project_id
    csv_text = client.get(f"/trainings/{training_id}/attendance.csv").get_data(as_text=True)
    assert (
        ";'" + EVIL.replace('"', '""') in csv_text or ";\"'" + EVIL.replace('"', '""') in csv_text
    )
    book = load_workbook(io.BytesIO(client.get(f"/trainings/{training_id}/attendance.xlsx").data))
    cells = [c for row in book.active.iter_rows() for c in row if c.value == EVIL]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    # The project export: the name, as typed, is a text cell, never a formula.
    query = f"start={today.isoformat()}&end={today.isoformat()}"
    export = client.get(f"/projects/{project_id}/submission.xlsx?{query}")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.data))
    assert not [c for row in book.active.iter_rows() for c in row if c.data_type == "f"]


def test_numbers_stay_numbers_and_plain_text_stays_as_typed(app):
    from app import spreadsheet

    assert spreadsheet.csv_cell(-3) == -3
    assert spreadsheet.csv_cell("+32 470") == "'+32 470"
    assert spreadsheet.csv_cell("Peeters") == "Peeters"


# --- 6. Open redirects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["/%09/evil.example/", "/%0A/evil.example/", "//evil.example/", "/\\evil.example/",
     "https://evil.example/", "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1"],
)  # fmt: skip
def test_login_never_redirects_off_the_site(client, make, target):
    make.user(Role.PROMOTOR, email="p@example.org")
    response = client.post(
        f"/login?next={target}", data={"email": "p@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and location.startswith("/")
    assert "\n" not in location and "\t" not in location


def test_login_keeps_a_local_next_page(client, make):
    make.user(Role.PROMOTOR, email="p@example.org")
    response = client.post(
        "/login?next=/archive?filter=reopened",
        data={"email": "p@example.org", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/archive?filter=reopened"


def test_the_language_switch_never_redirects_off_the_site(client):
    response = client.post("/language/en", data={"next": "/\t/evil.example/"})
    assert "evil" not in response.headers["Location"]
    response = client.post("/language/en", data={"next": "//evil.example/"})
    assert "evil" not in response.headers["Location"]


# --- 7. Sessions end at logout, password change and deactivation -----------------------------


def _copied_session(app, auth, role=Role.PROMOTOR):  # type: ignore[no-untyped-def]
    """A logged-in client, a second client holding a copy of its session cookie, the user id."""
    client = auth.as_role(role, email="copy@example.org")
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value, domain=cookie.domain)
    assert thief.get("/").status_code == 200
    with app.app_context():
        user_id = db.session.scalars(select(User.id).where(User.email == "copy@example.org")).one()
    return client, thief, user_id


def test_logout_ends_a_copied_session_cookie(app, auth):
    client, thief, _ = _copied_session(app, auth)
    client.post("/logout")
    assert thief.get("/").status_code == 302


def test_a_password_change_ends_every_session(app, auth):
    from app.auth.operations import set_password

    client, thief, user_id = _copied_session(app, auth)
    with app.app_context():
        set_password(Actor(None), db.session.get(User, user_id), "a brand new passphrase")
        db.session.commit()
    assert thief.get("/").status_code == 302
    assert client.get("/").status_code == 302


def test_deactivation_ends_every_session(app, auth):
    _, thief, user_id = _copied_session(app, auth)
    admin = auth.as_role(Role.ADMIN, branch=None)
    assert admin.post(f"/admin/users/{user_id}/active/0").status_code == 302
    assert thief.get("/").status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).active is False


def test_the_set_password_command_ends_sessions(app, auth):
    _, thief, _ = _copied_session(app, auth)
    result = app.test_cli_runner().invoke(
        args=["set-password", "copy@example.org", "--password", "another long passphrase"]
    )
    assert result.exit_code == 0, result.output
    assert thief.get("/").status_code == 302


# --- 11. Smaller leaks -----------------------------------------------------------------------


def test_an_unknown_address_costs_a_password_check_like_a_known_one(app, make, monkeypatch):
    from app.auth import operations

    make.user(Role.PROMOTOR, email="known@example.org")
    checked: list[str] = []
    real = operations.check_password_hash

    def counting(stored: str, password: str) -> bool:
        checked.append(stored)
        return real(stored, password)

    monkeypatch.setattr(operations, "check_password_hash", counting)
    with app.app_context():
        assert operations.check_login("known@example.org", "wrong password") is None
        assert operations.check_login("nobody@example.org", "wrong password") is None
    assert len(checked) == 2
    assert checked[0].split("$")[0] == checked[1].split("$")[0]  # the same method and cost


def _add(client, name: str, email: str, number: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/participants/",
        data={"add-name": name, "add-email": email, "add-national_number": number,
              "add-branch": "Gent"},
    )  # fmt: skip


def _page_after(client, response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_national_number_of_another_branch_is_answered_as_a_free_one(app, make, auth):
    """Issue 18 (9): a refusal for a number held in another branch told its promotor that the
    number exists somewhere. Now the answer is that of a free number (the same redirect, the
    same masked digits); the record waits for central support, and nothing names the other."""
    other = make.participant(
        branch="Antwerpen", name="Anke Elders", national_number="85.07.30-033.28"
    )
    client = auth.as_role(Role.PROMOTOR, english=True)
    free = _page_after(client, _add(client, "Free", "free@example.org", "90.02.15-123.70"))
    held = _page_after(client, _add(client, "Jan", "jan@example.org", "85.07.30-033.28"))
    for page in (free, held):
        assert "**.**.**-***." in page
        assert "cannot be used" not in page and "already exists" not in page
        assert (
            "Antwerpen" not in page and "Anke" not in page and f"/participants/{other}" not in page
        )
    assert held.replace("Jan", "X").count("flash") == free.replace("Free", "X").count("flash")
    with app.app_context():
        jan = db.session.scalars(select(Participant).where(Participant.name == "Jan")).one()
        assert jan.national_number_index is None and jan.national_number_conflict_index
        assert jan.masked_national_number == "**.**.**-***.28"
        jan_id = jan.id
    # Entered again in Gent, the number is Gent's own duplicate: named, so it can be merged.
    again = _add(client, "Jan 2", "jan2@example.org", "85073003328").get_data(as_text=True)
    assert "already exists" in again and f"/participants/{jan_id}" in again
    assert f"/participants/{other}" not in again


def test_central_support_sees_and_resolves_a_number_held_in_two_branches(app, make, auth):
    other = make.participant(
        branch="Antwerpen", name="Anke Elders", national_number="85.07.30-033.28"
    )
    promotor = auth.as_role(Role.PROMOTOR, english=True)
    _add(promotor, "Jan", "jan@example.org", "85.07.30-033.28")
    with app.app_context():
        jan = db.session.scalars(select(Participant.id).where(Participant.name == "Jan")).one()
    support = auth.as_role(Role.ADMIN, branch=None, english=True)
    listing = support.get("/participants/").get_data(as_text=True)
    assert 'id="held-elsewhere"' in listing and f"/participants/{jan}" in listing
    page = support.get(f"/participants/{jan}").get_data(as_text=True)
    assert 'id="number-held-elsewhere"' in page and f"/participants/{other}" in page
    # Nobody else is told: not the promotor, not the branch's own support.
    local_support = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    for client in (promotor, local_support):
        assert 'id="number-held-elsewhere"' not in client.get(f"/participants/{jan}").get_data(
            as_text=True
        )
        assert 'id="held-elsewhere"' not in client.get("/participants/").get_data(as_text=True)
        assert client.post(f"/participants/{jan}/national-number/keep").status_code == 403
    response = support.post(f"/participants/{jan}/national-number/keep")
    assert response.status_code == 302
    with app.app_context():
        kept = db.session.get(Participant, jan)
        assert kept.national_number_conflict_index is None and kept.masked_national_number
    assert 'id="held-elsewhere"' not in support.get("/participants/").get_data(as_text=True)


def test_a_number_held_elsewhere_is_taken_on_a_correction_too_and_named_to_central_users(
    app, make, auth
):
    make.participant(branch="Antwerpen", national_number="85.07.30-033.28")
    jan = make.participant(branch="Gent", name="Jan", email="jan@example.org")
    promotor = auth.as_role(Role.PROMOTOR, english=True)
    response = promotor.post(
        f"/participants/{jan}/edit",
        data={"edit-name": "Jan", "edit-email": "jan@example.org",
              "edit-national_number": "85.07.30-033.28"},
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Participant, jan).national_number_conflict_index
    # A central promotor sees every branch: the other record may be named to them.
    central = auth.as_role(Role.PROMOTOR, branch=None, english=True)
    page = _add(central, "Piet", "piet@example.org", "85.07.30-033.28").get_data(as_text=True)
    assert "already exists" in page


def test_a_document_is_served_with_the_extension_of_what_it_is(app, make, auth):
    from datetime import timedelta

    from tests.helpers.web import PAST, reopen

    session_id = make.session(PAST)
    person = make.participant()
    make.enrol(session_id, person)
    reopen(app, session_id)
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
    client = auth.as_role(Role.ADMIN, branch=None)
    response = client.post(
        f"/trainings/{training_id}/participants/{person}/justifications",
        data={
            "justify-kind": "doctor",
            "justify-sessions": str(session_id),
            "justify-handed_in": (PAST + timedelta(days=3)).isoformat(),
            "justify-document": (io.BytesIO(b"%PDF-1.4 fake"), "invoice.html"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        from app.models import Justification

        justification = db.session.scalars(select(Justification)).one()
        assert justification.document_name == "invoice.pdf"
        justification_id = justification.id
    download = client.get(f"/justifications/{justification_id}/document")
    assert "filename=invoice.pdf" in download.headers["Content-Disposition"]
    assert download.mimetype == "application/pdf"


def test_create_user_validates_the_address_as_the_login_form_does(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "not an address", "--role", "promotor", "--password", "x" * 12]
    )
    assert result.exit_code != 0
    assert "geen geldig e-mailadres" in result.output  # the command line speaks Dutch
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_wrong_method_answers_405_with_allow(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


# --- 12. The login limit per account ----------------------------------------------------------


class TestLoginLimits:
    @pytest.fixture
    def app_config(self) -> dict:
        return {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_LOGIN": "5 per minute",
            "RATELIMIT_LOGIN_ACCOUNT": "3 per minute",
        }

    def test_guesses_for_one_account_from_many_addresses_are_limited(self, app, make):
        make.user(Role.PROMOTOR, email="p@example.org")
        for n in range(3):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n}"
            response = client.post("/login", data={"email": "p@example.org", "password": "wrong!"})
            assert response.status_code == 200
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.0.99"
        response = client.post("/login", data={"email": "P@example.org", "password": PASSWORD})
        assert response.status_code == 429

    def test_successful_logins_do_not_count(self, app, make):
        make.user(Role.PROMOTOR, email="p@example.org")
        for _ in range(8):
            client = app.test_client()
            response = client.post("/login", data={"email": "p@example.org", "password": PASSWORD})
            assert response.status_code == 302


def test_a_merge_carries_a_number_held_elsewhere_to_the_kept_record_still_waiting(app, make, auth):
    from datetime import UTC, datetime

    from app.participants.operations.merging import merge_participants

    make.participant(branch="Antwerpen", national_number="85.07.30-033.28")
    promotor = auth.as_role(Role.PROMOTOR, english=True)
    _add(promotor, "Jan", "jan@example.org", "85.07.30-033.28")
    kept_id = make.participant(branch="Gent", name="Jan Peeters", email="jan.p@example.org")
    support_id = make.user(Role.ADMIN, None, email="central@example.org")
    with app.app_context():
        duplicate = db.session.scalars(select(Participant).where(Participant.name == "Jan")).one()
        kept = db.session.get(Participant, kept_id)
        support = Actor(db.session.get(User, support_id))
        merge_participants(support, kept, duplicate, datetime.now(UTC))
        db.session.commit()
        kept = db.session.get(Participant, kept_id)
        assert kept.national_number_conflict_index and kept.masked_national_number
        assert db.session.get(Participant, duplicate.id).national_number_conflict_index is None
