"""Participants on the web: adding one, importing a file, the participant page and its actions."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditRecord, OutboxMail, Participant, Role
from app.participants.importing import parse_rows


def count(app, model) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def names(app) -> list[str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return sorted(db.session.scalars(select(Participant.name)))


def upload(client, name: str, data: bytes, branch: str = "Gent"):  # type: ignore[no-untyped-def]
    return client.post(
        "/participants/import",
        data={"import-file": (io.BytesIO(data), name), "import-branch": branch},
        content_type="multipart/form-data",
    )


def xlsx(*rows) -> bytes:  # type: ignore[no-untyped-def]
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def add(client, **fields):  # type: ignore[no-untyped-def]
    data = {"add-name": "An", "add-email": "an@example.org", "add-branch": "Gent"}
    data.update({f"add-{k}": v for k, v in fields.items()})
    return client.post("/participants/", data=data)


# --- Adding one --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"national_number": "85.07.30-033.29"}, "national_number", "not valid"),
        ({"national_number": "1234"}, "national_number", "not valid"),
        ({"email": "not-an-email"}, "email", "not a valid email address"),
        ({"name": "  "}, "name", "Give the participant's name."),
        ({"branch": "Nowhere"}, "branch", ""),
    ],
)
def test_a_bad_participant_is_refused_next_to_the_field(app, make, fields, field, message, auth):
    client = auth.as_role(Role.PROMOTOR, english=True)
    response = add(client, **fields)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="add-{field}-errors"' in page and message in page
    assert count(app, Participant) == 0


def test_a_duplicate_national_number_is_refused_and_the_form_stays_filled(app, make, auth):
    make.participant(national_number="85.07.30-033.28")
    client = auth.as_role(Role.PROMOTOR, english=True)
    response = add(client, name="An Twee", national_number="85073003328")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "already exists" in page
    assert 'value="An Twee"' in page
    assert count(app, Participant) == 1


def test_a_participant_is_added_and_shown_masked(app, make, auth):
    client = auth.as_role(Role.PROMOTOR, english=True)
    response = add(client, national_number="85.07.30-033.28")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "**.**.**-***.28" in page and "85.07.30" not in page
    assert "85.07.30" not in client.get("/participants/").get_data(as_text=True)


# --- Importing ---------------------------------------------------------------------------------


def test_a_csv_import_reports_every_bad_line_and_keeps_the_good_rows(app, make, auth):
    make.participant(national_number="85.07.30-033.28")
    client = auth.as_role(Role.PROMOTOR, english=True)
    csv_text = (
        "Name,E-mail,National number\n"
        "Ann,ann@example.org,90.02.15-123.70\n"
        "Bob,bob@,\n"
        "\n"
        "Cas,cas@example.org,85.07.30-033.28\n"  # the number exists already
        ",dirk@example.org,\n"
        "Eva,eva@example.org,\n"
        "Fien,fien@example.org,90.02.15-123.70\n"  # the same number twice in the file
    )
    response = upload(client, "people.csv", csv_text.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 participants imported." in page
    for line in (3, 5, 6, 8):
        assert f"Line {line}:" in page
    assert "Line 2:" not in page and "Line 7:" not in page
    assert names(app) == ["Ann", "Eva", "Participant 1"]


def test_an_xlsx_import_puts_back_the_leading_zero_of_a_number_typed_as_a_number(app, make, auth):
    client = auth.as_role(Role.PROMOTOR, english=True)
    data = xlsx(
        ("naam", "email", "rijksregisternummer"),
        ("Lotte", "lotte@example.org", 2031512304),  # 02.03.15-123.04 typed as a number
        ("Mo", "mo@example.org", None),
    )
    page = upload(client, "people.xlsx", data).get_data(as_text=True)
    assert "2 participants imported." in page
    assert "**.**.**-***.04" in client.get("/participants/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("people.xlsx", b"not a workbook", "not a readable XLSX file"),
        ("people.csv", b"", "The file is empty."),
        ("people.csv", b"\n\n", "The file is empty."),
        ("people.csv", b"first;last\nAn;Peeters\n", "The first row must name the columns"),
        ("people.csv", b"name;email\n", "no participants below the header row"),
        ("people.txt", b"name;email\nAn;an@example.org\n", "Only CSV or XLSX files."),
        ("people.csv", b"\x00\x01\x02name", "not a readable CSV file"),
    ],
)
def test_an_unreadable_file_is_refused_next_to_the_file_field(app, make, name, data, message, auth):
    client = auth.as_role(Role.PROMOTOR, english=True)
    response = upload(client, name, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="import-file-errors"' in page and message in page
    assert count(app, Participant) == 0


def test_a_file_for_another_branch_is_refused(app, make, auth):
    make.user(Role.PROMOTOR, "Brugge")
    client = auth.as_role(Role.PROMOTOR, english=True)
    response = upload(client, "people.csv", b"name,email\nAn,an@example.org\n", branch="Brugge")
    assert response.status_code == 200 and 'id="import-branch-errors"' in response.get_data(
        as_text=True
    )
    assert count(app, Participant) == 0


def test_parse_rows_is_pure_and_reads_each_dialect():
    assert parse_rows("a.csv", b"name\temail\nAn\tan@example.org\n") == [
        (2, {"name": "An", "email": "an@example.org", "national_number": ""})
    ]
    rows = parse_rows("a.csv", "\ufeffName;Email;NRN\r\nJosé;j@example.org;0203151230\r\n".encode())
    assert rows == [
        (2, {"name": "José", "email": "j@example.org", "national_number": "00203151230"})
    ]
    assert (
        parse_rows("a.csv", "name,email\nZoë,z@example.org\n".encode("cp1252"))[0][1]["name"]
        == "Zoë"
    )
    rows = parse_rows(
        "a.xlsx", xlsx(("email", "name"), ("x@example.org", "X"), (), ("y@example.org", "Y"))
    )
    assert [(n, r["name"]) for n, r in rows] == [(2, "X"), (4, "Y")]


# --- The participant page ----------------------------------------------------------------------


def test_resend_and_reissue_queue_mail_and_are_audited(app, make, today, auth):
    session_id = make.session(today)
    person = make.participant(email="an@example.org")
    make.enrol(session_id, person)
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = client.get(f"/participants/{person}").get_data(as_text=True)
    assert "data-confirm" in page and f"/participants/{person}/reissue" in page
    assert count(app, OutboxMail) == 1
    page = client.post(f"/participants/{person}/resend", follow_redirects=True).get_data(
        as_text=True
    )
    assert "queued again" in page
    old = client.get(f"/participants/{person}/qr.png").data
    page = client.post(f"/participants/{person}/reissue", follow_redirects=True).get_data(
        as_text=True
    )
    assert "old code is revoked" in page
    assert count(app, OutboxMail) == 3
    new = client.get(f"/participants/{person}/qr.png")
    assert new.status_code == 200 and new.mimetype == "image/png" and new.data != old
    assert new.headers["Cache-Control"] == "private, no-store"
    with app.app_context():
        actions = db.session.scalars(select(AuditRecord.action)).all()
        assert db.session.get(Participant, person).key_version == 2
    assert "participant.code_resend" in actions and "participant.code_reissue" in actions


def test_revealing_is_for_planners_and_is_not_cached(app, make, auth):
    person = make.participant(national_number="85.07.30-033.28")
    client = auth.as_role(Role.ADMIN, branch=None)
    response = client.post(f"/participants/{person}/reveal")
    assert "85.07.30-033.28" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    frontdesk = auth.as_role(Role.FRONTDESK)
    assert frontdesk.post(f"/participants/{person}/reveal").status_code == 403
    assert frontdesk.get(f"/participants/{person}/qr.png").status_code == 403


def test_the_list_searches_on_name_and_email(app, make, auth):
    make.participant(name="An Peeters", email="an@example.org")
    make.participant(name="Ben Claes", email="ben@example.org")
    make.participant(name="Cis Brugge", branch="Brugge")
    client = auth.as_role(Role.PROMOTOR)
    page = client.get("/participants/?q=peet").get_data(as_text=True)
    assert "An Peeters" in page and "Ben Claes" not in page
    page = client.get("/participants/?q=BEN@").get_data(as_text=True)
    assert "Ben Claes" in page and "An Peeters" not in page
    assert "Cis Brugge" not in client.get("/participants/").get_data(as_text=True)


def test_a_search_takes_underscore_and_percent_as_typed(app, make, auth):
    make.participant(name="Jan Peeters", email="jan_peeters@example.org")
    make.participant(name="Jos Aerts", email="janXpeeters@example.org")
    client = auth.as_role(Role.PROMOTOR)
    page = client.get("/participants/?q=jan_p").get_data(as_text=True)
    assert "Jan Peeters" in page and "Jos Aerts" not in page
    assert "Jan Peeters" not in client.get("/participants/?q=%25").get_data(as_text=True)


def test_a_row_with_a_control_character_is_reported_and_the_rest_imported(app, make, auth):
    client = auth.as_role(Role.PROMOTOR, english=True)
    csv_text = "name,email\nA\x01n,an@example.org\nBo,bo@example.org\n"  # a NUL would refuse the whole file
    page = upload(client, "people.csv", csv_text.encode()).get_data(as_text=True)
    assert "Line 2: Remove the invisible control characters from this field." in page
    assert names(app) == ["Bo"]
