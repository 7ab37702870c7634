"""E-learning hours end to end (docs/rules.md, "E-learning self-reports"): the participant reports them in the portal, the
deadline, overlap and 24-hour rules refuse with the reason, the supervisor approves or rejects
(several at once), a rejected report is corrected and sent again, the promotor follows up and
reminds; a supervisor sees only their own participants."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.attendance.selfreported import counting_reports
from app.audit import Actor
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import (
    AuditRecord,
    OutboxMail,
    Participant,
    Role,
    SelfReport,
    SelfReportDecision,
    Training,
)
from app.supervision.operations import selfreports
from tests.helpers.portal import (
    EVENING,
    MONDAY,
    elearning_training,
    link_supervisor,
    portal_client,
    report,
)


@pytest.fixture
def course(app, make, today):  # type: ignore[no-untyped-def]
    an = make.participant(name="An Peeters", email="an@example.org")
    ben = make.participant(name="Ben Claes", email="ben@example.org")
    training = elearning_training(app, make, today, [an, ben])
    link_supervisor(app, an, "Sara Baas", "sara@example.org")
    link_supervisor(app, ben, "Karel Chef", "karel@example.org")
    return {"training": training, "an": an, "ben": ben}


def states(app, training_id: int) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        reports = db.session.scalars(
            select(SelfReport).where(SelfReport.training_id == training_id)
        ).all()
        return {s.report.id: s.state for s in selfreports.report_states(reports)}


def test_a_report_waits_for_the_supervisor_and_counts_only_once_approved(app, course):
    first = report(app, course["training"], course["an"])
    assert states(app, course["training"]) == {first: "waiting"}
    with app.app_context():
        assert db.session.scalars(counting_reports()).all() == []
        assert selfreports.decide(Actor(None), "sara@example.org", [first], True, "", EVENING) == 1
        db.session.commit()
        assert [r.id for r in db.session.scalars(counting_reports())] == [first]
    assert states(app, course["training"]) == {first: "approved"}


def test_a_report_after_the_deadline_is_refused_with_the_reason(app, course):
    from app.errors import Refusal

    next_day_late = datetime.combine(MONDAY + timedelta(days=1), time(10, 1), tzinfo=BRUSSELS)
    with pytest.raises(Refusal) as refused:
        report(app, course["training"], course["an"], now=next_day_late)
    assert refused.value.code == "registration_closed"
    assert "10:00" in str(refused.value.message)
    in_time = datetime.combine(MONDAY + timedelta(days=1), time(9, 59), tzinfo=BRUSSELS)
    assert report(app, course["training"], course["an"], now=in_time)


def test_overlapping_another_report_is_refused_naming_it(app, course):
    from app.errors import Refusal

    first = report(app, course["training"], course["an"], start=time(9), end=time(11))
    with pytest.raises(Refusal) as refused:
        report(app, course["training"], course["an"], start=time(10), end=time(12))
    assert refused.value.code == "overlap" and refused.value.details["report_id"] == first
    assert "05/01/2026 09:00-11:00" in str(refused.value.message)
    # Someone else's hours at the same time are no overlap.
    assert report(app, course["training"], course["ben"], start=time(10), end=time(12))


def test_a_day_holds_at_most_24_hours_and_the_future_is_refused(app, course):
    from app.errors import Refusal

    report(app, course["training"], course["an"], start=None, end=None, minutes=20 * 60)
    with pytest.raises(Refusal) as refused:
        report(app, course["training"], course["an"], start=None, end=None, minutes=5 * 60)
    assert refused.value.code == "over_24_hours"
    with pytest.raises(Refusal) as future:
        report(app, course["training"], course["ben"], start=time(19), end=time(21))
    assert future.value.code == "future"


def test_hours_for_a_classroom_training_or_by_someone_not_enrolled_are_refused(
    app, course, make, today
):
    from app.errors import Refusal

    classroom = make.session(MONDAY)
    with app.app_context():
        classroom_training = db.session.get(
            Training,
            db.session.get(
                __import__("app.models", fromlist=["Session"]).Session, classroom
            ).training_id,
        ).id
    with pytest.raises(Refusal) as refused:
        report(app, classroom_training, course["an"])
    assert refused.value.code == "not_elearning"
    stranger = make.participant(email="stranger@example.org")
    with pytest.raises(Refusal) as not_enrolled:
        report(app, course["training"], stranger)
    assert not_enrolled.value.code == "not_enrolled"


def test_the_supervisor_approves_and_rejects_several_at_once_in_the_portal(app, course):
    reports = [
        report(app, course["training"], course["an"], start=time(h), end=time(h + 1))
        for h in (8, 10, 12)
    ]
    client = portal_client(app, "sara@example.org")
    page = client.get("/portal/supervise").get_data(as_text=True)
    assert all(f'value="{r}"' in page for r in reports) and "An Peeters" in page
    answer = client.post(
        "/portal/supervise", data={"reports": reports[:2], "decision": "approve", "reason": ""}
    )
    assert answer.status_code == 302
    # Rejecting needs a reason: without one nothing is decided, and the form says so.
    refused = client.post("/portal/supervise", data={"reports": [reports[2]], "decision": "reject"})
    assert refused.status_code == 200 and "reden" in refused.get_data(as_text=True).lower()
    assert states(app, course["training"])[reports[2]] == "waiting"
    client.post(
        "/portal/supervise",
        data={"reports": [reports[2]], "decision": "reject", "reason": "Geen module 3 gezien"},
    )
    assert states(app, course["training"]) == {
        reports[0]: "approved",
        reports[1]: "approved",
        reports[2]: "rejected",
    }
    with app.app_context():
        decisions = db.session.scalars(select(SelfReportDecision)).all()
        assert {d.supervisor.email for d in decisions} == {"sara@example.org"}
        assert all(d.sign_in_id is not None for d in decisions)
        actions = db.session.scalars(select(AuditRecord.action)).all()
        assert actions.count("self_report.approve") == 2 and "self_report.reject" in actions


def test_a_supervisor_sees_and_decides_only_their_own_participants(app, course):
    ans = report(app, course["training"], course["an"])
    bens = report(app, course["training"], course["ben"])
    karel = portal_client(app, "karel@example.org")
    page = karel.get("/portal/supervise").get_data(as_text=True)
    assert f'value="{bens}"' in page and f'value="{ans}"' not in page
    assert "An Peeters" not in page
    answer = karel.post("/portal/supervise", data={"reports": [ans], "decision": "approve"})
    assert answer.status_code == 200  # shown again: not one of theirs
    assert states(app, course["training"])[ans] == "waiting"
    with app.app_context():
        from app.errors import Refusal

        with pytest.raises(Refusal) as refused:
            selfreports.decide(Actor(None), "karel@example.org", [ans], True, "", EVENING)
        assert refused.value.status == 404


def test_a_rejected_report_is_corrected_and_sent_again(app, course):
    first = report(app, course["training"], course["an"])
    with app.app_context():
        selfreports.decide(Actor(None), "sara@example.org", [first], False, "Te veel uren", EVENING)
        db.session.commit()
    later = EVENING + timedelta(days=5)  # past the deadline: a correction of the same day is fine
    second = report(app, course["training"], course["an"], end=time(10), now=later, replaces=first)
    assert states(app, course["training"]) == {first: "rejected", second: "waiting"}
    from app.errors import Refusal

    with pytest.raises(Refusal) as again:  # one correction per report
        report(app, course["training"], course["an"], end=time(10), now=later, replaces=first)
    assert again.value.code == "not_correctable"
    with app.app_context():
        selfreports.decide(Actor(None), "sara@example.org", [second], True, "", later)
        db.session.commit()
        assert [r.id for r in db.session.scalars(counting_reports())] == [second]


def test_an_approved_report_is_never_changed_a_correction_replaces_it_once_approved(app, course):
    first = report(app, course["training"], course["an"])
    with app.app_context():
        selfreports.decide(Actor(None), "sara@example.org", [first], True, "", EVENING)
        db.session.commit()
    second = report(app, course["training"], course["an"], end=time(10), replaces=first)
    with app.app_context():
        assert [r.id for r in db.session.scalars(counting_reports())] == [first]
        selfreports.decide(Actor(None), "sara@example.org", [second], True, "", EVENING)
        db.session.commit()
        assert [r.id for r in db.session.scalars(counting_reports())] == [second]
        kept = db.session.get(SelfReport, first)
        assert (kept.start, kept.end, kept.minutes) == (time(9), time(11), 120)
    assert states(app, course["training"]) == {first: "replaced", second: "approved"}


def test_the_participant_reports_in_the_portal_and_reads_the_refusal(app, course, clock):
    # The app's clock stands at 09:00: today's first half hour is past, whatever the hour.
    now = clock.now().astimezone(BRUSSELS)
    client = portal_client(app, "an@example.org")
    page = client.get("/portal/hours").get_data(as_text=True)
    assert "Excel online (EL-7)" in page
    form = {
        "training": course["training"],
        "day": now.date().isoformat(),
        "start": "00:00",
        "end": "00:30",
        "description": "Video 1",
    }
    assert client.post("/portal/hours", data=form).status_code == 302
    overlap = client.post("/portal/hours", data={**form, "start": "00:15", "end": "00:45"})
    assert overlap.status_code == 200 and "overlappen" in overlap.get_data(as_text=True)
    late = client.post("/portal/hours", data={**form, "day": "2026-01-05"})
    assert "Te laat" in late.get_data(as_text=True)
    assert len(states(app, course["training"])) == 1
    training_page = client.get(f"/portal/trainings/{course['training']}").get_data(as_text=True)
    assert "wacht op goedkeuring" in training_page


def test_the_promotor_sees_what_waits_since_when_and_reminds_the_supervisor(
    app, make, course, auth
):
    waiting = report(app, course["training"], course["an"])
    client = auth.as_role(Role.PROMOTOR)
    page = client.get(f"/trainings/{course['training']}/self-reports").get_data(as_text=True)
    assert "An Peeters" in page and "Sara Baas" in page and "dagen" in page
    with app.app_context():
        sara = (
            db.session.scalars(select(Participant).where(Participant.id == course["an"]))
            .one()
            .supervisor_id
        )
    assert (
        client.post(f"/trainings/{course['training']}/self-reports/remind/{sara}").status_code
        == 302
    )
    with app.app_context():
        # The first mail told Sara she was linked (issue 20); the reminder is the second.
        linked, mail = db.session.scalars(
            select(OutboxMail)
            .where(OutboxMail.recipient == "sara@example.org")
            .order_by(OutboxMail.id)
        ).all()
        assert "keurt de e-learninguren van" in linked.subject
        assert b"/portal/sign-in" in mail.message
        audit = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "supervisor.remind")
        ).one()
        assert audit.after["reports"] == [waiting]
    inbox = client.get("/from-participants").get_data(as_text=True)
    assert "Excel online" in inbox


def test_another_branch_sees_neither_the_reports_nor_the_supervisor(app, make, course, auth):
    client = auth.as_role(Role.PROMOTOR, branch="Brugge")
    assert client.get(f"/trainings/{course['training']}/self-reports").status_code == 404


def test_the_api_lists_the_reports_with_their_state_for_a_promotor_only(app, make, course):
    first = report(app, course["training"], course["an"])
    second = report(app, course["training"], course["ben"], start=time(13), end=time(14))
    with app.app_context():
        selfreports.decide(Actor(None), "sara@example.org", [first], True, "", EVENING)
        db.session.commit()
    api = make.api(Role.PROMOTOR)
    answer = api.get(f"/trainings/{course['training']}/self-reports")
    assert answer.status_code == 200
    items = {item["id"]: item for item in answer.get_json()["items"]}
    assert items[first]["state"] == "approved" and items[first]["decided_by"].startswith("Sara")
    assert items[second]["state"] == "waiting" and items[second]["hours"] == 1.0
    assert (
        make.api(Role.TRAINER).get(f"/trainings/{course['training']}/self-reports").status_code
        == 403
    )
    # Listed read only; a planner decides only through approve and reject (issue 22).
    paths = api.get("/openapi.json").get_json()["paths"]
    report_paths = {p: set(v) for p, v in paths.items() if "self-report" in p}
    assert report_paths == {
        "/trainings/{training_id}/self-reports": {"get"},
        "/self-reports/{report_id}/approve": {"post"},
        "/self-reports/{report_id}/reject": {"post"},
    }


def test_the_api_creates_a_supervisor_and_links_participants(app, make, course):
    api = make.api(Role.PROMOTOR)
    created = api.post(
        "/supervisors",
        {"name": "Mia Hoofd", "email": "Mia@Example.org", "participant_ids": [course["an"]]},
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["email"] == "mia@example.org" and body["participant_ids"] == [course["an"]]
    linked = api.post(
        f"/supervisors/{body['id']}/participants", {"participant_ids": [course["ben"]]}
    )
    assert linked.get_json()["participant_ids"] == [course["an"], course["ben"]]
    again = api.post("/supervisors", {"name": "Mia", "email": "mia@example.org"})
    assert again.status_code == 409 and again.get_json()["error"] == "duplicate_supervisor"
    assert (
        api.post(
            "/supervisors", {"name": "X", "email": "x@example.org", "participant_ids": [999]}
        ).status_code
        == 404
    )
    other = make.api(Role.PROMOTOR, branch="Brugge")
    assert other.get(f"/supervisors/{body['id']}").status_code == 404


def test_the_portal_and_the_staffs_new_pages_are_dutch_throughout(app, make, course, auth):
    """As the crawl in test_translations: no English interface word on the new pages."""
    from tests.helpers.translations import ENGLISH, _visible_words

    report(app, course["training"], course["an"])
    link_supervisor(app, course["ben"], "An Peeters", "an@example.org")  # both roles
    portal = portal_client(app, "an@example.org")
    pages = [
        "/portal/", "/portal/sessions", "/portal/absences", "/portal/hours",
        "/portal/supervise", f"/portal/trainings/{course['training']}",
    ]  # fmt: skip
    for path in pages:
        response = portal.get(path)
        assert response.status_code == 200, path
        words = _visible_words(response.get_data(as_text=True))
        assert not words & ENGLISH, (path, sorted(words & ENGLISH))
    staff = auth.as_role(Role.ADMIN, branch=None)
    for path in (
        "/from-participants",
        f"/trainings/{course['training']}/self-reports",
        "/password",
        f"/participants/{course['an']}",
    ):
        response = staff.get(path)
        assert response.status_code == 200, path
        words = _visible_words(response.get_data(as_text=True))
        assert not words & ENGLISH, (path, sorted(words & ENGLISH))
    anonymous = app.test_client()
    for path in ("/portal/sign-in", "/password/forgotten"):
        words = _visible_words(anonymous.get(path).get_data(as_text=True))
        assert not words & ENGLISH, (path, sorted(words & ENGLISH))
