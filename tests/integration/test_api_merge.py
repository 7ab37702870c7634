"""Merging duplicate participant records through the API: support only, with the web's checks,
locks and audit (registrations carried over as corrections). Both databases."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditRecord, Enrolment, Participant, Registration, Role, Session
from app.scanning.service import effective_registrations
from tests.builders import Api
from tests.concurrency import same_time
from tests.helpers.web import scan_now as _scan_now


def _training(app, session_id: int) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(Session, session_id).training_id


def _merges(app) -> list[AuditRecord]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(
            db.session.scalars(select(AuditRecord).where(AuditRecord.action == "participant.merge"))
        )


def test_support_merges_a_duplicate_and_its_registrations_move_as_corrections(app, make, today):
    held = make.session(today, time(0, 0), time(23, 59))
    later = make.session(today + timedelta(days=7), training_id=_training(app, held))
    kept = make.participant(name="An Peeters", email="an@example.org")
    duplicate = make.participant(
        name="An Peters", email="an.peters@example.org", national_number="85.07.30-033.28"
    )
    make.enrol(later, kept)
    make.enrol(held, duplicate)
    make.enrol(later, duplicate)
    _scan_now(make, held, duplicate)
    support = make.api(Role.ADMIN, None)
    answer = support.post(f"/participants/{kept}/merge", {"duplicate_id": duplicate})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["participant"]["id"] == kept and body["merged_into_id"] == kept
    assert body["duplicate_id"] == duplicate and body["registrations"] == 1
    assert body["participant"]["national_number"].endswith("28")
    with app.app_context():
        gone = db.session.get(Participant, duplicate)
        assert gone.ended_at is not None and gone.merged_into_id == kept
        sessions = set(
            db.session.scalars(select(Enrolment.session_id).where(Enrolment.participant_id == kept))
        )
        assert sessions == {held, later}
        original = db.session.scalars(
            select(Registration).where(Registration.participant_id == duplicate)
        ).one()
        moved = db.session.scalars(effective_registrations(held, [kept])).one()
        assert moved.voids_id == original.id and moved.source.value == "correction"
    [record] = _merges(app)
    assert record.object_id == duplicate and record.token_id is not None
    assert record.after["registrations"] == 1
    # Merged once: the ended record cannot be merged again.
    again = support.post(f"/participants/{kept}/merge", {"duplicate_id": duplicate})
    assert again.status_code == 409 and again.get_json()["error"] == "participant_ended"


def test_the_webs_refusals(app, make, today):
    held = make.session(today, time(0, 0), time(23, 59))
    kept, duplicate = make.participant(), make.participant()
    for person in (kept, duplicate):
        make.enrol(held, person)
        _scan_now(make, held, person)
    support = make.api(Role.ADMIN, None)
    both = support.post(f"/participants/{kept}/merge", {"duplicate_id": duplicate})
    assert both.status_code == 409 and both.get_json()["error"] == "both_registered"
    same = support.post(f"/participants/{kept}/merge", {"duplicate_id": kept})
    assert same.status_code == 400 and same.get_json()["error"] == "same_participant"
    elsewhere = make.participant(branch="Brugge")
    other = support.post(f"/participants/{kept}/merge", {"duplicate_id": elsewhere})
    assert other.status_code == 403 and other.get_json()["error"] == "other_branch"
    missing = support.post(f"/participants/{kept}/merge", {"duplicate_id": "x"})
    assert missing.status_code == 400 and missing.get_json()["field"] == "duplicate_id"
    assert _merges(app) == []


def test_only_support_in_scope_merges(app, make):
    kept, duplicate = make.participant(), make.participant()
    for role in (Role.PROMOTOR, Role.TRAINER, Role.FRONTDESK):
        answer = make.api(role).post(f"/participants/{kept}/merge", {"duplicate_id": duplicate})
        assert answer.status_code == 403, role
    other_branch = make.api(Role.ADMIN, "Brugge")
    answer = other_branch.post(f"/participants/{kept}/merge", {"duplicate_id": duplicate})
    assert answer.status_code == 404
    assert _merges(app) == []
    own_branch = make.api(Role.ADMIN, "Gent")
    answer = own_branch.post(f"/participants/{kept}/merge", {"duplicate_id": duplicate})
    assert answer.status_code == 200, answer.get_json()


def test_one_merge_sent_several_times_at_once_merges_once(app, make):
    kept = make.participant(name="An Peeters", email="an@example.org")
    duplicate = make.participant(name="An Peters", email="an.peters@example.org")
    token = make.token(make.user(Role.ADMIN, None))

    def merge(i: int):  # type: ignore[no-untyped-def]
        # Half merge the duplicate into the kept record, half the other way round.
        into, gone = (kept, duplicate) if i % 2 else (duplicate, kept)
        return Api(app.test_client(), token).post(
            f"/participants/{into}/merge", {"duplicate_id": gone}
        )

    answers = same_time(4, merge)
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409], [
        a.get_json() for a in answers
    ]
    assert len(_merges(app)) == 1
    with app.app_context():
        ended = db.session.scalars(select(Participant).where(Participant.ended_at.is_not(None)))
        assert len(list(ended)) == 1
