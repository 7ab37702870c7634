"""Attendance in the web admin and API: roll call, late arrivals, incomplete registrations,
justified absences, exemptions, the front desk dashboard and the reports."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.audit import Actor
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import AuditRecord, Exemption, Role, Session, Source
from tests.helpers.attendance import PDF, justify, registrations
from tests.helpers.web import PAST, reopen, scan


@pytest.fixture
def class_today(make, today):  # type: ignore[no-untyped-def]
    session_id = make.session(today, time(0, 0), time(23, 59))
    people = [make.participant(name=name) for name in ("An", "Ben", "Cis")]
    for person in people:
        make.enrol(session_id, person)
    return session_id, people


def test_roll_call_everyone_present_by_default_untick_the_absent_then_confirm(
    app, make, class_today, auth
):
    session_id, (an, _ben, cis) = class_today
    client = auth.as_role(Role.PROMOTOR)
    page = client.get(f"/sessions/{session_id}/roll-call").get_data(as_text=True)
    assert len(re.findall(r'name="present"[^>]*checked>', page)) == 3
    confirm = client.post(
        f"/sessions/{session_id}/roll-call", data={"step": "save", "present": [an, cis]}
    )
    assert "Bevestigen" in confirm.get_data(as_text=True) or "Confirm" in confirm.get_data(
        as_text=True
    )
    assert registrations(app, session_id) == []  # saving alone writes nothing
    done = client.post(
        f"/sessions/{session_id}/roll-call", data={"step": "confirm", "present": [an, cis]}
    )
    assert done.status_code == 302
    written = registrations(app, session_id)
    # A check-in for each present participant and nothing more: never an invented check-out.
    assert {(r.participant_id, r.kind.value) for r in written} == {(an, "in"), (cis, "in")}
    assert all(r.source == Source.MANUAL for r in written)
    assert all(r.at <= datetime.now(UTC) for r in written)
    with app.app_context():
        assert db.session.scalar(
            select(AuditRecord.id).where(AuditRecord.action == "registration.create")
        )


def test_roll_call_leaves_exempted_and_already_scanned_participants_alone(
    app, make, class_today, auth
):
    session_id, (an, ben, cis) = class_today
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
        db.session.add(
            Exemption(
                training_id=training_id,
                participant_id=ben,
                session_id=session_id,
                reason="vrijgesteld",
            )
        )
        db.session.commit()
    api = make.api()
    scan(api, session_id, make.code(cis), datetime.now(UTC) - timedelta(minutes=5))
    client = auth.as_role(Role.PROMOTOR)
    client.post(
        f"/sessions/{session_id}/roll-call", data={"step": "confirm", "present": [an, ben, cis]}
    )
    kinds = sorted(
        (r.participant_id, r.kind.value, r.source.value) for r in registrations(app, session_id)
    )
    assert kinds == sorted([(an, "in", "manual"), (cis, "in", "scan")])


def test_roll_call_after_the_deadline_is_refused(app, make, auth):
    session_id = make.session(PAST, time(9), time(12))
    person = make.participant()
    make.enrol(session_id, person)
    client = auth.as_role(Role.PROMOTOR)
    response = client.post(
        f"/sessions/{session_id}/roll-call",
        data={"step": "confirm", "present": [person]},
        follow_redirects=True,
    )
    assert "afgesloten" in response.get_data(as_text=True)
    assert registrations(app, session_id) == []


def test_a_late_arrival_is_registered_afterwards(app, make, class_today, auth):
    session_id, (an, _, _) = class_today
    client = auth.as_role(Role.PROMOTOR)
    # 00:45, or the current minute when the day is younger: an arrival in the future is refused.
    now = datetime.now(UTC).astimezone(BRUSSELS).time().replace(second=0, microsecond=0)
    arrived = min(time(0, 45), now)
    client.post(
        f"/sessions/{session_id}/late-arrival",
        data={"late-participant": an, "late-arrived": arrived.strftime("%H:%M")},
    )
    [arrival] = registrations(app, session_id)  # no check-out is invented
    assert arrival.kind.value == "in" and arrival.at.astimezone(BRUSSELS).time() == arrived


def test_an_incomplete_registration_is_resolved_with_a_time_and_a_reason(
    app, make, class_today, auth
):
    session_id, (an, _, _) = class_today
    scan(
        make.api(),
        session_id,
        make.code(an),
        datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30),
    )
    client = auth.as_role(Role.PROMOTOR)
    assert "An" in client.get(f"/sessions/{session_id}/incomplete").get_data(as_text=True)
    left = (datetime.now(UTC) - timedelta(minutes=1)).astimezone(BRUSSELS).strftime("%H:%M")
    response = client.post(
        f"/sessions/{session_id}/incomplete",
        data={"participant": an, "left_at": left, "reason": ""},
    )
    assert response.status_code == 200  # the reason is required
    client.post(
        f"/sessions/{session_id}/incomplete",
        data={"participant": an, "left_at": left, "reason": "Forgot to scan out"},
    )
    correction = [r for r in registrations(app, session_id) if r.source == Source.CORRECTION]
    assert len(correction) == 1 and correction[0].reason == "Forgot to scan out"


def test_resolving_after_the_deadline_is_refused(app, make, auth):
    session_id = make.session(PAST, time(9), time(12))
    person = make.participant()
    make.enrol(session_id, person)
    reopen(app, session_id)
    scan(make.api(), session_id, make.code(person), datetime(2026, 1, 5, 9, 0, tzinfo=BRUSSELS))
    with app.app_context():
        from app.planning.operations import close_reopened_session

        close_reopened_session(Actor(None), db.session.get(Session, session_id), datetime.now(UTC))
        db.session.commit()
    client = auth.as_role(Role.PROMOTOR)
    client.post(
        f"/sessions/{session_id}/incomplete",
        data={"participant": person, "left_at": "12:00", "reason": "x"},
    )
    assert not [r for r in registrations(app, session_id) if r.source == Source.CORRECTION]


def test_the_report_shows_hours_percentages_and_thresholds(app, make, past_training, auth):
    client = auth.as_role(Role.PROMOTOR)
    page = client.get(f"/trainings/{past_training['training']}/attendance").get_data(as_text=True)
    assert "9,00" in page and "3,00" in page and "33,3 %" in page  # the Belgian way
    rows = {
        row["name"]: row
        for row in past_training["api"]
        .get(f"/trainings/{past_training['training']}/attendance")
        .get_json()["items"]
    }
    assert rows["An"]["present_hours"] == 9.0 and rows["An"]["exam_eligible"] is True
    assert rows["Ben"]["present_hours"] == 3.0 and rows["Ben"]["unjustified_hours"] == 6.0
    assert rows["Ben"]["exam_eligible"] is False


def test_csv_and_xlsx_contain_the_figures(app, make, past_training, auth):
    client = auth.as_role(Role.PROMOTOR)
    csv_text = client.get(f"/trainings/{past_training['training']}/attendance.csv").data.decode(
        "utf-8-sig"
    )
    assert "Ben;9,00;0,00;0,00;9,00;3,00;0,00;6,00" in csv_text  # decimal commas
    book = load_workbook(
        io.BytesIO(client.get(f"/trainings/{past_training['training']}/attendance.xlsx").data)
    )
    values = {row[1]: row for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert values["An"][6] == 9.0 and values["Ben"][8] == 6.0


def test_the_attendance_api_is_scoped_to_the_branch(app, make, past_training):
    other = make.api(Role.PROMOTOR, "Brugge")
    assert other.get(f"/trainings/{past_training['training']}/attendance").status_code == 404


def test_a_justification_on_day_14_is_accepted_and_counts(app, make, past_training, auth):
    client = auth.as_role(Role.PROMOTOR)
    response = justify(
        client,
        past_training["training"],
        past_training["ben"],
        past_training["sessions"][1],
        PAST + timedelta(days=21),
    )
    assert response.status_code == 302
    rows = {
        r["name"]: r
        for r in past_training["api"]
        .get(f"/trainings/{past_training['training']}/attendance")
        .get_json()["items"]
    }
    assert rows["Ben"]["justified_hours"] == 3.0 and rows["Ben"]["unjustified_hours"] == 3.0


def test_a_justification_on_day_15_is_refused_unless_support_overrides(
    app, make, past_training, auth
):
    client = auth.as_role(Role.PROMOTOR)
    late = PAST + timedelta(days=22)
    response = justify(
        client, past_training["training"], past_training["ben"], past_training["sessions"][1], late
    )
    assert response.status_code == 200 and "te laat" in response.get_data(as_text=True).lower()
    support = auth.as_role(Role.ADMIN, branch=None)
    response = justify(
        support, past_training["training"], past_training["ben"], past_training["sessions"][1], late,
        **{"justify-override_reason": "Hospitalised, note came late"},
    )  # fmt: skip
    assert response.status_code == 302


def test_a_justification_document_must_be_a_pdf_or_image_and_is_served_only_in_scope(
    app, make, past_training, auth
):
    client = auth.as_role(Role.PROMOTOR)
    bad = justify(
        client,
        past_training["training"],
        past_training["ben"],
        past_training["sessions"][1],
        PAST + timedelta(days=8),
        document=b"MZ\x90\x00 not a pdf",
    )
    assert bad.status_code == 200 and "PDF" in bad.get_data(as_text=True)
    justify(
        client,
        past_training["training"],
        past_training["ben"],
        past_training["sessions"][1],
        PAST + timedelta(days=8),
    )
    from app.models import Justification

    with app.app_context():
        justification_id = db.session.scalar(select(Justification.id))
    document = client.get(f"/justifications/{justification_id}/document")
    assert document.status_code == 200 and document.data == PDF
    other = auth.as_role(Role.PROMOTOR, branch="Brugge")
    assert other.get(f"/justifications/{justification_id}/document").status_code == 404
    trainer = auth.as_role(Role.TRAINER)
    assert trainer.get(f"/justifications/{justification_id}/document").status_code == 403


def test_an_exemption_takes_the_session_out_of_the_figures(app, make, past_training, auth):
    client = auth.as_role(Role.PROMOTOR)
    client.post(
        f"/trainings/{past_training['training']}/participants/{past_training['ben']}/exemptions",
        data={
            "exempt-session": past_training["sessions"][2],
            "exempt-reason": "Vrijstelling module 3",
        },
    )
    rows = {
        r["name"]: r
        for r in past_training["api"]
        .get(f"/trainings/{past_training['training']}/attendance")
        .get_json()["items"]
    }
    assert rows["Ben"]["exempted_hours"] == 3.0 and rows["Ben"]["counting_hours"] == 6.0


def test_the_front_desk_sees_which_sessions_have_no_registration_yet(app, make, today, auth):
    quiet = make.session(today, time(0, 0), time(0, 30))
    busy = make.session(today, time(0, 0), time(23, 59))
    person = make.participant(name="Dirk")
    make.enrol(busy, person)
    make.enrol(quiet, person)
    scan(make.api(), busy, make.code(person), datetime.now(UTC) - timedelta(minutes=1))
    client = auth.as_role(Role.FRONTDESK)
    page = client.get("/frontdesk").get_data(as_text=True)
    assert "1 / 1" in page
    now_local = datetime.now(UTC).astimezone(BRUSSELS)
    if now_local.time() >= time(0, 15):
        assert "needs-reminder" in page
