"""The same hours everywhere: one participant with a late arrival, an early departure, a
justified absence and an approved e-learning report has the same hours present, justified
and unjustified on the attendance page, their own page, the CSV and XLSX, the API, the paper
list, the diligence certificate and the portal; switching the training to whole lessons changes
them everywhere alike."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.attendance.operations import record_justification, update_training_enrolment
from app.attendance.reports import COLUMNS
from app.audit import Actor
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import (
    Certificate,
    JustificationKind,
    Participant,
    Role,
    Session,
    Training,
    TrainingEnrolment,
    TrainingMode,
)
from app.supervision.operations import selfreports
from tests.helpers.courses import pdf_text
from tests.helpers.portal import link_supervisor, portal_client
from tests.helpers.web import PAST, reopen, scan

MONDAYS = [PAST + timedelta(days=7 * week) for week in range(4)]  # 5, 12, 19, 26 January 2026
NAME = "Chloé Janssens"
EMAIL = "chloe@example.org"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BRUSSELS)


@pytest.fixture
def chloe(app, make):  # type: ignore[no-untyped-def]
    """Four evenings 18:00-21:00 with a break 19:30-19:45 (2.75 h each) of an e-learning
    training that also has sessions; Chloé is on paid leave and

    - arrives at 18:20 on 5 January (2 h 25 present, 20 min unjustified; present per lesson),
    - leaves at 20:30 on 12 January (2 h 15 present, 30 min unjustified; present per lesson),
    - is absent with a doctor's note on 19 January (2.75 h justified),
    - attends the whole of 26 January (2.75 h),
    - reports 2 hours of e-learning on 5 January, approved by her supervisor.
    """
    first = make.session(MONDAYS[0], time(18), time(21), time(19, 30), time(19, 45))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    sessions = [first] + [
        make.session(day, time(18), time(21), time(19, 30), time(19, 45), training_id=training_id)
        for day in MONDAYS[1:]
    ]
    person = make.participant(name=NAME, email=EMAIL)
    for session_id in sessions:
        make.enrol(session_id, person)
        reopen(app, session_id)
    with app.app_context():
        training = db.session.get(Training, training_id)
        training.mode = TrainingMode.ELEARNING  # sessions and reported hours (test data)
        enrolment = db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.training_id == training_id)
        ).one()
        update_training_enrolment(Actor(None), enrolment, PAST, True, None)
        record_justification(
            Actor(None),
            db.session.get(Participant, person),
            [db.session.get(Session, sessions[2])],
            JustificationKind.DOCTOR,
            MONDAYS[2] + timedelta(days=1),
            "griep",
            None,
            None,
        )
        db.session.commit()
    api = make.api()
    code = make.code(person)
    for session_id, day, came, left in (
        (sessions[0], MONDAYS[0], (18, 20), (21, 0)),
        (sessions[1], MONDAYS[1], (18, 0), (20, 30)),
        (sessions[3], MONDAYS[3], (17, 55), (21, 5)),
    ):
        scan(api, session_id, code, _at(day, *came))
        scan(api, session_id, code, _at(day, *left))
    link_supervisor(app, person, "Sara Baas", "sara@example.org")
    with app.app_context():
        report = selfreports.report_hours(
            Actor(None),
            db.session.get(Training, training_id),
            db.session.get(Participant, person),
            MONDAYS[0],
            time(9),
            time(11),
            None,
            "Module 1",
            _at(MONDAYS[0], 22),
        )
        selfreports.decide(
            Actor(None), "sara@example.org", [report.id], True, "", _at(MONDAYS[0], 23)
        )
        db.session.commit()
    return {"training": training_id, "participant": person, "api": api}


def _cell(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text).strip()


def from_attendance_page(client, training: int) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    page = client.get(f"/trainings/{training}/attendance").get_data(as_text=True)
    row = next(r for r in page.split("<tr") if NAME in r)
    numbers = [_cell(c) for c in re.findall(r'<td class="num">(.*?)</td>', row)]
    # Hours given, present, justified, unjustified, exempted, late enrolment, e-learning, lessons
    return numbers[1], numbers[2], numbers[3]


def from_participant_page(client, training: int, person: int) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    page = client.get(f"/trainings/{training}/participants/{person}").get_data(as_text=True)
    found = {
        key: _cell(re.search(rf'<dd id="hours-{key}">(.*?)</dd>', page).group(1))  # type: ignore[union-attr]
        for key in ("present", "justified", "unjustified")
    }
    return found["present"], found["justified"], found["unjustified"]


KEYS = [key for key, _ in COLUMNS]


def from_csv(client, training: int) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    data = client.get(f"/trainings/{training}/attendance.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    row = next(r for r in rows[1:] if r[KEYS.index("name")] == NAME)
    return tuple(  # type: ignore[return-value]
        row[KEYS.index(k)] for k in ("present_hours", "justified_hours", "unjustified_hours")
    )


def from_xlsx(client, training: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    book = load_workbook(io.BytesIO(client.get(f"/trainings/{training}/attendance.xlsx").data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    row = next(r for r in rows[1:] if r[KEYS.index("name")] == NAME)
    return tuple(  # type: ignore[return-value]
        float(row[KEYS.index(k)]) for k in ("present_hours", "justified_hours", "unjustified_hours")
    )


def from_api(api, training: int) -> dict:  # type: ignore[no-untyped-def]
    answer = api.get(f"/trainings/{training}/attendance").get_json()
    (item,) = answer["items"]
    return {"method": answer["hours_method"], **item}


def from_paper_list(client, training: int) -> list[str]:  # type: ignore[no-untyped-def]
    text = pdf_text(client.get(f"/trainings/{training}/paper-list/0.pdf").data)
    # The hours per participant: name, present, justified, unjustified, of which e-learning.
    line = next(line for line in text.splitlines() if line.startswith("Chlo") and "," in line)
    return line.split()[-4:]


def from_portal(app, training: int) -> str:  # type: ignore[no-untyped-def]
    return portal_client(app, EMAIL).get(f"/portal/trainings/{training}").get_data(as_text=True)


def from_certificate(app, client, training: int, person: int) -> dict:  # type: ignore[no-untyped-def]
    client.post(
        f"/trainings/{training}/certificates",
        data={"participant_id": person, "kind": "diligence", "period_start": PAST.isoformat()},
    )
    with app.app_context():
        certificate = db.session.scalars(
            select(Certificate).order_by(Certificate.id.desc())
        ).first()
        assert certificate is not None, "the certificate was not issued"
        return {**certificate.figures["attendance"], "text": pdf_text(certificate.pdf)}


def test_every_page_file_and_certificate_shows_the_same_hours(app, make, chloe, auth):
    promotor = auth.as_role(Role.PROMOTOR)
    training, person = chloe["training"], chloe["participant"]
    # Present: 2 h 25 + 2 h 15 + 2 h 45 + 2 h e-learning = 9 h 25; justified 2 h 45;
    # unjustified 20 + 30 min = 50 min.
    dutch = ("9,42", "2,75", "0,83")
    assert from_attendance_page(promotor, training) == dutch
    assert from_participant_page(promotor, training, person) == dutch
    assert from_csv(promotor, training) == dutch
    assert from_xlsx(promotor, training) == (9.42, 2.75, 0.83)
    api = from_api(chloe["api"], training)
    assert (api["present_hours"], api["justified_hours"], api["unjustified_hours"]) == (
        9.42,
        2.75,
        0.83,
    )
    assert api["method"] == api["hours_method"] == "registered"
    assert api["self_reported_hours"] == 2.0
    assert (api["lessons_present"], api["lessons_counting"]) == (3, 4)  # late, early: still X
    [period] = api["paid_leave_periods"]  # one period: at most three months
    assert (period["start"], period["end"]) == ("2026-01-05", "2026-01-26")
    assert period["unjustified_hours"] == 0.83 and period["keeps_paid_leave"] is True
    assert from_paper_list(promotor, training) == [*dutch, "2,00"]
    portal = from_portal(app, training)
    assert all(f"{value} u" in portal for value in dutch)  # Dutch writes "u", not "h"
    # The attest van nauwgezetheid counts contact hours only (seed 002: "zelfstudie telt niet
    # mee"): the same hours without the 2 approved e-learning hours.
    certificate = from_certificate(app, promotor, training, person)
    assert (certificate["present"], certificate["justified"], certificate["unjustified"]) == (
        "7.42",
        "2.75",
        "0.83",
    )
    assert all(value in certificate["text"] for value in ("7,42", "2,75", "0,83"))
    assert "Aanwezige uren: de geregistreerde tijd" in " ".join(certificate["text"].split())


def test_whole_lessons_change_the_hours_everywhere_alike(app, make, chloe, auth):
    promotor = auth.as_role(Role.PROMOTOR)
    training, person = chloe["training"], chloe["participant"]
    with app.app_context():
        db.session.get(Training, training).hours_method = "lessons"
        db.session.commit()
    # The late evening and the early departure count as lessons present: 3 x 2.75 + 2.
    lessons = ("10,25", "2,75", "0,00")
    assert from_attendance_page(promotor, training) == lessons
    assert from_participant_page(promotor, training, person) == lessons
    assert from_csv(promotor, training) == lessons
    assert from_xlsx(promotor, training) == (10.25, 2.75, 0.0)
    api = from_api(chloe["api"], training)
    assert (api["present_hours"], api["unjustified_hours"], api["hours_method"]) == (
        10.25,
        0.0,
        "lessons",
    )
    assert from_paper_list(promotor, training) == [*lessons, "2,00"]
    assert "per les" in pdf_text(promotor.get(f"/trainings/{training}/paper-list/0.pdf").data)
    page = promotor.get(f"/trainings/{training}/attendance").get_data(as_text=True)
    assert "uren aanwezig: per les" in page
    portal = from_portal(app, training)
    assert all(f"{value} u" in portal for value in lessons)
    certificate = from_certificate(app, promotor, training, person)
    assert certificate["present"] == "8.25" and certificate["unjustified"] == "0.00"  # contact
    assert "Aanwezige uren per les" in " ".join(certificate["text"].split())


def test_the_hours_method_is_set_on_the_training_form_and_in_the_api(app, make, chloe, auth):
    from app.models import AuditRecord

    promotor = auth.as_role(Role.PROMOTOR)
    training = chloe["training"]
    page = promotor.get(f"/trainings/{training}").get_data(as_text=True)
    assert "uren aanwezig: geregistreerde tijd" in page  # the default, said on the training
    response = promotor.post(
        f"/trainings/{training}/details",
        data={"details-kind": "vocational", "details-hours_method": "lessons"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Training, training).hours_method == "lessons"
        record = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "training.change")
        ).one()
        assert (record.before["hours_method"], record.after["hours_method"]) == (
            "registered",
            "lessons",
        )
    bad = promotor.post(
        f"/trainings/{training}/details",
        data={"details-kind": "vocational", "details-hours_method": "minutes"},
    )
    assert bad.status_code == 200  # refused on the form, nothing changed
    with app.app_context():
        assert db.session.get(Training, training).hours_method == "lessons"
    api = chloe["api"]
    assert api.get(f"/trainings/{training}").get_json()["hours_method"] == "lessons"
    with app.app_context():
        project_id = db.session.get(Training, training).project_id
    created = api.post(
        "/trainings", {"project_id": project_id, "name": "Per les", "hours_method": "lessons"}
    )
    assert created.status_code == 201 and created.get_json()["hours_method"] == "lessons"
    default = api.post("/trainings", {"project_id": project_id, "name": "Standaard"})
    assert default.get_json()["hours_method"] == "registered"
    refused = api.post(
        "/trainings", {"project_id": project_id, "name": "Fout", "hours_method": "minutes"}
    )
    assert refused.status_code == 400 and refused.get_json()["field"] == "hours_method"


def test_paid_leave_periods_only_for_participants_on_paid_leave(app, make, chloe, auth):
    training = chloe["training"]
    promotor = auth.as_role(Role.PROMOTOR)
    page = promotor.get(f"/trainings/{training}/participants/{chloe['participant']}")
    # On leave, under its regime's name (betaald educatief verlof: the default).
    assert "Betaald educatief verlof per lesperiode" in page.get_data(as_text=True)
    with app.app_context():
        enrolment = db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.training_id == training)
        ).one()
        update_training_enrolment(Actor(None), enrolment, PAST, False, None)
        db.session.commit()
    item = from_api(chloe["api"], training)
    assert item["paid_leave"] is False and item["paid_leave_periods"] == []
    assert item["keeps_paid_leave"] is None
    page = promotor.get(f"/trainings/{training}/participants/{chloe['participant']}")
    assert "per lesperiode" not in page.get_data(as_text=True)
