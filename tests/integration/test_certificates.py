"""Certificates (rules 10 and 11), the paper list (rule 12) and the export and submission."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import Certificate, Project, Role, Session
from tests.integration.conftest import PAST, scan
from tests.integration.test_web_planning import log_in


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def promotor(app, make):  # type: ignore[no-untyped-def]
    return log_in(app, Role.PROMOTOR, make)


def issue(
    client,
    training: int,
    participant: int,
    kind: str = "diligence",
    period: str | None = PAST.isoformat(),
):  # type: ignore[no-untyped-def]
    data = {"participant_id": participant, "kind": kind}
    if period:
        data["period_start"] = period
    return client.post(f"/trainings/{training}/certificates", data=data)


def certificates(app) -> list[Certificate]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalars(select(Certificate).order_by(Certificate.id)).all()


def test_issuing_a_diligence_certificate_stores_the_pdf_and_its_figures(
    app, promotor, past_training
):
    issue(promotor, past_training["training"], past_training["ben"])
    [certificate] = certificates(app)
    assert certificate.figures["attendance"]["hours_present"] == "3.00"
    assert certificate.figures["attendance"]["unjustified_absence_hours"] == "6.00"
    text = pdf_text(certificate.pdf)
    for expected in (
        "Attest van nauwgezetheid nr.",
        "Ben",
        "beroepsgerichte vorming",
        "A: lesuren per jaar",
        "9.00",  # A: three sessions of three hours
        "Aanwezigheidstabel",
        "3.00",  # present
        "6.00",  # unjustified
        "05/01/2026",  # start date
        "Voortijdige stopzetting",
        "Stempel",
    ):
        assert expected in text, expected


def test_an_issued_certificate_never_changes(app, make, promotor, past_training):
    issue(promotor, past_training["training"], past_training["ben"])
    [before] = certificates(app)
    # Ben's third session gets a registration afterwards: the issued PDF must not move.
    scan(
        past_training["api"],
        past_training["sessions"][2],
        make.code(past_training["ben"]),
        datetime.combine(PAST + timedelta(days=14), time(9), tzinfo=BRUSSELS),
    )
    download = promotor.get(f"/certificates/{before.id}.pdf")
    assert download.data == before.pdf
    [after] = certificates(app)
    assert after.figures == before.figures


def test_a_correction_is_a_new_certificate_naming_the_old_one_and_why(app, promotor, past_training):
    issue(promotor, past_training["training"], past_training["ben"])
    [old] = certificates(app)
    promotor.post(f"/certificates/{old.id}/correct", data={"correct-reason": ""})
    assert len(certificates(app)) == 1  # a reason is required
    promotor.post(
        f"/certificates/{old.id}/correct", data={"correct-reason": "Doktersattest alsnog ontvangen"}
    )
    old_again, new = certificates(app)
    assert old_again.pdf == old.pdf and new.corrects_id == old.id
    text = pdf_text(new.pdf)
    assert f"vervangt attest nr. {old.id}" in text and "Doktersattest alsnog ontvangen" in text


def test_the_regular_enrolment_certificate(app, promotor, past_training):
    issue(
        promotor,
        past_training["training"],
        past_training["an"],
        kind="regular_enrolment",
        period=None,
    )
    [certificate] = certificates(app)
    text = pdf_text(certificate.pdf)
    assert "Attest van regelmatige inschrijving" in text and "An" in text


def test_the_list_shows_what_is_due_overdue_and_issued(app, promotor, past_training):
    issue(promotor, past_training["training"], past_training["an"])
    page = promotor.get(f"/trainings/{past_training['training']}/certificates").get_data(
        as_text=True
    )
    assert page.count("certificate-issued") == 1
    assert "certificate-overdue" in page  # the period ended in January: 8 days later it was overdue


def test_the_paper_list_is_printed_from_the_registrations(app, promotor, past_training):
    text = pdf_text(promotor.get(f"/trainings/{past_training['training']}/paper-list/0.pdf").data)
    lines = text.splitlines()
    an = next(line for line in lines if line.startswith("An"))
    ben = next(line for line in lines if line.startswith("Ben"))
    assert an.split()[-3:] == ["X", "X", "X"]
    assert ben.split()[-3:] == ["X", "A", "A"]
    counts = next(line for line in lines if line.startswith("Aantal aanwezig"))
    assert counts.split()[-3:] == ["2", "1", "1"]
    assert "Paraaf opleider" in text and "Handtekening" in text


def test_the_export_has_one_row_per_participant_per_session(app, promotor, past_training):
    with app.app_context():
        project_id = db.session.scalar(select(Project.id))
    query = f"start={PAST.isoformat()}&end={(PAST + timedelta(days=30)).isoformat()}"
    csv_text = promotor.get(f"/projects/{project_id}/export?{query}&format=csv").data.decode(
        "utf-8-sig"
    )
    rows = csv_text.strip().splitlines()
    assert len(rows) == 1 + 6
    assert any(";Ben;09:00;12:00;3.00;3.00;present;" in row for row in rows)
    assert any(";Ben;;;0.00;3.00;absent;" in row for row in rows)
    book = load_workbook(
        io.BytesIO(promotor.get(f"/projects/{project_id}/export?{query}&format=xlsx").data)
    )
    assert book.active.max_row == 7


def test_submitting_locks_past_sessions_and_skips_open_ones(
    app, make, promotor, past_training, today
):
    with app.app_context():
        project_id = db.session.scalar(select(Project.id))
        training_id = past_training["training"]
    open_session = make.session(today, time(0, 0), time(23, 59), training_id=training_id)
    response = promotor.post(
        f"/projects/{project_id}/export",
        data={"start": PAST.isoformat(), "end": today.isoformat()},
        follow_redirects=True,
    )
    assert "3 sessies ingediend" in response.get_data(
        as_text=True
    ) or "3 sessions submitted" in response.get_data(as_text=True)
    with app.app_context():
        states = {s.id: s.submitted_at is not None for s in db.session.scalars(select(Session))}
    assert states[open_session] is False and all(states[s] for s in past_training["sessions"])
    refused = past_training["api"].post(
        "/scans",
        {"session_id": past_training["sessions"][1], "code": make.code(past_training["ben"]), "nonce": "late-1",
         "scanned_at": datetime.combine(PAST + timedelta(days=7), time(10), tzinfo=BRUSSELS).isoformat()},
    )  # fmt: skip
    assert refused.get_json()["error"] == "registration_closed"


def test_another_branch_gets_404(app, make, promotor, past_training):
    issue(promotor, past_training["training"], past_training["an"])
    [certificate] = certificates(app)
    other = log_in(app, Role.PROMOTOR, make, branch="Brugge")
    assert other.get(f"/certificates/{certificate.id}.pdf").status_code == 404
    assert other.get(f"/trainings/{past_training['training']}/certificates").status_code == 404
    assert other.get(f"/trainings/{past_training['training']}/paper-list/0.pdf").status_code == 404
