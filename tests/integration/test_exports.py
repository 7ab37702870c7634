"""The paper list printed from the registrations (docs/rules.md, "Paper list"); a project's export (CSV, XLSX) and
its submission."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.audit import Actor
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import AuditRecord, Project, Role, Session
from app.planning.operations import close_reopened_session
from tests.helpers.courses import MONDAYS, build_course, pdf_text
from tests.helpers.web import PAST, scan

RANGE = f"start={PAST.isoformat()}&end={(PAST + timedelta(days=30)).isoformat()}"


@pytest.fixture
def course(app, make):  # type: ignore[no-untyped-def]
    return build_course(app, make)


@pytest.fixture
def promotor(app, make, auth):  # type: ignore[no-untyped-def]
    """The exports' data in English (ISO dates, 3.00): test_the_export_reads_the_belgian_way
    covers the Dutch file."""
    return auth.as_role(Role.PROMOTOR, english=True)


def export_keys(app, rows):  # type: ignore[no-untyped-def]
    """The English headers and statuses of an export turned back into the row keys."""
    from flask_babel import force_locale

    from app.exports.operations import EXPORT_LABELS, STATUS_LABELS

    with app.test_request_context(), force_locale("en"):
        columns = {str(label): key for key, label in EXPORT_LABELS.items()}
        statuses = {str(label): key for key, label in STATUS_LABELS.items()}
    result = []
    for row in rows:
        keyed = {columns[name]: value for name, value in row.items()}
        keyed["status"] = statuses.get(keyed["status"], keyed["status"])
        result.append(keyed)
    return result


def project_id(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(Project.id))


def check_in_only(course, make) -> None:  # type: ignore[no-untyped-def]
    """Ben checks in on 26 January and never out: incomplete until someone resolves it."""
    scan(
        course["api"],
        course["sessions"][3],
        make.code(course["ben"]),
        datetime.combine(MONDAYS[3], time(9, 5), tzinfo=BRUSSELS),
    )


def close_all(app, session_ids) -> None:  # type: ignore[no-untyped-def]
    """Support closes the sessions it reopened for the test data: they lock again."""
    with app.app_context():
        for session_id in session_ids:
            close_reopened_session(
                Actor(None), db.session.get(Session, session_id), datetime.now(UTC)
            )
        db.session.commit()


def _row(lines: list[str], name: str) -> list[str]:
    return next(line for line in lines if line.startswith(name)).split()


def test_the_paper_list_is_printed_from_the_registrations(app, make, promotor, course):
    check_in_only(course, make)
    response = promotor.get(f"/trainings/{course['training']}/paper-list/0.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    lines = pdf_text(response.data).splitlines()
    assert _row(lines, "Anaïs Dubois")[2:] == ["X", "X", "X", "X"]
    # Ben: present, absent (justified: still A on paper), exempt (blank), incomplete (?).
    assert _row(lines, "Ben Peeters")[2:] == ["X", "A", "?"]
    assert _row(lines, "Lukasz Nowak")[2:] == ["-", "-", "X", "X"]  # enrolled late
    assert _row(lines, "Aantal aanwezig")[2:] == ["2", "1", "2", "2"]
    assert any(line.startswith("Paraaf opleider") for line in lines)
    text = pdf_text(response.data)
    assert "Handtekening van de opleider op het einde van de periode" in text
    assert "X = aanwezig" in text and "05/01/2026 tot en met 26/01/2026" in text


def test_lessons_still_to_come_stay_blank_on_the_paper_list(app, make, promotor):
    with app.app_context():
        today = datetime.now(UTC).astimezone(BRUSSELS).date()
    first = make.session(today + timedelta(days=1), time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    second = make.session(today + timedelta(days=8), time(9), time(12), training_id=training_id)
    person = make.participant(name="Cas Claes")
    make.enrol(first, person)
    make.enrol(second, person)
    lines = pdf_text(promotor.get(f"/trainings/{training_id}/paper-list/0.pdf").data).splitlines()
    assert _row(lines, "Cas Claes") == ["Cas", "Claes"]  # no mark invented
    assert _row(lines, "Aantal aanwezig")[2:] == ["0", "0"]


def test_a_trainer_prints_the_paper_list_of_their_own_training_only(app, make, course, auth):
    other_branch = auth.as_role(Role.PROMOTOR, branch="Brugge")
    assert other_branch.get(f"/trainings/{course['training']}/paper-list/0.pdf").status_code == 404
    trainer = auth.as_role(Role.TRAINER)
    assert trainer.get(f"/trainings/{course['training']}/paper-list/0.pdf").status_code == 404
    promotor = auth.as_role(Role.PROMOTOR)
    assert promotor.get(f"/trainings/{course['training']}/paper-list/9.pdf").status_code == 404


def test_the_csv_export_has_one_row_per_participant_per_session(app, make, promotor, course):
    check_in_only(course, make)
    response = promotor.get(f"/projects/{project_id(app)}/submission.csv?{RANGE}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = export_keys(
        app, csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";")
    )
    assert len(rows) == 3 * 4
    by = {(r["participant"], r["date"]): r for r in rows}
    first = by[("Anaïs Dubois", "2026-01-05")]
    assert (first["start"], first["end"], first["break"]) == ("09:00", "12:30", "10:30-11:00")
    assert (first["check_in"], first["check_out"]) == ("09:00", "12:30")  # Brussels time
    assert (first["hours_present"], first["planned_hours"], first["status"]) == (
        "3.00",
        "3.00",
        "present",
    )
    assert first["registrations"] == "in 09:00 scan; out 12:30 scan"
    statuses = {date: by[("Ben Peeters", date)]["status"] for date in map(str, MONDAYS)}
    assert statuses == {
        "2026-01-05": "present",
        "2026-01-12": "justified",
        "2026-01-19": "exempt",
        "2026-01-26": "incomplete",
    }
    assert by[("Ben Peeters", "2026-01-26")]["check_in"] == "09:05"
    assert by[("Ben Peeters", "2026-01-26")]["check_out"] == ""
    assert by[("Łukasz Nowak", "2026-01-05")]["status"] == "late_enrolment"
    assert by[("Ben Peeters", "2026-01-12")]["hours_present"] == "0.00"


def test_the_xlsx_export(app, promotor, course):
    response = promotor.get(f"/projects/{project_id(app)}/submission.xlsx?{RANGE}")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["Registrations"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Project", "Training", "Training code", "Session"]
    assert sheet.max_row == 1 + 12
    rows = export_keys(
        app,
        [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)],
    )
    anais = [r for r in rows if r["participant"] == "Anaïs Dubois"]
    assert [r["status"] for r in anais] == ["present"] * 4
    assert anais[0]["date"].date() == PAST and anais[0]["hours_present"] == 3.0
    assert anais[0]["check_in"] == "09:00" and anais[0]["check_out"] == "12:30"
    assert book["Info"]["B3"].value.date() == PAST


def test_a_range_outside_the_sessions_or_reversed(app, promotor, course):
    pid = project_id(app)
    empty = promotor.get(f"/projects/{pid}/submission.csv?start=2030-01-01&end=2030-01-31")
    assert empty.data.decode("utf-8-sig").strip().count("\n") == 0  # the header only
    reversed_ = promotor.get(f"/projects/{pid}/submission.csv?start=2026-02-01&end=2026-01-01")
    assert reversed_.status_code == 302


def test_submitting_marks_past_sessions_and_skips_open_ones(app, make, promotor, course):
    sessions = course["sessions"]
    close_all(app, sessions[:3])  # the last one stays reopened by support
    with app.app_context():
        today = datetime.now(UTC).astimezone(BRUSSELS).date()
    open_today = make.session(today, time(0, 0), time(23, 59), training_id=course["training"])
    pid = project_id(app)
    page = promotor.get(f"/projects/{pid}/submission?start={PAST}&end={today}").get_data(
        as_text=True
    )
    assert page.count('class="submission-ready"') == 3
    assert page.count('class="submission-reopened"') == 1
    assert page.count('class="submission-not_held"') + page.count('class="submission-open"') == 1

    response = promotor.post(
        f"/projects/{pid}/submission",
        data={"start": PAST.isoformat(), "end": today.isoformat()},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "3 sessies ingediend" in text or "3 sessions submitted" in text
    with app.app_context():
        submitted = {s.id: s.submitted_at is not None for s in db.session.scalars(select(Session))}
        audits = list(
            db.session.scalars(select(AuditRecord).where(AuditRecord.action.like("%submit%")))
        )
    assert [submitted[s] for s in sessions] == [True, True, True, False]
    assert submitted[open_today] is False
    assert sorted(a.object_id for a in audits if a.action == "session.submit") == sorted(
        sessions[:3]
    )
    [batch] = [a for a in audits if a.action == "project.submit_period"]
    assert batch.after["submitted"] == list(sessions[:3])
    assert batch.after["skipped"][str(sessions[3])] == "reopened"
    # A submitted session takes no more registrations.
    refused = course["api"].post(
        "/scans",
        {
            "session_id": sessions[1],
            "code": make.code(course["ben"]),
            "nonce": uuid.uuid4().hex,
            "scanned_at": datetime.combine(MONDAYS[1], time(10), tzinfo=BRUSSELS).isoformat(),
        },
    )
    assert refused.get_json()["error"] == "registration_closed"
    # Submitting again submits nothing new.
    again = promotor.post(
        f"/projects/{pid}/submission",
        data={"start": PAST.isoformat(), "end": today.isoformat()},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "0 sessies ingediend" in again or "0 sessions submitted" in again
    # The export marks what was submitted.
    rows = export_keys(
        app,
        csv.DictReader(
            io.StringIO(
                promotor.get(f"/projects/{pid}/submission.csv?{RANGE}").data.decode("utf-8-sig")
            ),
            delimiter=";",
        ),
    )
    assert {r["submitted_on"] for r in rows if r["date"] == "2026-01-05"} == {today.isoformat()}


def test_another_branch_gets_404(app, make, course, auth):
    pid = project_id(app)
    other = auth.as_role(Role.PROMOTOR, branch="Brugge")
    assert other.get(f"/projects/{pid}/submission?{RANGE}").status_code == 404
    assert other.get(f"/projects/{pid}/submission.csv?{RANGE}").status_code == 404
    assert other.get(f"/projects/{pid}/submission.xlsx?{RANGE}").status_code == 404
    response = other.post(
        f"/projects/{pid}/submission", data={"start": PAST.isoformat(), "end": "2026-02-01"}
    )
    assert response.status_code == 404
    with app.app_context():
        assert all(s.submitted_at is None for s in db.session.scalars(select(Session)))
    trainer = auth.as_role(Role.TRAINER)
    assert trainer.get(f"/projects/{pid}/submission.csv?{RANGE}").status_code in (403, 404)


def test_the_export_reads_the_belgian_way(app, make, course, auth):
    """In Dutch: headers in Dutch, dates dd/mm/yyyy, hours with a decimal comma, the status in
    words; the XLSX keeps real dates and numbers."""
    check_in_only(course, make)
    dutch = auth.as_role(Role.PROMOTOR)
    text = dutch.get(f"/projects/{project_id(app)}/submission.csv?{RANGE}").data.decode("utf-8-sig")
    header, *lines = text.splitlines()
    assert header.startswith("Project;Opleiding;Opleidingscode;Sessie;Datum;")
    anais = next(line for line in lines if "Anaïs Dubois" in line and "05/01/2026" in line)
    assert ";3,00;3,00;aanwezig;" in anais
    attendance = dutch.get(f"/trainings/{course['training']}/attendance.csv").data.decode(
        "utf-8-sig"
    )
    assert "Uren aanwezig" in attendance.splitlines()[0]
    assert ";ja;" in attendance or ";nee;" in attendance
    book = load_workbook(
        io.BytesIO(dutch.get(f"/projects/{project_id(app)}/submission.xlsx?{RANGE}").data)
    )
    sheet = book["Registraties"]
    assert sheet["E2"].is_date and sheet["E2"].number_format == "dd/mm/yyyy"
    assert isinstance(sheet["O2"].value, float)  # hours present, a number


def test_the_preview_warns_about_a_held_session_without_any_registration(app, make, course, auth):
    # A session of the same training the day after the first, held and locked, in which
    # nobody was registered: the preview says so before it is submitted.
    from datetime import time, timedelta

    from tests.helpers.web import PAST

    with app.app_context():
        from app.models import Session

        training_id = db.session.get(Session, course["sessions"][0]).training_id
    make.session(PAST + timedelta(days=1), time(9), time(12), training_id=training_id)
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = client.get(f"/projects/{project_id(app)}/submission?{RANGE}").get_data(as_text=True)
    assert "1 session to submit has no registration at all." in page
    assert page.count("nobody was registered in this session") == 1


def test_the_esf_export_carries_the_national_number_and_each_stay_with_its_clipped_hours(
    app, make, promotor, course
):
    """docs/rules.md, "ESF export": what seed 004 names for a time registration; the number
    decrypted for a planner only, and the export recorded."""
    ben = make.code(course["ben"])
    for hour, minute in ((8, 50), (10, 45), (11, 0), (12, 30)):
        moment = datetime.combine(MONDAYS[3], time(hour, minute), tzinfo=BRUSSELS)
        scan(course["api"], course["sessions"][3], ben, moment)
    response = promotor.get(f"/projects/{project_id(app)}/submission.csv?{RANGE}")
    assert response.status_code == 200
    rows = export_keys(
        app, csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";")
    )
    by = {(r["participant"], r["date"]): r for r in rows}
    anais = by[("Anaïs Dubois", "2026-01-05")]
    assert anais["national_number"] == "85.07.30-033.28"
    assert anais["training_code"] == "T1" and anais["project"].startswith("ESF-")
    assert anais["presence"] == "09:00-12:30 3.00"  # minus the half-hour break
    last = by[("Ben Peeters", "2026-01-26")]
    assert last["national_number"] == ""  # none recorded
    # In before the start and out during the break: each stay clipped, the break left out.
    assert last["presence"] == "08:50-10:45 1.50; 11:00-12:30 1.50"
    assert (last["check_in"], last["check_out"], last["hours_present"]) == (
        "08:50",
        "12:30",
        "3.00",
    )
    with app.app_context():
        [record] = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "project.export_registrations")
        ).all()
        assert record.after["format"] == "csv" and record.after["national_numbers"] == 1
        assert record.user_id is not None


def test_the_xlsx_export_has_the_same_new_columns(app, promotor, course):
    response = promotor.get(f"/projects/{project_id(app)}/submission.xlsx?{RANGE}")
    sheet = load_workbook(io.BytesIO(response.data))["Registrations"]
    header = [cell.value for cell in sheet[1]]
    for column in ("National register number", "Times present (in-out, hours)"):
        assert column in header
    numbers = {row[header.index("National register number")].value for row in sheet.iter_rows(2)}
    assert "85.07.30-033.28" in numbers


def test_only_planners_see_full_national_numbers(app, make, course):
    from app.exports.operations import national_numbers
    from app.models import User

    trainer = make.user(Role.TRAINER)
    promotor = make.user(Role.PROMOTOR)
    elsewhere = make.user(Role.PROMOTOR, branch="Brugge")
    people = {course["anais"], course["ben"]}
    with app.app_context():
        assert national_numbers(db.session.get(User, trainer), people) == {}
        assert national_numbers(db.session.get(User, elsewhere), people) == {}  # not in scope
        assert national_numbers(db.session.get(User, promotor), people) == {
            course["anais"]: "85.07.30-033.28"
        }


def test_the_registrations_column_names_their_kinds_in_the_users_language(app):
    """The kinds' labels were once shadowed by the justification kinds' (one name for both in
    app.reasons), so a Dutch export said "out" where it means "uit"."""
    from flask_babel import force_locale

    from app.models import Kind
    from app.reasons import kind_text

    with app.test_request_context(), force_locale("nl"):
        assert (kind_text(Kind.IN), kind_text(Kind.OUT), kind_text("out")) == ("in", "uit", "uit")
