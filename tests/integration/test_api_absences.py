"""Justified absences through the API (app/api/absences.py): recorded with their document as
multipart/form-data under the web's 14-day rule and document checks, listed and read in scope,
the document downloaded, withdrawn once. Both databases."""

from __future__ import annotations

from datetime import time, timedelta
from io import BytesIO
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditRecord, Justification, Role
from tests.builders import Api
from tests.concurrency import same_time
from tests.helpers.web import PAST

PDF = b"%PDF-1.4 a doctor's note"


def _form(participant: int, sessions: list[int], handed_in, **extra):  # type: ignore[no-untyped-def]
    data = {
        "participant_id": str(participant),
        "session_ids": [str(i) for i in sessions],
        "kind": "doctor",
        "handed_in": handed_in.isoformat(),
        "document": (BytesIO(PDF), "briefje dokter.pdf"),
    }
    data.update(extra)
    return data


def _upload(api: Api, data: dict, **headers: str):  # type: ignore[no-untyped-def]
    return api.client.post(
        "/api/v1/justifications",
        data=data,
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {api.token}", **headers},
    )


def _stored(app) -> tuple[int, list[Path]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        from app.attendance.operations import upload_folder

        count = db.session.scalar(select(func.count()).select_from(Justification))
        folder = upload_folder()
        return count, sorted(folder.iterdir()) if folder.is_dir() else []


def _world(make, today):  # type: ignore[no-untyped-def]
    session_id = make.session(today, time(9), time(12))
    person = make.participant(name="Jana Ziek")
    make.enrol(session_id, person)
    return session_id, person


def test_a_promotor_records_a_justified_absence_with_its_document(app, make, today):
    session_id, person = _world(make, today)
    api = make.api(Role.PROMOTOR)

    created = _upload(api, _form(person, [session_id], today, note="griep"))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["participant_id"] == person and body["session_ids"] == [session_id]
    assert body["kind"] == "doctor" and body["note"] == "griep" and body["document"] is True
    assert body["document_name"] == "briefje_dokter.pdf"
    assert body["document_type"] == "application/pdf" and body["revoked_at"] is None

    document = api.get(f"/justifications/{body['id']}/document")
    assert document.status_code == 200 and document.data == PDF
    assert document.mimetype == "application/pdf"
    assert "no-store" in document.headers["Cache-Control"]
    assert api.get(f"/justifications/{body['id']}").get_json() == body
    with app.app_context():
        [record] = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "justification.create")
        ).all()
        assert record.object_id == body["id"] and record.participant_id == person
        assert record.after["sessions"] == [session_id]


def test_the_list_filters_by_participant_training_and_date(app, make, today):
    session_id, person = _world(make, today)
    other_session = make.session(today - timedelta(days=2), time(9), time(12))
    other = make.participant()
    make.enrol(other_session, other)
    api = make.api(Role.PROMOTOR)
    mine = _upload(api, _form(person, [session_id], today)).get_json()
    theirs = _upload(api, _form(other, [other_session], today)).get_json()
    with app.app_context():
        from app.models import Session

        training = db.session.get(Session, session_id).training_id

    def ids(**query):  # type: ignore[no-untyped-def]
        answer = api.get("/justifications", query_string=query).get_json()
        return [item["id"] for item in answer["items"]], answer["total"]

    assert ids() == ([mine["id"], theirs["id"]], 2)
    assert ids(participant_id=person) == ([mine["id"]], 1)
    assert ids(training_id=training) == ([mine["id"]], 1)
    assert ids(session_id=other_session) == ([theirs["id"]], 1)
    assert ids(date_from=today.isoformat()) == ([mine["id"]], 1)
    assert ids(date_to=(today - timedelta(days=1)).isoformat()) == ([theirs["id"]], 1)
    assert ids(per_page=1, page=2) == ([theirs["id"]], 2)
    assert api.get("/justifications?date_from=gisteren").status_code == 400


def test_a_wrong_or_too_large_document_is_refused_and_nothing_is_stored(
    app, make, today, monkeypatch
):
    session_id, person = _world(make, today)
    api = make.api(Role.PROMOTOR)

    html = _upload(
        api,
        _form(person, [session_id], today, document=(BytesIO(b"<html>x</html>"), "brief.pdf")),
        **{"Accept-Language": "en"},
    )
    assert html.status_code == 400
    assert html.get_json() == {
        "error": "bad_document",
        "message": "The document must be a PDF, PNG or JPEG file.",
    }
    # The limit made small here: a 5 MB body would be spooled to a file by the test client,
    # which it does not close (as in test_portal_absences).
    from app.attendance import operations

    monkeypatch.setattr(operations, "MAX_DOCUMENT_BYTES", len(PDF) + 10)
    big = BytesIO(PDF + b"0" * 11)
    too_large = _upload(api, _form(person, [session_id], today, document=(big, "groot.pdf")))
    assert too_large.status_code == 413
    assert too_large.get_json()["error"] == "document_too_large"
    assert "5 MB" in too_large.get_json()["message"]  # Dutch by default: "maximaal 5 MB"
    assert _stored(app) == (0, [])


def test_a_body_that_is_not_the_form_is_a_clear_400(app, make, today):
    session_id, person = _world(make, today)
    api = make.api(Role.PROMOTOR)
    as_json = api.post("/justifications", {"participant_id": person, "session_ids": [session_id]})
    assert as_json.status_code == 400 and as_json.get_json()["error"] == "invalid_request"
    no_sessions = _upload(api, {**_form(person, [], today)})
    assert no_sessions.status_code == 400 and no_sessions.get_json()["field"] == "session_ids"
    too_many = _upload(api, _form(person, list(range(1, 102)), today))
    assert too_many.status_code == 400 and too_many.get_json()["field"] == "session_ids"
    text_document = _upload(api, _form(person, [session_id], today, document="not a file"))
    assert text_document.status_code == 400 and text_document.get_json()["field"] == "document"
    bad_kind = _upload(api, _form(person, [session_id], today, kind="holiday"))
    assert bad_kind.status_code == 400 and bad_kind.get_json()["field"] == "kind"
    future = _upload(api, _form(person, [session_id], today + timedelta(days=1)))
    assert future.status_code == 400 and future.get_json()["error"] == "handed_in_future"
    assert _stored(app) == (0, [])


def test_the_sessions_must_be_the_participants_and_of_one_training(app, make, today):
    session_id, person = _world(make, today)
    not_enrolled = make.session(today, time(13), time(15))
    other_training = make.session(today, time(18), time(20))
    make.enrol(other_training, person)
    api = make.api(Role.PROMOTOR)
    missing = _upload(api, _form(person, [session_id, not_enrolled], today))
    assert missing.status_code == 404 and missing.get_json()["field"] == "session_ids"
    mixed = _upload(api, _form(person, [session_id, other_training], today))
    assert mixed.status_code == 400 and mixed.get_json()["error"] == "one_training"
    assert _stored(app)[0] == 0


def test_late_only_with_support_and_a_reason(app, make, today):
    session_id = make.session(PAST, time(9), time(12))
    person = make.participant()
    make.enrol(session_id, person)
    late = _upload(make.api(Role.PROMOTOR), _form(person, [session_id], today))
    assert late.status_code == 422 and late.get_json()["error"] == "justification_late"
    support = make.api(Role.ADMIN)
    without_reason = _upload(support, _form(person, [session_id], today))
    assert without_reason.status_code == 422
    accepted = _upload(support, _form(person, [session_id], today, override_reason="ziekenhuis"))
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["override_reason"] == "ziekenhuis"


def test_other_branches_and_roles_are_refused(app, make, today):
    session_id, person = _world(make, today)
    trainer = make.user(Role.TRAINER)
    mine = _upload(make.api(Role.PROMOTOR), _form(person, [session_id], today)).get_json()
    brugge = make.api(Role.PROMOTOR, "Brugge")
    assert _upload(brugge, _form(person, [session_id], today)).status_code == 404
    assert brugge.get(f"/justifications/{mine['id']}").status_code == 404
    assert brugge.get(f"/justifications/{mine['id']}/document").status_code == 404
    assert brugge.post(f"/justifications/{mine['id']}/revoke").status_code == 404
    assert brugge.get("/justifications").get_json()["items"] == []
    for api in (Api(app.test_client(), make.token(trainer)), make.api(Role.FRONTDESK)):
        assert _upload(api, _form(person, [session_id], today)).status_code == 403
        assert api.get("/justifications").status_code == 403
        assert api.get(f"/justifications/{mine['id']}/document").status_code == 403
    assert _stored(app)[0] == 1


def test_a_justification_without_document_has_none_to_download(app, make, today):
    session_id, person = _world(make, today)
    api = make.api(Role.PROMOTOR)
    data = _form(person, [session_id], today)
    del data["document"]
    created = _upload(api, data)
    assert created.status_code == 201 and created.get_json()["document"] is False
    assert api.get(f"/justifications/{created.get_json()['id']}/document").status_code == 404


def test_a_retried_upload_with_its_key_records_once(app, make, today):
    session_id, person = _world(make, today)
    api = make.api(Role.PROMOTOR)
    # Each request draws its own multipart boundary: the key still recognises the retry.
    first = _upload(api, _form(person, [session_id], today), **{"Idempotency-Key": "just-1"})
    again = _upload(api, _form(person, [session_id], today), **{"Idempotency-Key": "just-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == again.get_json()
    other = _upload(
        api, _form(person, [session_id], today, note="x"), **{"Idempotency-Key": "just-1"}
    )
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_reused"
    assert _stored(app)[0] == 1


def test_withdrawing_once_even_at_the_same_moment(app, make, today):
    session_id, person = _world(make, today)
    token = make.token(make.user(Role.PROMOTOR))
    created = _upload(Api(app.test_client(), token), _form(person, [session_id], today))
    justification = created.get_json()["id"]

    answers = same_time(
        2,
        lambda _i: Api(app.test_client(), token).post(f"/justifications/{justification}/revoke"),
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409], [a.get_json() for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.get_json()["error"] == "already_revoked"
    done = next(a for a in answers if a.status_code == 200).get_json()
    assert done["revoked_at"] is not None
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(AuditRecord.action == "justification.revoke")
            )
            == 1
        )
        # Withdrawn, not deleted: the record and its document stay.
        assert db.session.get(Justification, justification).document_path is not None


# --- Documents participants sent from the portal ---------------------------------------------


def _sent(app, person: int, session_id: int, today) -> int:  # type: ignore[no-untyped-def]
    """A document sent from the portal, on the operation the portal calls."""
    from app.audit import Actor
    from app.models import JustificationKind, Participant, Session
    from app.supervision.operations.documents import submit_justification

    with app.app_context():
        sent = submit_justification(
            Actor(None),
            db.session.get(Participant, person),
            [db.session.get(Session, session_id)],
            JustificationKind.DOCTOR,
            "ziek thuis",
            ("attest.pdf", PDF),
            today,
        )
        db.session.commit()
        return sent.id


def _audited(app, action: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).where(AuditRecord.action == action))


def test_a_promotor_accepts_a_document_sent_from_the_portal(app, make, today):
    session_id, person = _world(make, today)
    sent = _sent(app, person, session_id, today)
    api = make.api(Role.PROMOTOR, "Gent")

    listed = api.get("/justification-requests?state=waiting").get_json()
    assert [r["id"] for r in listed["items"]] == [sent] and listed["total"] == 1
    one = api.get(f"/justification-requests/{sent}").get_json()
    assert one["state"] == "waiting" and one["session_ids"] == [session_id]
    assert one["note"] == "ziek thuis" and one["justification_id"] is None
    document = api.get(f"/justification-requests/{sent}/document")
    assert document.status_code == 200 and document.data == PDF
    assert document.mimetype == "application/pdf"

    accepted = api.post(f"/justification-requests/{sent}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert body["state"] == "accepted" and body["decided_by"].endswith("@example.org")
    justification = api.get(f"/justifications/{body['justification_id']}").get_json()
    assert justification["participant_id"] == person and justification["document"] is True
    assert justification["handed_in"] == today.isoformat()
    assert _audited(app, "justification_request.accept") == 1
    assert _audited(app, "justification.create") == 1

    again = api.post(f"/justification-requests/{sent}/accept")
    assert again.status_code == 409 and again.get_json()["error"] == "already_decided"
    assert api.get("/justification-requests?state=waiting").get_json()["total"] == 0


def test_a_rejection_needs_its_reason(app, make, today):
    session_id, person = _world(make, today)
    sent = _sent(app, person, session_id, today)
    api = make.api(Role.PROMOTOR)
    no_reason = api.post(f"/justification-requests/{sent}/reject", {"reason": "  "})
    assert no_reason.status_code == 400 and no_reason.get_json()["field"] == "reason"
    rejected = api.post(f"/justification-requests/{sent}/reject", {"reason": "onleesbaar"})
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["state"] == "rejected"
    assert rejected.get_json()["reason"] == "onleesbaar"
    assert rejected.get_json()["justification_id"] is None
    assert _audited(app, "justification_request.reject") == 1
    assert _stored(app)[0] == 0


def test_accepting_and_rejecting_at_the_same_moment_decides_once(app, make, today):
    session_id, person = _world(make, today)
    sent = _sent(app, person, session_id, today)
    token = make.token(make.user(Role.PROMOTOR))

    def decide(i: int):  # type: ignore[no-untyped-def]
        api = Api(app.test_client(), token)
        if i == 0:
            return api.post(f"/justification-requests/{sent}/accept")
        return api.post(f"/justification-requests/{sent}/reject", {"reason": "te laat"})

    answers = same_time(2, decide)
    assert sorted(a.status_code for a in answers) == [200, 409], [a.get_json() for a in answers]
    decided = _audited(app, "justification_request.accept") + _audited(
        app, "justification_request.reject"
    )
    assert decided == 1
    assert _stored(app)[0] == _audited(app, "justification_request.accept")


def test_documents_of_another_branch_or_for_other_roles_are_refused(app, make, today):
    session_id, person = _world(make, today)
    sent = _sent(app, person, session_id, today)
    brugge = make.api(Role.PROMOTOR, "Brugge")
    assert brugge.get("/justification-requests").get_json()["total"] == 0
    for path in (f"/justification-requests/{sent}", f"/justification-requests/{sent}/document"):
        assert brugge.get(path).status_code == 404
    assert brugge.post(f"/justification-requests/{sent}/accept").status_code == 404
    reject = {"reason": "nee"}
    assert brugge.post(f"/justification-requests/{sent}/reject", reject).status_code == 404
    trainer = Api(app.test_client(), make.token(make.user(Role.TRAINER)))
    assert trainer.get("/justification-requests").status_code == 403
    assert trainer.post(f"/justification-requests/{sent}/accept").status_code == 403
    assert make.api(Role.PROMOTOR).get(f"/justification-requests/{sent}").get_json()["state"] == (
        "waiting"
    )
