"""The same request sent several times at once has exactly one effect (issue 18, point 5).

Every check-then-write below is run by N threads released together (tests/concurrency.py),
each with its own client, on SQLite and PostgreSQL. Without the lock or constraint in the
operation, PostgreSQL lets several writes through and SQLite refused some with "database is
locked"; here exactly one effect is stored and every other answer is a refusal or the same
result, never an error.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.audit import Actor
from app.domain.cutoff import BRUSSELS
from app.errors import Refusal
from app.extensions import db
from app.models import (
    ApiToken,
    AuditRecord,
    Certificate,
    CertificateKind,
    Enrolment,
    Justification,
    JustificationRequest,
    OutboxMail,
    Participant,
    Registration,
    Role,
    SelfReport,
    SelfReportDecision,
    TrainingEnrolment,
    User,
)
from app.supervision.operations import selfreports
from tests.concurrency import same_time
from tests.helpers.portal import EVENING, MONDAY, elearning_training, link_supervisor, portal_client
from tests.helpers.preconditions import by_design

N = 6


def audited(app, action: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action)
        )


def count(app, model, *where) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def portal_clients(app, email: str, n: int = N) -> list:  # type: ignore[no-untyped-def]
    """``n`` clients signed in to the portal as ``email`` with one sign-in (tabs of a browser)."""
    first = portal_client(app, email)
    with first.session_transaction() as session:
        sign_in_id = session["portal_sign_in"]
    clients = [first]
    for _ in range(n - 1):
        client = app.test_client()
        with client.session_transaction() as session:
            session["portal_sign_in"] = sign_in_id
        clients.append(client)
    return clients


def statuses(responses) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(r.status_code for r in responses)


# --- E-learning hours --------------------------------------------------------------------------


def _report(app, training_id, participant_id, minutes=None, start=time(9), end=time(11)):  # type: ignore[no-untyped-def]
    """The operation the portal calls, in a context of its own; the refusal's code or the id."""
    from app.models import Training

    with app.app_context():
        try:
            made = selfreports.report_hours(
                Actor(None),
                db.session.get(Training, training_id),
                db.session.get(Participant, participant_id),
                MONDAY,
                None if minutes else start,
                None if minutes else end,
                minutes,
                "Module 3",
                EVENING,
            )
        except Refusal as refusal:
            db.session.rollback()
            return refusal.code
        db.session.commit()
        return made.id


@pytest.fixture
def elearner(app, make, today):  # type: ignore[no-untyped-def]
    an = make.participant(name="An Peeters", email="an@example.org")
    training = elearning_training(app, make, today, [an])
    return training, an


def test_the_same_hours_posted_eight_times_at_once_are_stored_once(app, elearner):
    training, an = elearner
    answers = same_time(8, lambda i: _report(app, training, an))
    assert len([a for a in answers if isinstance(a, int)]) == 1
    assert count(app, SelfReport) == 1
    assert audited(app, "self_report.create") == 1


def test_hours_posted_at_once_never_pass_the_24_hour_cap(app, elearner):
    training, an = elearner
    answers = same_time(8, lambda i: _report(app, training, an, minutes=300))
    assert len([a for a in answers if isinstance(a, int)]) == 4  # 4 x 5 h; a fifth makes 25 h
    with app.app_context():
        total = db.session.scalar(select(func.sum(SelfReport.minutes)))
    assert total == 4 * 300


def test_the_hours_form_posted_at_once_in_the_portal_stores_one_report(app, elearner):
    training, _an = elearner
    now = datetime.now(UTC).astimezone(BRUSSELS)
    if now.hour < 1:
        by_design("before 01:00 Brussels time there is no hour of today to report yet")
    form = {
        "training": training,
        "day": now.date().isoformat(),
        "start": "00:00",
        "end": "00:30",
        "description": "Video 1",
    }
    clients = portal_clients(app, "an@example.org")
    answers = same_time(N, lambda i: clients[i].post("/portal/hours", data=form))
    assert all(a.status_code in (200, 302) for a in answers)
    assert [a.status_code for a in answers].count(302) == 1
    assert count(app, SelfReport) == 1


# --- Approving or rejecting a self-report --------------------------------------------------------


def test_a_report_decided_by_several_supervisor_windows_at_once_is_decided_once(app, elearner):
    training, an = elearner
    link_supervisor(app, an, "Sara Baas", "sara@example.org")
    report = _report(app, training, an)
    clients = portal_clients(app, "sara@example.org")

    def decide(i: int):  # type: ignore[no-untyped-def]
        data = (
            {"reports": [report], "decision": "approve", "reason": ""}
            if i % 2
            else {"reports": [report], "decision": "reject", "reason": "Niet gezien"}
        )
        return clients[i].post("/portal/supervise", data=data)

    answers = same_time(N, decide)
    assert all(a.status_code < 500 for a in answers)
    assert count(app, SelfReportDecision) == 1
    assert audited(app, "self_report.approve") + audited(app, "self_report.reject") == 1


# --- Accepting one uploaded document ---------------------------------------------------------------


def test_one_document_accepted_six_times_at_once_makes_one_justification(app, make, today, auth):
    from tests.helpers.portal import held_session, send

    session_id, _person = held_session(app, make, today)
    portal = portal_client(app, "an@example.org")
    send(portal, session_id)
    with app.app_context():
        request_id = db.session.scalars(select(JustificationRequest.id)).one()
    promotors = [auth.as_role(Role.PROMOTOR) for _ in range(N)]
    answers = same_time(
        N,
        lambda i: promotors[i].post(f"/from-participants/documents/{request_id}/accept"),
    )
    assert all(a.status_code < 500 for a in answers)
    assert count(app, Justification) == 1
    assert audited(app, "justification_request.accept") == 1
    assert audited(app, "justification.create") <= 1


# --- Certificates ----------------------------------------------------------------------------------


def test_the_portals_attendance_certificate_asked_six_times_at_once_is_issued_once(app, make):
    from tests.helpers.courses import build_course

    course = build_course(app, make)
    with app.app_context():
        email = db.session.get(Participant, course["lukasz"]).email
    clients = portal_clients(app, email)
    url = f"/portal/trainings/{course['training']}/attendance-certificate/{course['lukasz']}"
    answers = same_time(N, lambda i: clients[i].post(url))
    assert statuses(answers) == [302] * N
    assert count(app, Certificate) == 1
    [certificate] = list(_certificates(app))
    assert certificate.kind == CertificateKind.ATTENDANCE
    assert {a.headers["Location"] for a in answers} == {
        f"/portal/certificates/{certificate.id}.pdf"
    }


def _certificates(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(select(Certificate)))


def test_a_certificate_issued_by_several_promotors_at_once_is_issued_once(app, make, auth):
    from tests.helpers.courses import build_course
    from tests.helpers.web import PAST

    course = build_course(app, make)
    promotors = [auth.as_role(Role.PROMOTOR) for _ in range(N)]
    data = {"participant_id": course["ben"], "kind": "diligence", "period_start": PAST.isoformat()}
    answers = same_time(
        N, lambda i: promotors[i].post(f"/trainings/{course['training']}/certificates", data=data)
    )
    assert all(a.status_code < 500 for a in answers)
    assert count(app, Certificate) == 1
    assert audited(app, "certificate.issue") == 1


def test_a_certificate_corrected_several_times_at_once_is_corrected_once(app, make, auth):
    from tests.helpers.courses import build_course
    from tests.helpers.web import PAST

    course = build_course(app, make)
    promotors = [auth.as_role(Role.PROMOTOR) for _ in range(N)]
    data = {"participant_id": course["ben"], "kind": "diligence", "period_start": PAST.isoformat()}
    promotors[0].post(f"/trainings/{course['training']}/certificates", data=data)
    [first] = _certificates(app)
    answers = same_time(
        N,
        lambda i: promotors[i].post(
            f"/certificates/{first.id}/correct", data={"correct-reason": "Verkeerde datum"}
        ),
    )
    assert all(a.status_code < 500 for a in answers)
    assert count(app, Certificate) == 2
    assert audited(app, "certificate.correct") == 1


# --- Enrolment, merging ----------------------------------------------------------------------------


def test_one_participant_enrolled_at_once_from_several_windows_is_enrolled_once(
    app, make, today, auth
):
    first = make.session(today + timedelta(days=7), time(9), time(12))
    with app.app_context():
        from app.models import Session

        training_id = db.session.get(Session, first).training_id
    second = make.session(today + timedelta(days=14), time(9), time(12), training_id=training_id)
    an = make.participant(name="An Peeters", email="an@example.org")
    promotors = [auth.as_role(Role.PROMOTOR) for _ in range(N)]
    # Half enrol in the first session, half in the second: the training enrolment and the
    # first-enrolment code mail exist once either way.
    answers = same_time(
        N,
        lambda i: promotors[i].post(
            f"/sessions/{(first, second)[i % 2]}/enrol", data={"enrol-participants": an}
        ),
    )
    assert all(a.status_code < 500 for a in answers)
    assert count(app, Enrolment) == 2
    assert count(app, TrainingEnrolment) == 1
    assert audited(app, "enrolment.create") == 2
    assert count(app, OutboxMail) == 1


def test_one_merge_sent_several_times_at_once_merges_once(app, make, auth):
    kept = make.participant(name="An Peeters", email="an@example.org")
    duplicate = make.participant(name="An Peters", email="an.peters@example.org")
    supports = [auth.as_role(Role.ADMIN, branch=None) for _ in range(N)]

    def merge(i: int):  # type: ignore[no-untyped-def]
        # Half merge the duplicate into the kept record, half the other way round.
        into, gone = (kept, duplicate) if i % 2 else (duplicate, kept)
        return supports[i].post(f"/participants/{into}/merge", data={"merge-duplicate": gone})

    answers = same_time(N, merge)
    assert all(a.status_code < 500 for a in answers)
    assert audited(app, "participant.merge") == 1
    assert count(app, Participant, Participant.ended_at.is_not(None)) == 1


# --- Pairing, closing a session -----------------------------------------------------------------


def test_one_pairing_code_sent_by_several_scanners_at_once_pairs_one(app, make):
    from app.devices.operations import issue_pairing

    user_id = make.user(Role.TRAINER, "Gent")
    with app.app_context():
        user = db.session.get(User, user_id)
        _pairing, plain = issue_pairing(Actor(user), user, "Zaal 2", datetime.now(UTC))
        db.session.commit()
    clients = [app.test_client() for _ in range(N)]
    answers = same_time(
        N,
        lambda i: clients[i].post(
            "/api/v1/devices/pair", json={"token": plain, "device_name": f"laptop-{i}"}
        ),
    )
    assert [a.status_code for a in answers].count(200) + [a.status_code for a in answers].count(
        201
    ) == 1
    assert all(a.status_code < 500 for a in answers)
    assert count(app, ApiToken, ApiToken.user_id == user_id) == 1


def test_a_session_closed_at_once_from_several_windows_checks_out_once(app, make, today, auth):
    from tests.helpers.web import reopen, scan

    session_id = make.session(today - timedelta(days=2), time(9), time(12))
    people = [make.participant(name=f"Deelnemer {i}") for i in range(3)]
    for person in people:
        make.enrol(session_id, person)
    reopen(app, session_id)
    api = make.api()
    day = today - timedelta(days=2)
    for person in people:
        scan(api, session_id, make.code(person), datetime.combine(day, time(9), tzinfo=BRUSSELS))
    promotors = [auth.as_role(Role.PROMOTOR) for _ in range(N)]
    answers = same_time(
        N, lambda i: promotors[i].post(f"/sessions/{session_id}/close-registrations", data={})
    )
    assert all(a.status_code < 500 for a in answers)
    from app.models import Kind

    assert count(app, Registration, Registration.kind == Kind.OUT) == len(people)


# --- A session's roll call, late arrivals, reopening and closing again ----------------------------


@pytest.fixture
def held(app, make, auth):  # type: ignore[no-untyped-def]
    """A reopened past session with three people enrolled, and N support clients."""
    from tests.helpers.web import PAST, reopen

    session_id = make.session(PAST, time(9), time(12))
    people = [make.participant(name=name) for name in ("An", "Ben", "Cis")]
    for person in people:
        make.enrol(session_id, person)
    reopen(app, session_id)
    supports = [auth.as_role(Role.ADMIN, branch=None) for _ in range(N)]
    return {"session": session_id, "people": people, "supports": supports}


def test_a_roll_call_confirmed_at_once_from_several_windows_checks_in_once(app, held):
    data = {"step": "confirm", "present": held["people"][:2]}
    answers = same_time(
        N,
        lambda i: held["supports"][i].post(f"/sessions/{held['session']}/roll-call", data=data),
    )
    assert all(a.status_code < 500 for a in answers)
    assert count(app, Registration) == 2


def test_a_late_arrival_sent_at_once_from_several_windows_is_registered_once(app, held):
    data = {"late-participant": held["people"][0], "late-arrived": "09:40"}
    answers = same_time(
        N,
        lambda i: held["supports"][i].post(f"/sessions/{held['session']}/late-arrival", data=data),
    )
    assert all(a.status_code < 500 for a in answers)
    assert count(app, Registration) == 1


def test_a_session_reopened_or_closed_again_at_once_changes_once(app, make, held):
    supports = held["supports"]
    answers = same_time(
        N, lambda i: supports[i].post(f"/sessions/{held['session']}/close", data={})
    )
    assert all(a.status_code < 500 for a in answers)
    assert audited(app, "session.close") == 1
    answers = same_time(
        N,
        lambda i: supports[i].post(
            f"/sessions/{held['session']}/reopen", data={"reopen-reason": f"Correctie {i}"}
        ),
    )
    assert all(a.status_code < 500 for a in answers)
    assert audited(app, "session.reopen") == 2  # the fixture's, and one of these


def test_the_front_desk_reminds_a_trainer_once_when_pressed_at_once(app, make, today, auth):
    tom = make.user(Role.TRAINER, email="tom@voorbeeld.be")
    session_id = make.session(today, time(0, 0), time(0, 2), trainer_id=tom)
    make.enrol(session_id, make.participant(name="An Peeters"))
    desks = [auth.as_role(Role.FRONTDESK) for _ in range(N)]
    answers = same_time(N, lambda i: desks[i].post(f"/frontdesk/sessions/{session_id}/remind"))
    assert all(answer.status_code < 500 for answer in answers)
    with app.app_context():
        mails = db.session.scalars(
            select(OutboxMail).where(OutboxMail.recipient == "tom@voorbeeld.be")
        ).all()
        assert len(mails) == 1 and mails[0].purpose == "trainer_reminder"
