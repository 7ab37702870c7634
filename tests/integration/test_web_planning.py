"""The web admin through the test client: planning, participants, enrolment, scope, support."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Enrolment, Participant, Project, Role, Session, Training
from tests.builders import PASSWORD


def count(app, model) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def plan(app, client, today: date) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    response = client.post("/projects", data={"name": "Excel", "number": "ESF-7", "branch": "Gent"})
    assert response.status_code == 302
    with app.app_context():
        project_id = db.session.scalar(select(Project.id))
    response = client.post(
        f"/projects/{project_id}", data={"name": "Excel 1", "code": "XL", "mode": "classroom"}
    )
    assert response.status_code == 302
    with app.app_context():
        training_id = db.session.scalar(select(Training.id))
    response = client.post(
        f"/trainings/{training_id}",
        data={
            "day": today.isoformat(),
            "start": "09:00",
            "end": "12:00",
            "location": "Room 1",
            "trainer": "0",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        session_id = db.session.scalar(select(Session.id))
    return project_id, training_id, session_id


def test_a_promotor_plans_a_project_training_and_session(app, make, today, auth):
    client = auth.as_role(Role.PROMOTOR)
    _, training_id, session_id = plan(app, client, today)
    page = client.get(f"/trainings/{training_id}").get_data(as_text=True)
    assert "Excel 1" in page and "09:00" in page
    assert client.get(f"/sessions/{session_id}").status_code == 200


def test_an_overlapping_session_is_refused_with_the_other_named(app, make, today, auth):
    client = auth.as_role(Role.PROMOTOR)
    _, training_id, session_id = plan(app, client, today)
    response = client.post(
        f"/trainings/{training_id}",
        data={"day": today.isoformat(), "start": "11:00", "end": "13:00", "trainer": "0"},
    )
    assert response.status_code == 200
    assert f"#{session_id}" in response.get_data(as_text=True)
    assert count(app, Session) == 1


def test_adding_a_participant_with_a_bad_national_number_says_so(app, make, auth):
    client = auth.as_role(Role.PROMOTOR)
    response = client.post(
        "/participants/",
        data={
            "add-name": "An",
            "add-email": "an@example.org",
            "add-national_number": "85.07.30-033.29",
            "add-branch": "Gent",
        },
    )
    assert response.status_code == 200
    assert count(app, Participant) == 0
    response = client.post(
        "/participants/",
        data={
            "add-name": "An",
            "add-email": "an@example.org",
            "add-national_number": "85.07.30-033.28",
            "add-branch": "Gent",
        },
    )
    assert response.status_code == 302
    assert "**.**.**-***.28" in client.get("/participants/").get_data(as_text=True)


def test_a_csv_import_keeps_the_good_rows_and_names_the_bad_line(app, make, auth):
    client = auth.as_role(Role.PROMOTOR)
    csv_text = "name;email;national_number\nAn;an@example.org;85.07.30-033.28\nBen;not-an-email;\nCis;cis@example.org;\n"
    response = client.post(
        "/participants/import",
        data={
            "import-file": (io.BytesIO(csv_text.encode()), "people.csv"),
            "import-branch": "Gent",
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "2 participants imported" in page or "2 deelnemers" in page
    assert "Line 3" in page or "Regel 3" in page
    assert count(app, Participant) == 2


def test_an_xlsx_import(app, make, auth):
    client = auth.as_role(Role.PROMOTOR)
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "email", "national_number"])
    sheet.append(["Lotte", "lotte@example.org", "02.03.15-123.04"])
    buffer = io.BytesIO()
    book.save(buffer)
    client.post(
        "/participants/import",
        data={
            "import-file": (io.BytesIO(buffer.getvalue()), "people.xlsx"),
            "import-branch": "Gent",
        },
        content_type="multipart/form-data",
    )
    assert count(app, Participant) == 1


def test_enrolling_in_every_session_of_a_training(app, make, today, auth):
    client = auth.as_role(Role.PROMOTOR)
    _, training_id, _ = plan(app, client, today)
    client.post(
        f"/trainings/{training_id}",
        data={
            "day": (today + timedelta(days=7)).isoformat(),
            "start": "09:00",
            "end": "12:00",
            "trainer": "0",
        },
    )
    participant = make.participant(name="Jan")
    response = client.post(
        f"/trainings/{training_id}/enrol", data={"enrol-participants": [str(participant)]}
    )
    assert response.status_code == 302
    assert count(app, Enrolment) == 2
    with app.app_context():
        session_id = db.session.scalar(select(Session.id).order_by(Session.day))
    assert "Jan" in client.get(f"/sessions/{session_id}").get_data(as_text=True)


def test_another_branch_gets_404_for_every_page(app, make, today, auth):
    gent = auth.as_role(Role.PROMOTOR)
    project_id, training_id, session_id = plan(app, gent, today)
    participant = make.participant()
    brugge = auth.as_role(Role.PROMOTOR, branch="Brugge")
    for path in (
        f"/projects/{project_id}",
        f"/trainings/{training_id}",
        f"/sessions/{session_id}",
        f"/sessions/{session_id}/roster.json",
        f"/participants/{participant}",
        f"/participants/{participant}/qr.png",
    ):
        assert brugge.get(path).status_code == 404, path
    assert (
        brugge.post(
            f"/sessions/{session_id}/enrol", data={"enrol-participants": [str(participant)]}
        ).status_code
        == 404
    )


def test_a_trainer_sees_only_their_own_sessions(app, make, today):
    trainer_id = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    own = make.session(today, time(9), time(12), trainer_id=trainer_id)
    other = make.session(today, time(13), time(16))
    client = app.test_client()
    client.post("/login", data={"email": "tom@example.org", "password": PASSWORD})
    assert client.get(f"/sessions/{own}").status_code == 200
    assert client.get(f"/sessions/{other}").status_code == 404
    assert client.get("/projects").status_code == 403


def test_support_reopens_a_locked_session_only_with_a_reason(app, make, auth):
    session_id = make.session(date(2026, 1, 5), time(9), time(12))
    client = auth.as_role(Role.ADMIN, branch=None)
    client.post(f"/sessions/{session_id}/reopen", data={"reopen-reason": ""})
    with app.app_context():
        assert db.session.get(Session, session_id).reopened_at is None
    client.post(
        f"/sessions/{session_id}/reopen", data={"reopen-reason": "Scanner broke, paper list"}
    )
    with app.app_context():
        session = db.session.get(Session, session_id)
        assert session.reopened and session.reopen_reason == "Scanner broke, paper list"
    page = client.get("/archive?filter=reopened").get_data(as_text=True)
    assert "05/01/2026" in page and "Scanner broke, paper list" in page


def test_a_promotor_cannot_reopen(app, make, auth):
    session_id = make.session(date(2026, 1, 5), time(9), time(12))
    client = auth.as_role(Role.PROMOTOR)
    assert (
        client.post(f"/sessions/{session_id}/reopen", data={"reopen-reason": "x"}).status_code
        == 403
    )


def test_revealing_the_national_number_is_recorded(app, make, auth):
    participant = make.participant(national_number="85.07.30-033.28")
    client = auth.as_role(Role.PROMOTOR)
    page = client.get(f"/participants/{participant}").get_data(as_text=True)
    assert "85.07.30-033.28" not in page and "**.**.**-***.28" in page
    page = client.post(f"/participants/{participant}/reveal").get_data(as_text=True)
    assert "85.07.30-033.28" in page
    from app.models import AuditRecord

    with app.app_context():
        actions = db.session.scalars(select(AuditRecord.action)).all()
    assert "participant.reveal_national_number" in actions


class TestCsrf:
    @pytest.fixture
    def app_config(self) -> dict:
        return {"WTF_CSRF_ENABLED": True}

    def test_a_form_post_without_the_token_is_refused(self, app, make):
        make.user(Role.PROMOTOR, "Gent", email="p@example.org")
        client = app.test_client()
        response = client.post("/login", data={"email": "p@example.org", "password": PASSWORD})
        assert response.status_code == 400


def test_a_training_records_the_data_its_certificates_need(app, make, auth):
    client = auth.as_role(Role.PROMOTOR)
    client.post("/projects", data={"name": "Excel", "number": "ESF-7", "branch": "Gent"})
    with app.app_context():
        project_id = db.session.scalar(select(Project.id))
    client.post(
        f"/projects/{project_id}",
        data={
            "name": "Boekhouding",
            "mode": "classroom",
            "kind": "vocational",
            "joint_committee": "200",
            "joint_committee_date": "2025-09-01",
        },
    )
    with app.app_context():
        training = db.session.scalars(select(Training)).one()
        assert training.joint_committee == "200" and training.joint_committee_date == date(
            2025, 9, 1
        )


def test_the_certificate_data_can_be_changed_later_and_the_change_is_audited(
    app, make, today, auth
):
    from app.models import AuditRecord, TrainingKind

    session_id = make.session(today)
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
    client = auth.as_role(Role.PROMOTOR)
    response = client.post(
        f"/trainings/{training_id}/details",
        data={
            "details-kind": "general",
            "details-recognition_number": " ERK-123 ",
            "details-exam_date": "2026-06-30",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        training = db.session.get(Training, training_id)
        assert training.kind == TrainingKind.GENERAL
        assert training.recognition_number == "ERK-123"
        assert training.exam_date == date(2026, 6, 30)
        record = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "training.change")
        ).one()
        assert record.after["recognition_number"] == "ERK-123"
    page = client.get(f"/trainings/{training_id}").get_data(as_text=True)
    assert "ERK-123" in page

    bad = client.post(f"/trainings/{training_id}/details", data={"details-exam_date": "31/02"})
    assert bad.status_code == 200
    with app.app_context():
        assert db.session.get(Training, training_id).exam_date == date(2026, 6, 30)
    trainer = auth.as_role(Role.TRAINER)
    assert trainer.post(
        f"/trainings/{training_id}/details", data={"details-kind": "vocational"}
    ).status_code in (403, 404)
