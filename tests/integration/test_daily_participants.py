"""Correcting participants: edit, duplicates, unenrol, merge; every change audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from app.attendance.figures import training_figures
from app.extensions import db
from app.models import (
    AuditRecord,
    Enrolment,
    OutboxMail,
    Participant,
    Registration,
    Role,
    Session,
    TrainingEnrolment,
)
from app.scanning.service import effective_registrations
from tests.builders import future_monday


def _scan_now(make, session_id: int, person: int) -> None:
    response = make.api().post(
        "/scans", {"session_id": session_id, "code": make.code(person), "nonce": uuid.uuid4().hex}
    )
    assert response.status_code == 200, response.get_json()


def _mails(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMail))


def test_a_changed_email_sends_nothing_by_itself_and_offers_to_resend(app, make, auth):
    session_id = make.session(future_monday())
    person = make.participant(name="An", email="an@exampel.org")
    make.enrol(session_id, person)
    client = auth.as_role(Role.PROMOTOR, english=True)
    before = _mails(app)
    page = client.post(
        f"/participants/{person}/edit",
        data={"edit-name": "An Peeters", "edit-email": "an@example.org"},
    ).get_data(as_text=True)
    assert "The email address changed to an@example.org. Nothing was sent yet." in page
    assert _mails(app) == before
    assert client.post(f"/participants/{person}/resend").status_code == 302
    with app.app_context():
        last = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
        assert last.recipient == "an@example.org"
        (record,) = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "participant.change")
        ).all()
        assert record.before["email"] == "an@exampel.org" and record.after["name"] == "An Peeters"


def test_a_national_number_is_corrected_with_the_same_checks(app, make, auth):
    person = make.participant(national_number="85.07.30-033.28")
    make.participant(national_number="90.02.01-997.04")
    client = auth.as_role(Role.PROMOTOR, english=True)
    data = {"edit-name": "X", "edit-email": "x@example.org"}
    bad = client.post(
        f"/participants/{person}/edit", data={**data, "edit-national_number": "85.07.30-033.29"}
    ).get_data(as_text=True)
    assert "not valid" in bad
    taken = client.post(
        f"/participants/{person}/edit", data={**data, "edit-national_number": "90.02.01-997.04"}
    ).get_data(as_text=True)
    assert "already exists" in taken
    changed = client.post(
        f"/participants/{person}/edit", data={**data, "edit-national_number": "00.01.01-001.05"}
    ).get_data(as_text=True)
    assert "Participant changed." in changed
    with app.app_context():
        assert db.session.get(Participant, person).national_number_last2 == "05"


def test_a_second_participant_with_the_same_email_is_refused_with_a_link(app, make, auth):
    existing = make.participant(email="an@example.org")
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = client.post(
        "/participants/",
        data={"add-name": "An", "add-email": "AN@example.org", "add-branch": "Gent"},
    ).get_data(as_text=True)
    assert (
        'class="field-error">A participant with this email address already exists in this '
        f'branch. <a href="/participants/{existing}">Open the existing record</a>'
    ) in page


def test_an_import_reports_duplicates_by_line_and_skips_them(app, make, auth):
    import io

    make.participant(email="an@example.org")
    client = auth.as_role(Role.PROMOTOR, english=True)
    data = b"name,email\nAn,an@example.org\nBo,bo@example.org\nBo again,bo@example.org\n"
    page = client.post(
        "/participants/import",
        data={"import-file": (io.BytesIO(data), "people.csv"), "import-branch": "Gent"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Line 2:" in page and "Line 4:" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Participant)) == 2


def test_unenrol_from_a_session_without_registrations_and_refuse_it_with_them(
    app, make, today, auth
):
    held = make.session(today, time(0, 0), time(23, 59))
    training_id = _training(app, held)
    later = make.session(today + timedelta(days=7), training_id=training_id)
    person = make.participant(name="An")
    for session_id in (held, later):
        make.enrol(session_id, person)
    _scan_now(make, held, person)
    client = auth.as_role(Role.PROMOTOR, english=True)
    client.post(f"/participants/{person}/sessions/{held}/unenrol")
    client.post(f"/participants/{person}/sessions/{later}/unenrol")
    with app.app_context():
        left = db.session.scalars(
            select(Enrolment.session_id).where(Enrolment.participant_id == person)
        ).all()
        assert left == [held]
        deleted = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "enrolment.delete")
        ).all()
        assert [r.before["session_id"] for r in deleted] == [later]
    page = client.get(f"/participants/{person}").get_data(as_text=True)
    assert "An has registrations in this session" in page


def test_unenrol_from_a_whole_training(app, make, auth):
    monday = future_monday()
    first = make.session(monday)
    training_id = _training(app, first)
    second = make.session(monday + timedelta(days=7), training_id=training_id)
    person = make.participant()
    for session_id in (first, second):
        make.enrol(session_id, person)
    client = auth.as_role(Role.PROMOTOR)
    assert client.post(f"/participants/{person}/trainings/{training_id}/unenrol").status_code == 302
    with app.app_context():
        assert not db.session.scalars(
            select(Enrolment).where(Enrolment.participant_id == person)
        ).all()
        assert not db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.participant_id == person)
        ).all()


def _training(app, session_id: int) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(Session, session_id).training_id


def test_support_merges_a_duplicate_registrations_move_as_corrections(app, make, today, auth):
    held = make.session(today, time(0, 0), time(23, 59))
    training_id = _training(app, held)
    later = make.session(today + timedelta(days=7), training_id=training_id)
    kept = make.participant(name="An Peeters", email="an@example.org")
    duplicate = make.participant(
        name="An Peters", email="an.peters@example.org", national_number="85.07.30-033.28"
    )
    make.enrol(later, kept)
    make.enrol(held, duplicate)
    make.enrol(later, duplicate)
    _scan_now(make, held, duplicate)
    support = auth.as_role(Role.ADMIN, branch=None, english=True)
    promotor = auth.as_role(Role.PROMOTOR, english=True)
    assert (
        promotor.post(
            f"/participants/{kept}/merge", data={"merge-duplicate": duplicate}
        ).status_code
        == 403
    )
    response = support.post(f"/participants/{kept}/merge", data={"merge-duplicate": duplicate})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        gone = db.session.get(Participant, duplicate)
        assert gone.ended_at is not None and gone.merged_into_id == kept
        assert db.session.get(Participant, kept).national_number_last2 == "28"
        sessions = set(
            db.session.scalars(select(Enrolment.session_id).where(Enrolment.participant_id == kept))
        )
        assert sessions == {held, later}
        # The original registration stays, voided by a correction that carries it over.
        original = db.session.scalars(
            select(Registration).where(Registration.participant_id == duplicate)
        ).one()
        moved = db.session.scalars(effective_registrations(held, [kept])).one()
        assert (
            moved.voids_id == original.id
            and moved.at == original.at
            and moved.source.value == "correction"
        )
        assert not db.session.scalars(effective_registrations(held, [duplicate])).all()
        figures = training_figures(db.session.get(Session, held).training, datetime.now(UTC))
        assert [p.participant.id for p in figures.participants] == [kept]
    # The ended record is no longer listed, and its page says where it went.
    support.get(f"/participants/{kept}")  # shows (and so clears) the success message
    assert "An Peters" not in support.get("/participants/").get_data(as_text=True)
    assert f"merged into record #{kept}" in support.get(f"/participants/{duplicate}").get_data(
        as_text=True
    )


def test_a_merge_is_refused_when_both_have_registrations_in_one_session(app, make, today, auth):
    held = make.session(today, time(0, 0), time(23, 59))
    kept, duplicate = make.participant(), make.participant()
    for person in (kept, duplicate):
        make.enrol(held, person)
        _scan_now(make, held, person)
    support = auth.as_role(Role.ADMIN, branch=None, english=True)
    page = support.post(
        f"/participants/{kept}/merge", data={"merge-duplicate": duplicate}
    ).get_data(as_text=True)
    assert "Both records have registrations in the same session" in page
    with app.app_context():
        assert db.session.get(Participant, duplicate).ended_at is None


def test_an_import_enrols_each_row_in_the_chosen_training(app, make, auth):
    import io

    monday = future_monday()
    first = make.session(monday)
    training_id = _training(app, first)
    second = make.session(monday + timedelta(days=7), training_id=training_id)
    make.participant(email="bo@example.org")
    client = auth.as_role(Role.PROMOTOR, english=True)
    data = b"name,email\nAn,an@example.org\nBo,bo@example.org\nCis,not-an-address\n"
    page = client.post(
        "/participants/import",
        data={
            "import-file": (io.BytesIO(data), "people.csv"),
            "import-branch": "Gent",
            "import-enrol_in": f"training:{training_id}",
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "1 participant imported." in page and "Line 3:" in page and "Line 4:" in page
    with app.app_context():
        an = db.session.scalars(select(Participant.id).where(Participant.name == "An")).one()
        sessions = set(
            db.session.scalars(select(Enrolment.session_id).where(Enrolment.participant_id == an))
        )
        assert sessions == {first, second}
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 1  # An's QR code


def test_a_reissued_code_withdraws_the_waiting_mail_with_the_old_code(app, make, auth):
    from app.models import Job

    session_id = make.session(future_monday())
    person = make.participant(name="An")
    make.enrol(session_id, person)  # the first code mail waits (no mail server here)
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = client.get(f"/participants/{person}").get_data(as_text=True)
    assert "waiting to be sent since" in page
    listed = client.get("/participants/").get_data(as_text=True)
    assert "waiting to be sent" in listed
    assert client.post(f"/participants/{person}/reissue").status_code == 302
    with app.app_context():
        mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        old, new = mails
        assert old.job.finished_at is not None and old.sent_at is None
        assert "revoked" in old.job.last_error
        assert new.job.finished_at is None and new.job.payload["key_version"] == 2
        assert (
            db.session.scalar(
                select(func.count()).select_from(Job).where(Job.finished_at.is_(None))
            )
            == 1
        )
        actions = db.session.scalars(select(AuditRecord.action)).all()
        assert "mail.withdraw" in actions


def test_the_external_id_for_the_exchange_is_set_on_the_forms_and_in_the_api(app, make, auth):
    """How the branch's administration package knows a person: set when adding or editing,
    one person per id and branch (an incoming code must never land on two people), audited."""
    client = auth.as_role(Role.PROMOTOR, english=True)
    added = client.post(
        "/participants/",
        data={"add-name": "An", "add-email": "an@example.org", "add-external_id": " INF-1 ", "add-branch": "Gent"},
    )  # fmt: skip
    assert added.status_code == 302
    with app.app_context():
        an = db.session.scalars(
            select(Participant).where(Participant.email == "an@example.org")
        ).one()
        assert an.external_id == "INF-1"
        an_id = an.id
    page = client.get(f"/participants/{an_id}").get_data(as_text=True)
    assert 'id="external-id">INF-1<' in page
    bo = make.participant(name="Bo", email="bo@example.org")
    data = {"edit-name": "Bo", "edit-email": "bo@example.org"}
    taken = client.post(f"/participants/{bo}/edit", data={**data, "edit-external_id": "INF-1"})
    assert taken.status_code == 200
    assert "Another participant of this branch has this external id." in taken.get_data(
        as_text=True
    )
    assert client.post(f"/participants/{bo}/edit", data={**data, "edit-external_id": "INF-2"}).status_code == 302  # fmt: skip
    with app.app_context():
        assert db.session.get(Participant, bo).external_id == "INF-2"
        record = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "participant.change")
        ).one()
        assert record.before["external_id"] is None and record.after["external_id"] == "INF-2"
    api = make.api()
    created = api.post("/participants", {"name": "Cas", "email": "cas@example.org", "external_id": "INF-3"})  # fmt: skip
    assert created.status_code == 201 and created.get_json()["external_id"] == "INF-3"
    again = api.post("/participants", {"name": "Dirk", "email": "dirk@example.org", "external_id": "INF-3"})  # fmt: skip
    assert again.status_code == 409 and again.get_json()["field"] == "external_id"
    assert api.get(f"/participants/{an_id}").get_json()["external_id"] == "INF-1"
