"""Planners approve or reject self-reported e-learning hours through the API (issue 22,
app/api/selfreports.py): the supervisor's rules (a reason to reject, only waiting reports, one
decision under the report's lock), the planner named in the decision, the audit record and
every page that shows it; the training's branch only. Both databases."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.attendance.figures import training_figures
from app.extensions import db
from app.models import AuditRecord, Role, SelfReportDecision, Training, User
from tests.concurrency import at_once
from tests.helpers.portal import elearning_training, link_supervisor, portal_client, report

H = timedelta(hours=1)


@pytest.fixture
def course(app, make, today):  # type: ignore[no-untyped-def]
    """An e-learning training of Gent; An, with her supervisor Sara, has reported 09:00-11:00."""
    an = make.participant(name="An Peeters", email="an@example.org")
    training = elearning_training(app, make, today, [an])
    link_supervisor(app, an, "Sara Baas", "sara@example.org")
    return {"training": training, "an": an, "report": report(app, training, an)}


def _present(app, training_id: int) -> timedelta:  # type: ignore[no-untyped-def]
    with app.app_context():
        found = training_figures(db.session.get(Training, training_id), datetime.now(UTC))
        [an] = [p for p in found.participants if p.participant.name == "An Peeters"]
        return an.figures.present


def _decisions(app) -> list[SelfReportDecision]:  # type: ignore[no-untyped-def]
    with app.app_context():
        decisions = db.session.scalars(select(SelfReportDecision)).all()
        db.session.expunge_all()
        return list(decisions)


def _planner_name(app, api) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = db.session.scalars(select(User).order_by(User.id.desc())).first()
        assert user is not None
        return user.id, user.display_name


def test_a_promotor_approves_and_the_hours_count_with_the_promotor_named(app, make, course):
    api = make.api(Role.PROMOTOR)
    planner_id, planner_name = _planner_name(app, api)
    assert _present(app, course["training"]) == timedelta(0)

    answer = api.post(f"/self-reports/{course['report']}/approve")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["state"] == "approved" and body["id"] == course["report"]
    assert body["decided_by"].endswith("(promotor)") and planner_name in body["decided_by"]
    assert _present(app, course["training"]) == 2 * H

    [decision] = _decisions(app)
    assert decision.decided_by_id == planner_id and decision.supervisor_id is None
    with app.app_context():
        record = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "self_report.approve")
        ).one()
        assert record.user_id == planner_id
        assert record.after is not None and record.after["decided_by_id"] == planner_id
    listed = api.get(f"/trainings/{course['training']}/self-reports").get_json()["items"]
    assert [(r["state"], r["decided_by"]) for r in listed] == [("approved", body["decided_by"])]


def test_rejecting_needs_a_reason_and_a_decided_report_answers_409(app, make, course):
    api = make.api(Role.ADMIN)  # support of the branch plans too
    path = f"/self-reports/{course['report']}"
    missing = api.post(f"{path}/reject", json={"reason": ""})
    assert missing.status_code == 400
    assert missing.get_json()["field"] == "reason"
    assert _decisions(app) == []

    rejected = api.post(f"{path}/reject", json={"reason": "Geen module 3 gezien"})
    assert rejected.status_code == 200, rejected.get_json()
    assert rejected.get_json()["state"] == "rejected"
    assert rejected.get_json()["reason"] == "Geen module 3 gezien"
    assert rejected.get_json()["decided_by"].endswith("(support)")
    assert _present(app, course["training"]) == timedelta(0)

    again = api.post(f"{path}/approve")
    assert again.status_code == 409 and again.get_json()["error"] == "already_decided"
    assert [d.approved for d in _decisions(app)] == [False]


def test_the_operation_refuses_a_rejection_without_a_reason(app, make, course):
    from app.audit import Actor
    from app.errors import Refusal
    from app.supervision.operations import selfreports

    planner = make.user(Role.PROMOTOR)
    with app.app_context():
        user = db.session.get(User, planner)
        with pytest.raises(Refusal) as refused:
            selfreports.decide_as_planner(
                Actor(user), user, [course["report"]], False, "  ", datetime.now(UTC)
            )
        assert refused.value.code == "reason_required"


def test_another_branch_gets_404_and_a_trainer_or_front_desk_403(app, make, course):
    path = f"/self-reports/{course['report']}/approve"
    assert make.api(Role.PROMOTOR, "Brugge").post(path).status_code == 404
    assert make.api(Role.ADMIN, "Brugge").post(path).status_code == 404
    assert make.api(Role.TRAINER).post(path).status_code == 403
    assert make.api(Role.FRONTDESK).post(path).status_code == 403
    assert make.api(Role.PROMOTOR).post("/self-reports/999999/approve").status_code == 404
    assert _decisions(app) == []


def test_a_planner_and_the_supervisor_deciding_at_once_decide_once(app, make, course):
    api = make.api(Role.PROMOTOR)
    sara = portal_client(app, "sara@example.org")
    answers = at_once(
        [
            lambda: api.post(f"/self-reports/{course['report']}/approve").status_code,
            lambda: (
                sara.post(
                    "/portal/supervise",
                    data={
                        "reports": [course["report"]],
                        "decision": "reject",
                        "reason": "Niet gezien",
                    },
                ).status_code
            ),
        ]
    )
    [decision] = _decisions(app)
    if decision.approved:  # the planner came first: the supervisor's form is shown again
        assert answers == [200, 200] and decision.decided_by_id is not None
    else:  # the supervisor came first: the planner is told it was decided
        assert answers == [409, 302] and decision.supervisor_id is not None
    with app.app_context():
        actions = db.session.scalars(
            select(AuditRecord.action).where(
                AuditRecord.action.in_(["self_report.approve", "self_report.reject"])
            )
        ).all()
        assert actions == ["self_report.approve" if decision.approved else "self_report.reject"]


def test_the_pages_show_a_planners_decision(app, make, auth, course):
    second = report(app, course["training"], course["an"], start=time(13), end=time(14))
    api = make.api(Role.PROMOTOR)
    _planner_id, planner_name = _planner_name(app, api)
    assert api.post(f"/self-reports/{course['report']}/approve").status_code == 200
    rejected = api.post(f"/self-reports/{second}/reject", json={"reason": "Dubbel"})
    assert rejected.status_code == 200

    # The participant's portal and their supervisor's list.
    for email, path in [
        ("an@example.org", f"/portal/trainings/{course['training']}"),
        ("sara@example.org", "/portal/supervise"),
    ]:
        page = portal_client(app, email).get(path)
        assert page.status_code == 200, path
        assert f"{planner_name} (promotor)" in page.get_data(as_text=True), path
    # The training's self-report page for the planners.
    web = auth.as_role(Role.PROMOTOR)
    page = web.get(f"/trainings/{course['training']}/self-reports")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"{planner_name} (promotor)" in text and "Dubbel" in text


def test_a_decision_names_exactly_one_decider(app, make, course):
    """The CHECK constraint of the migration, on both databases."""
    from sqlalchemy.exc import IntegrityError

    planner = make.user(Role.PROMOTOR)
    with app.app_context():
        from app.models import Supervisor

        supervisor_id = db.session.scalars(select(Supervisor.id)).one()
        for who in ({}, {"supervisor_id": supervisor_id, "decided_by_id": planner}):
            db.session.add(
                SelfReportDecision(report_id=course["report"], approved=True, reason="", **who)
            )
            with pytest.raises(IntegrityError):
                db.session.flush()
            db.session.rollback()
