"""Attendance, the cases around the roll call: late arrivals after a roll call, hand registrations
outside the window, the front desk at a fixed moment, early termination, revoked justifications,
documents and the number of queries behind the figures."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from app.attendance import operations as ops
from app.attendance.figures import training_figures
from app.domain.cutoff import BRUSSELS
from app.errors import Refusal
from app.extensions import db
from app.frontdesk.operations import frontdesk_lines
from app.models import (
    AuditRecord,
    Exemption,
    Justification,
    Registration,
    Role,
    Session,
    Source,
    Training,
    TrainingEnrolment,
    User,
)
from tests.helpers.attendance import at, call, effective, justify, registrations, run
from tests.helpers.preconditions import by_design
from tests.helpers.web import PAST, reopen, scan


@pytest.fixture
def held(app, make):  # type: ignore[no-untyped-def]
    """A reopened past session 9:00-12:00 (break 10:15-10:30) with An, Ben and Cis enrolled."""
    session_id = make.session(PAST, time(9), time(12), time(10, 15), time(10, 30))
    people = {name: make.participant(name=name) for name in ("An", "Ben", "Cis")}
    for person in people.values():
        make.enrol(session_id, person)
    reopen(app, session_id)
    promotor = make.user(Role.PROMOTOR, "Gent")
    return {"session": session_id, "promotor": promotor, **people}


def test_a_late_arrival_ticked_present_at_the_roll_call_corrects_the_check_in(app, held):
    call(app, held, "confirm_roll_call", [held["An"], held["Ben"]], at(10))
    call(app, held, "late_arrival", held["An"], at(9, 40), at(10, 5))
    assert effective(app, held["session"], held["An"]) == [("in", time(9, 40), "correction")]
    with app.app_context():
        correction = db.session.scalars(
            select(Registration).where(Registration.source == Source.CORRECTION)
        ).one()
        voided = db.session.get(Registration, correction.voids_id)
        assert voided.at.astimezone(BRUSSELS).time() == time(9) and voided.kind.value == "in"
        assert correction.reason == "late arrival"
        assert len(registrations(app, held["session"])) == 3  # nothing deleted or changed
    # Unticked at the roll call: an "in" at the arrival, and no check-out until they leave.
    call(app, held, "late_arrival", held["Cis"], at(9, 50), at(10, 5))
    assert effective(app, held["session"], held["Cis"]) == [("in", time(9, 50), "manual")]
    with pytest.raises(Refusal) as twice:
        call(app, held, "late_arrival", held["An"], at(9, 45), at(10, 6))
    assert twice.value.code == "already_registered"


def test_a_late_arrival_is_refused_for_a_scanned_exempted_or_future_case(app, make, held):
    scan(make.api(), held["session"], make.code(held["An"]), at(9, 5))
    with pytest.raises(Refusal) as scanned:
        call(app, held, "late_arrival", held["An"], at(9, 30), at(10))
    assert scanned.value.code == "already_registered"
    with pytest.raises(Refusal) as future:
        call(app, held, "late_arrival", held["Ben"], at(11), at(10))
    assert future.value.code == "future_time"
    with pytest.raises(Refusal) as outside:
        call(app, held, "late_arrival", held["Ben"], at(12, 30), at(13))
    assert outside.value.code == "outside_session"
    with app.app_context():
        session = db.session.get(Session, held["session"])
        db.session.add(
            Exemption(training_id=session.training_id, participant_id=held["Cis"], session=session)
        )
        db.session.commit()
    with pytest.raises(Refusal) as exempt:
        call(app, held, "late_arrival", held["Cis"], at(9, 30), at(10))
    assert exempt.value.code == "exempt"


def test_the_roll_call_is_refused_before_the_session_opens(app, held):
    with pytest.raises(Refusal) as early:
        call(app, held, "confirm_roll_call", [held["An"]], at(7))
    assert early.value.code == "too_early"
    assert registrations(app, held["session"]) == []


def test_a_locked_session_shows_why_and_offers_no_save(app, make, auth):
    session_id = make.session(PAST, time(9), time(12))
    make.enrol(session_id, make.participant(name="An"))
    client = auth.as_role(Role.PROMOTOR)
    page = client.get(f"/sessions/{session_id}/roll-call").get_data(as_text=True)
    assert "roll-call-closed" in page and "Bewaren" not in page
    saved = client.post(
        f"/sessions/{session_id}/roll-call", data={"step": "save", "present": []}
    ).get_data(as_text=True)
    assert "afgesloten" in saved and "Aanwezigheden bevestigen" not in saved


def test_an_incomplete_registration_cannot_be_closed_in_the_future_and_is_audited(app, make, held):
    scan(make.api(), held["session"], make.code(held["An"]), at(9))
    assert [e.participant.id for e in _incomplete(app, held)] == [held["An"]]
    with pytest.raises(Refusal) as future:
        call(app, held, "resolve_incomplete", held["An"], at(11), "Forgot", at(10))
    assert future.value.code == "future_time"
    with pytest.raises(Refusal) as no_reason:
        call(app, held, "resolve_incomplete", held["An"], at(11), "  ", at(13))
    assert no_reason.value.code == "reason_required"
    call(app, held, "resolve_incomplete", held["An"], at(11), "Forgot", at(13))
    assert _incomplete(app, held) == []
    assert effective(app, held["session"], held["An"]) == [
        ("in", time(9), "scan"),
        ("out", time(11), "correction"),
    ]
    with app.app_context():
        closing = db.session.scalars(
            select(Registration.id).where(Registration.source == Source.CORRECTION)
        ).one()
        record = db.session.scalars(
            select(AuditRecord).where(
                AuditRecord.action == "registration.create", AuditRecord.object_id == closing
            )
        ).one()
        assert record.after["source"] == "correction" and record.after["reason"] == "Forgot"
        assert record.user_id == held["promotor"]


def _incomplete(app, held):  # type: ignore[no-untyped-def]
    with app.app_context():
        return ops.incomplete(db.session.get(Session, held["session"]))


def test_the_front_desk_highlights_sessions_past_their_break_without_registrations(app, make):
    with_break = make.session(PAST, time(9), time(12), time(10, 15), time(10, 30))
    no_break = make.session(PAST, time(13), time(16))
    rolled = make.session(PAST, time(9), time(12))
    elsewhere = make.session(PAST, time(9), time(12), branch="Brugge")
    people = [make.participant(name=name) for name in ("An", "Ben")]
    for session_id in (with_break, no_break, rolled):
        for person in people:
            make.enrol(session_id, person)
        reopen(app, session_id)
    make.enrol(elsewhere, make.participant(branch="Brugge"))
    frontdesk = make.user(Role.FRONTDESK, "Gent")
    run(
        app,
        make.user(Role.PROMOTOR, "Gent"),
        lambda actor: ops.confirm_roll_call(
            actor, db.session.get(Session, rolled), [ops.RollCallLine(people[0], True)], at(9, 30)
        ),
    )

    def lines(now):  # type: ignore[no-untyped-def]
        with app.app_context():
            today, found = frontdesk_lines(db.session.get(User, frontdesk), now)
            assert today == PAST
            return {line.session.id: line for line in found}

    before_break = lines(at(10, 10))
    assert set(before_break) == {with_break, no_break, rolled}  # not the other branch
    assert not any(line.needs_reminder for line in before_break.values())
    after_break = lines(at(10, 16))
    assert after_break[with_break].needs_reminder
    assert not after_break[rolled].needs_reminder
    # The roll call writes no check-out: An stays in until someone records that she left.
    assert after_break[rolled].checked_in == 1 and after_break[rolled].enrolled == 2
    assert lines(at(12, 30))[rolled].checked_in == 1
    assert not lines(at(14, 29))[no_break].needs_reminder
    assert lines(at(14, 30))[no_break].needs_reminder


def test_the_front_desk_page_marks_the_reminder(app, make, today, auth):
    now = datetime.now(UTC).astimezone(BRUSSELS)
    if now.time() < time(0, 20):
        by_design("before 00:20 Brussels time no session of today started 20 minutes ago")
    start = (now - timedelta(minutes=20)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    if end <= start:
        end = time(23, 59)
    session_id = make.session(today, start, end)
    make.enrol(session_id, make.participant(name="Dirk"))
    client = auth.as_role(Role.FRONTDESK)
    page = client.get("/frontdesk").get_data(as_text=True)
    assert "needs-reminder" in page and "0 / 1" in page
    trainer = auth.as_role(Role.TRAINER)
    assert trainer.get("/frontdesk").status_code == 403


def test_sessions_after_an_early_termination_leave_the_figures(app, make, past_training):
    with app.app_context():
        enrolment = db.session.scalars(
            select(TrainingEnrolment).where(
                TrainingEnrolment.participant_id == past_training["ben"]
            )
        ).one()
        enrolment.terminated_on = PAST + timedelta(days=3)
        db.session.commit()
        ben = _figures(past_training)["Ben"]
    assert [line.session.id for line in ben.sessions] == [past_training["sessions"][0]]
    assert ben.figures.unjustified == timedelta(0) and ben.exam_eligible


def _figures(past_training):  # type: ignore[no-untyped-def]
    training = db.session.get(Training, past_training["training"])
    report = training_figures(training, datetime.now(UTC))
    return {p.participant.name: p for p in report.participants}


def test_the_figures_take_a_fixed_number_of_queries(app, make, past_training):
    def queries() -> int:
        count = 0

        def seen(*_args):  # type: ignore[no-untyped-def]
            nonlocal count
            count += 1

        with app.app_context():
            db.session.expire_all()
            event.listen(db.engine, "before_cursor_execute", seen)
            try:
                _figures(past_training)
            finally:
                event.remove(db.engine, "before_cursor_execute", seen)
        return count

    small = queries()
    day = PAST + timedelta(days=21)
    more = [
        make.session(
            day + timedelta(days=i), time(9), time(12), training_id=past_training["training"]
        )
        for i in range(3)
    ]
    for session_id in more:
        for _ in range(3):
            make.enrol(session_id, make.participant())
    # The training itself, then nine (one of them the approved e-learning hours).
    assert queries() == small <= 10


def test_a_revoked_justification_counts_as_unjustified_again(app, make, past_training, auth):
    client = auth.as_role(Role.PROMOTOR)
    justify(
        client,
        past_training["training"],
        past_training["ben"],
        past_training["sessions"][1],
        PAST + timedelta(days=10),
    )
    with app.app_context():
        justification_id = db.session.scalar(select(Justification.id))
        assert _figures(past_training)["Ben"].figures.justified == timedelta(hours=3)
    trainer = auth.as_role(Role.TRAINER)
    assert trainer.post(f"/justifications/{justification_id}/revoke").status_code == 403
    response = client.post(
        f"/justifications/{justification_id}/revoke",
        data={"training_id": past_training["training"]},
    )
    assert response.status_code == 302
    with app.app_context():
        assert _figures(past_training)["Ben"].figures.justified == timedelta(0)
        assert db.session.get(Justification, justification_id).revoked_at is not None
        assert db.session.scalar(
            select(AuditRecord.id).where(AuditRecord.action == "justification.revoke")
        )


def test_a_hand_in_date_in_the_future_is_refused(app, make, past_training, auth):
    client = auth.as_role(Role.PROMOTOR)
    tomorrow = datetime.now(UTC).astimezone(BRUSSELS).date() + timedelta(days=1)
    response = justify(
        client,
        past_training["training"],
        past_training["ben"],
        past_training["sessions"][1],
        tomorrow,
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Justification.id)) is None


def test_a_document_is_downloaded_as_an_attachment_and_too_large_ones_are_refused(
    app, make, past_training, auth
):
    client = auth.as_role(Role.PROMOTOR)
    big = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024)
    # follow_redirects: only then does the test client close the body it spooled to a file.
    response = client.post(
        f"/trainings/{past_training['training']}/participants/{past_training['ben']}/justifications",
        data={
            "justify-kind": "doctor",
            "justify-sessions": [past_training["sessions"][1]],
            "justify-handed_in": (PAST + timedelta(days=8)).isoformat(),
            "justify-document": (io.BytesIO(big), "attest.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "5 MB" in response.get_data(as_text=True)
    response.close()
    with app.app_context():
        assert db.session.scalar(select(Justification.id)) is None
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    justify(
        client,
        past_training["training"],
        past_training["ben"],
        past_training["sessions"][1],
        PAST + timedelta(days=8),
        document=png,
    )
    with app.app_context():
        justification = db.session.scalars(select(Justification)).one()
        assert justification.document_type == "image/png"
        stored = ops.upload_folder() / justification.document_path
        assert stored.read_bytes() == png
        assert stored.resolve().is_relative_to(Path(app.instance_path).resolve())
    document = client.get(f"/justifications/{justification.id}/document")
    assert document.status_code == 200 and document.data == png
    assert document.headers["Content-Disposition"].startswith("attachment")
    assert document.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in document.headers["Cache-Control"]


def test_the_xlsx_shows_exemptions_late_enrolment_and_paid_leave(app, make, past_training, auth):
    with app.app_context():
        enrolment = db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.participant_id == past_training["an"])
        ).one()
        enrolment.enrolled_on = PAST + timedelta(days=1)  # late: misses the first session
        enrolment.paid_leave = True
        db.session.commit()
    client = auth.as_role(Role.PROMOTOR)
    client.post(
        f"/trainings/{past_training['training']}/participants/{past_training['ben']}/exemptions",
        data={
            "exempt-session": 0,
            "exempt-minutes": 90,
            "exempt-reason": "EVC",
        },
    )
    book = load_workbook(
        io.BytesIO(client.get(f"/trainings/{past_training['training']}/attendance.xlsx").data)
    )
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    rows = {
        row[1]: dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    an, ben = rows["An"], rows["Ben"]  # the Dutch interface: Dutch headings, ja and nee
    assert an["Uren gemist door late inschrijving"] == 3.0 and an["Uren die tellen"] == 6.0
    assert an["Uren aanwezig"] == 6.0 and an["Aanwezigheid %"] == 100.0
    assert an["Betaald educatief verlof"] == "ja" and an["Behoudt educatief verlof"] == "ja"
    assert ben["Uren vrijgesteld"] == 1.5 and ben["Uren die tellen"] == 7.5
    assert ben["Uren ongewettigd afwezig"] == 6.0 and ben["Mag examen afleggen"] == "nee"
    assert ben["Betaald educatief verlof"] == "nee" and not ben["Behoudt educatief verlof"]
    api = past_training["api"].get(f"/trainings/{past_training['training']}/attendance")
    items = {item["name"]: item for item in api.get_json()["items"]}
    assert items["An"]["late_enrolment_hours"] == 3.0 and items["An"]["keeps_paid_leave"] is True
    assert items["Ben"]["exempted_hours"] == 1.5 and items["Ben"]["keeps_paid_leave"] is None
