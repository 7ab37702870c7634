"""Certificates through the API with the web's rules, lock, stored PDF and audit: the due
list, issuing one or every due one, corrections, the issued certificates and their PDF; scope.
Both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditRecord, Role
from tests.builders import Api
from tests.concurrency import same_time
from tests.helpers.courses import build_course, certificates, pdf_text
from tests.helpers.web import PAST


@pytest.fixture
def course(app, make):  # type: ignore[no-untyped-def]
    return build_course(app, make)


def _issue(api: Api, course, who: str, kind: str = "diligence", period=PAST, key=None):  # type: ignore[no-untyped-def]
    body = {"participant_id": course[who], "kind": kind}
    if period is not None:
        body["period_start"] = period.isoformat()
    headers = {"Authorization": f"Bearer {api.token}"}
    if key:
        headers["Idempotency-Key"] = key
    return api.client.post(
        f"/api/v1/trainings/{course['training']}/certificates", json=body, headers=headers
    )


def _audit(app, action: str) -> list[AuditRecord]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
            )
        )


def test_issuing_stores_the_pdf_and_figures_as_the_web_and_the_download_is_those_bytes(
    app, make, course
):
    api = make.api(Role.PROMOTOR)
    answer = _issue(api, course, "ben")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    [stored] = certificates(app)
    assert body["id"] == stored.id and body["kind"] == "diligence"
    assert body["period_start"] == "2026-01-05" and body["period_end"] == "2026-01-26"
    assert body["figures"]["hours"]["A"] == "12.00" == stored.figures["hours"]["A"]
    assert f"Attest van nauwgezetheid nr. {stored.id}" in pdf_text(stored.pdf)
    pdf = api.get(f"/certificates/{stored.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data == stored.pdf  # the stored bytes, not a new rendering
    [record] = _audit(app, "certificate.issue")
    assert record.object_id == stored.id and record.token_id is not None
    assert record.after["figures"]["hours"]["A"] == "12.00"
    # The same certificate again must be a correction, as on the web.
    again = _issue(api, course, "ben")
    assert again.status_code == 409 and again.get_json()["error"] == "already_issued"
    # A diligence certificate names one of the training's lesson periods.
    no_period = _issue(api, course, "anais", period=None)
    assert no_period.status_code == 400 and no_period.get_json()["error"] == "period_required"
    assert len(certificates(app)) == 1


def test_a_retried_issue_with_its_key_issues_once(app, make, course):
    api = make.api(Role.PROMOTOR)
    first = _issue(api, course, "anais", key="crm-cert-anais")
    second = _issue(api, course, "anais", key="crm-cert-anais")
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == second.get_json()
    assert len(certificates(app)) == 1


def test_two_issues_at_once_make_one_certificate(app, make, course):
    token = make.token(make.user(Role.PROMOTOR))
    answers = same_time(2, lambda _i: _issue(Api(app.test_client(), token), course, "ben"))
    assert sorted(a.status_code for a in answers) == [201, 409], [a.get_json() for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.get_json()["error"] == "already_issued"
    assert len(certificates(app)) == 1
    assert len(_audit(app, "certificate.issue")) == 1


def test_the_due_list_is_the_pages_list_and_pages(app, make, course):
    api = make.api(Role.PROMOTOR)
    assert _issue(api, course, "anais").status_code == 201
    due = api.get(f"/trainings/{course['training']}/certificates/due")
    assert due.status_code == 200, due.get_json()
    body = due.get_json()
    # Anaïs: diligence issued, regular enrolment overdue; Ben: both overdue; Łukasz (no paid
    # leave): regular enrolment, diligence and attendance on request.
    assert body["summary"] == {"issued": 1, "overdue": 3, "optional": 3}
    assert body["bulk"] == 3 and body["total"] == 7
    issued = [line for line in body["items"] if line["state"] == "issued"]
    assert issued[0]["participant_id"] == course["anais"]
    assert issued[0]["certificate_ids"] == [certificates(app)[0].id]
    assert issued[0]["due"] == "2026-02-03" and issued[0]["regime"] == "bev"
    lukasz = [line for line in body["items"] if line["participant_id"] == course["lukasz"]]
    assert {line["due"] for line in lukasz} == {None}
    first = api.get(f"/trainings/{course['training']}/certificates/due?per_page=4").get_json()
    second = api.get(
        f"/trainings/{course['training']}/certificates/due?per_page=4&page=2"
    ).get_json()
    assert len(first["items"]) == 4 and len(second["items"]) == 3
    assert first["items"] + second["items"] == body["items"]


def test_issue_all_due_needs_the_count_the_caller_saw(app, make, course):
    api = make.api(Role.PROMOTOR)
    path = f"/trainings/{course['training']}/certificates/issue-due"
    stale = api.post(path, {"expected": 2})
    assert stale.status_code == 409
    assert stale.get_json()["error"] == "due_list_changed" and stale.get_json()["due"] == 4
    assert certificates(app) == []
    done = api.post(path, {"expected": 4})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert len(body["issued"]) + len(body["refused"]) == 4
    assert len(certificates(app)) == len(body["issued"]) == len(_audit(app, "certificate.issue"))
    assert {c["participant_id"] for c in body["issued"]} <= {course["anais"], course["ben"]}


def test_a_correction_replaces_the_certificate_naming_it_and_why(app, make, course):
    api = make.api(Role.PROMOTOR)
    old = _issue(api, course, "ben").get_json()
    empty = api.post(f"/certificates/{old['id']}/corrections", {"reason": "  "})
    assert empty.status_code == 400 and empty.get_json()["field"] == "reason"
    new = api.post(f"/certificates/{old['id']}/corrections", {"reason": "Stopzetting gemeld"})
    assert new.status_code == 201, new.get_json()
    body = new.get_json()
    assert body["corrects_id"] == old["id"] and body["correction_reason"] == "Stopzetting gemeld"
    assert "Stopzetting gemeld" in pdf_text(api.get(f"/certificates/{body['id']}/pdf").data)
    twice = api.post(f"/certificates/{old['id']}/corrections", {"reason": "nog eens"})
    assert twice.status_code == 409 and twice.get_json()["error"] == "already_corrected"
    [record] = _audit(app, "certificate.correct")
    assert record.object_id == body["id"] and record.after["corrects_id"] == old["id"]
    # The first one is kept as it was.
    assert api.get(f"/certificates/{old['id']}").get_json() == old


def test_the_issued_certificates_are_listed_in_scope_and_paged(app, make, course):
    api = make.api(Role.PROMOTOR)
    ids = [_issue(api, course, who).get_json()["id"] for who in ("anais", "ben", "lukasz")]
    everything = api.get("/certificates").get_json()
    assert [c["id"] for c in everything["items"]] == ids and everything["total"] == 3
    page = api.get("/certificates?per_page=2&page=2").get_json()
    assert [c["id"] for c in page["items"]] == ids[2:]
    mine = api.get(f"/certificates?participant_id={course['ben']}").get_json()
    assert [c["id"] for c in mine["items"]] == [ids[1]]
    assert api.get("/certificates?kind=attendance").get_json()["total"] == 0
    assert api.get("/certificates?kind=nonsense").status_code == 400
    assert api.get(f"/certificates/{ids[0]}").get_json()["participant_id"] == course["anais"]


def test_another_branch_and_other_roles_are_refused(app, make, course):
    api = make.api(Role.PROMOTOR)
    certificate = _issue(api, course, "ben").get_json()["id"]
    other = make.api(Role.PROMOTOR, "Brugge")
    assert other.get("/certificates").get_json()["total"] == 0
    for path in (
        f"/certificates/{certificate}",
        f"/certificates/{certificate}/pdf",
        f"/trainings/{course['training']}/certificates/due",
    ):
        assert other.get(path).status_code == 404, path
    assert _issue(other, course, "anais").status_code == 404
    refused = other.post(f"/certificates/{certificate}/corrections", {"reason": "x"})
    assert refused.status_code == 404
    for role in (Role.TRAINER, Role.FRONTDESK):
        outsider = make.api(role)
        assert outsider.get(f"/certificates/{certificate}/pdf").status_code == 403
        assert outsider.get("/certificates").status_code == 403
        assert _issue(outsider, course, "anais").status_code == 403
    assert len(certificates(app)) == 1
    assert make.api(Role.ADMIN).get(f"/certificates/{certificate}/pdf").status_code == 200
