"""Closure days through the API, with the web's rules, warning and audit: adding a day or a
range (the sessions planned on them named, cancelled or kept), the list, removing; support
only, central support for changes. Both databases."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import AuditRecord, ClosureDay, Role, Session
from tests.builders import Api
from tests.concurrency import at_once


def _later(days: int) -> date:
    from datetime import datetime

    return datetime.now(BRUSSELS).date() + timedelta(days=days)


def _delete(api: Api, path: str):  # type: ignore[no-untyped-def]
    return api.client.delete("/api/v1" + path, headers={"Authorization": f"Bearer {api.token}"})


def _days(app) -> list[date]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(select(ClosureDay.day).order_by(ClosureDay.day)))


def _audit(app, action: str) -> list[AuditRecord]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(select(AuditRecord).where(AuditRecord.action == action)))


def test_a_closure_day_is_added_listed_and_removed_as_on_the_web(app, make):
    api = make.api(Role.ADMIN, None)
    day = _later(60)
    added = api.post("/closure-days", {"day": day.isoformat(), "label": "Brugdag"})
    assert added.status_code == 201, added.get_json()
    [closure] = added.get_json()["items"]
    assert closure["date"] == day.isoformat() and closure["label"] == "Brugdag"
    assert added.get_json()["sessions"] == [] and _days(app) == [day]
    [record] = _audit(app, "closure_day.create")
    assert record.object_id == closure["id"] and record.token_id is not None
    again = api.post("/closure-days", {"day": day.isoformat()})
    assert again.status_code == 400 and again.get_json()["error"] == "duplicate_closure"
    past = api.post("/closure-days", {"day": _later(-1).isoformat()})
    assert past.status_code == 400 and past.get_json()["error"] == "closure_in_past"
    backwards = api.post("/closure-days", {"day": day.isoformat(), "until": _later(50).isoformat()})
    assert backwards.status_code == 400 and backwards.get_json()["error"] == "closure_range"

    listed = api.get("/closure-days").get_json()
    assert [c["id"] for c in listed["items"]] == [closure["id"]] and listed["total"] == 1
    removed = _delete(api, f"/closure-days/{closure['id']}")
    assert removed.status_code == 200 and removed.get_json() == closure
    assert _days(app) == [] and len(_audit(app, "closure_day.delete")) == 1
    assert _delete(api, f"/closure-days/{closure['id']}").status_code == 404


def test_a_range_names_the_sessions_planned_and_cancels_or_keeps_them(app, make):
    api = make.api(Role.ADMIN, None)
    first, last = _later(40), _later(44)
    session_id = make.session(_later(42), time(9), time(12), branch="Brugge")
    body = {"day": first.isoformat(), "until": last.isoformat(), "label": "Krokusverlof"}
    warned = api.post("/closure-days", body)
    assert warned.status_code == 409, warned.get_json()
    assert warned.get_json()["error"] == "sessions_planned"
    assert [s["id"] for s in warned.get_json()["sessions"]] == [session_id]
    assert _days(app) == []  # nothing added before support chose
    cancelled = api.post("/closure-days", {**body, "planned": "cancel"})
    assert cancelled.status_code == 201, cancelled.get_json()
    answer = cancelled.get_json()
    assert len(answer["items"]) == 5 and answer["cancelled"] == [session_id]
    assert [s["id"] for s in answer["sessions"]] == [session_id]
    with app.app_context():
        session = db.session.get(Session, session_id)
        assert session.cancelled and session.cancel_reason == "Krokusverlof"
    assert len(_audit(app, "closure_day.create")) == 5


def test_keeping_the_planned_sessions(app, make):
    api = make.api(Role.ADMIN, None)
    session_id = make.session(_later(30), time(9), time(12))
    kept = api.post("/closure-days", {"day": _later(30).isoformat(), "planned": "keep"})
    assert kept.status_code == 201, kept.get_json()
    assert kept.get_json()["cancelled"] == [] and len(kept.get_json()["sessions"]) == 1
    with app.app_context():
        assert not db.session.get(Session, session_id).cancelled


def test_a_past_closure_day_stays(app, make):
    with app.app_context():
        closure = ClosureDay(day=_later(-3), label="Voorbij")
        db.session.add(closure)
        db.session.commit()
        closure_id = closure.id
    refused = _delete(make.api(Role.ADMIN, None), f"/closure-days/{closure_id}")
    assert refused.status_code == 400 and refused.get_json()["error"] == "closure_in_past"
    assert _days(app) == [_later(-3)]


def test_only_support_and_for_changes_central_support(app, make):
    central = make.api(Role.ADMIN, None)
    closure = central.post("/closure-days", {"day": _later(20).isoformat()}).get_json()["items"][0]
    branch_support = make.api(Role.ADMIN, "Gent")
    assert branch_support.get("/closure-days").get_json()["total"] == 1
    refused = branch_support.post("/closure-days", {"day": _later(21).isoformat()})
    assert refused.status_code == 403
    assert _delete(branch_support, f"/closure-days/{closure['id']}").status_code == 403
    for role in (Role.PROMOTOR, Role.TRAINER, Role.FRONTDESK):
        other = make.api(role, None if role == Role.PROMOTOR else "Gent")
        assert other.get("/closure-days").status_code == 403
        assert other.post("/closure-days", {"day": _later(22).isoformat()}).status_code == 403
        assert _delete(other, f"/closure-days/{closure['id']}").status_code == 403
    assert _days(app) == [_later(20)]


def test_two_overlapping_ranges_at_once_add_each_day_once(app, make):
    token = make.token(make.user(Role.ADMIN, None))
    ranges = [(_later(70), _later(73)), (_later(72), _later(75))]
    answers = at_once(
        [
            lambda first=first, last=last: Api(app.test_client(), token).post(
                "/closure-days", {"day": first.isoformat(), "until": last.isoformat()}
            )
            for first, last in ranges
        ]
    )
    assert [a.status_code for a in answers] == [201, 201], [a.get_json() for a in answers]
    added = sorted(c["date"] for a in answers for c in a.get_json()["items"])
    assert added == [_later(70 + n).isoformat() for n in range(6)]
    assert _days(app) == [_later(70 + n) for n in range(6)]
    assert len(_audit(app, "closure_day.create")) == 6


def test_a_retried_addition_with_its_key_adds_once(app, make):
    api = make.api(Role.ADMIN, None)
    headers = {"Authorization": f"Bearer {api.token}", "Idempotency-Key": "holiday-1"}
    body = {"day": _later(90).isoformat(), "until": _later(91).isoformat()}
    first = api.client.post("/api/v1/closure-days", json=body, headers=headers)
    second = api.client.post("/api/v1/closure-days", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == second.get_json()
    assert _days(app) == [_later(90), _later(91)]
    assert len(_audit(app, "closure_day.create")) == 2
