"""The audit trail, readable: scope (a promotor never sees another branch's records, a trainer
none), filters, paging, the readable difference, corrections in one line, who read a national
register number, the CSV export and GET /api/v1/audit. Every test runs on both databases."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.audit import Actor
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import AuditRecord, Kind, Participant, Role, Session, Source, User
from app.scanning.service import register

VALID_NRN = "85073003328"


@pytest.fixture
def two_branches(app, make, today):  # type: ignore[no-untyped-def]
    """A session and a participant in Gent, another in Antwerpen, each enrolled."""
    gent = make.session(today, time(0, 0), time(23, 59))
    antwerpen = make.session(today, time(0, 0), time(23, 59), branch="Antwerpen")
    an = make.participant(name="An Gent", national_number=VALID_NRN)
    bo = make.participant(branch="Antwerpen", name="Bo Antwerpen")
    make.enrol(gent, an)
    make.enrol(antwerpen, bo)
    return {"gent": gent, "antwerpen": antwerpen, "an": an, "bo": bo}


def _records(app, **where):  # type: ignore[no-untyped-def]
    with app.app_context():
        query = select(AuditRecord)
        for name, value in where.items():
            query = query.where(getattr(AuditRecord, name) == value)
        return db.session.scalars(query).all()


def test_records_name_the_participant_session_training_and_branch(app, make, two_branches):
    with app.app_context():
        session = db.session.get(Session, two_branches["gent"])
        gent_branch = session.training.project.branch_id
        training_id = session.training_id
    enrolments = _records(app, object_type="enrolments", participant_id=two_branches["an"])
    assert enrolments, "the enrolment is audited with its participant"
    for record in enrolments:
        assert record.session_id == two_branches["gent"]
        assert record.training_id == training_id
        assert record.branch_id == gent_branch
    # The training enrolment is written in bulk (record_many): its context too.
    bulk = _records(app, object_type="training_enrolments", participant_id=two_branches["an"])
    assert bulk and all(r.branch_id == gent_branch and r.training_id == training_id for r in bulk)
    [created] = _records(app, object_type="sessions", object_id=two_branches["gent"])
    assert (created.session_id, created.training_id, created.branch_id) == (
        two_branches["gent"],
        training_id,
        gent_branch,
    )


def test_a_scan_registration_is_audited_with_its_context(app, make, two_branches):
    api = make.api(Role.PROMOTOR, "Gent")
    response = api.post(
        "/scans",
        {"session_id": two_branches["gent"], "code": make.code(two_branches["an"]), "nonce": "n1"},
    )
    assert response.status_code == 200, response.get_json()
    [record] = _records(app, object_type="registrations")
    with app.app_context():
        session = db.session.get(Session, two_branches["gent"])
        assert record.participant_id == two_branches["an"]
        assert record.session_id == session.id
        assert record.training_id == session.training_id
        assert record.branch_id == session.training.project.branch_id


def test_a_promotor_reads_only_their_branch_and_a_trainer_nothing(app, make, two_branches, auth):
    client = auth.as_role(Role.PROMOTOR, branch="Gent", english=True)
    page = client.get("/audit/").get_data(as_text=True)
    assert "An Gent" in page
    assert "Bo Antwerpen" not in page
    # Asking for the other branch's participant by number shows nothing of them.
    page = client.get(f"/audit/?participant={two_branches['bo']}").get_data(as_text=True)
    assert "Bo Antwerpen" not in page and "No records match." in page
    csv_text = client.get("/audit/audit.csv").get_data(as_text=True)
    assert "An Gent" in csv_text and "Bo Antwerpen" not in csv_text

    for role in (Role.TRAINER, Role.FRONTDESK):
        other = auth.as_role(role, branch="Gent")
        assert other.get("/audit/").status_code == 403
        assert other.get("/audit/audit.csv").status_code == 403
        assert make.api(role, "Gent").get("/audit").status_code == 403


def test_central_support_reads_every_branch(app, make, two_branches, auth):
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    page = client.get("/audit/").get_data(as_text=True)
    assert "An Gent" in page and "Bo Antwerpen" in page
    # A branch's administrator is a reader of that branch only.
    local = auth.as_role(Role.ADMIN, branch="Antwerpen", english=True)
    page = local.get("/audit/").get_data(as_text=True)
    assert "Bo Antwerpen" in page and "An Gent" not in page


def test_the_api_has_the_same_scope_and_pages(app, make, two_branches):
    gent = make.api(Role.PROMOTOR, "Gent")
    everything = gent.get("/audit?per_page=200").get_json()
    assert everything["total"] == len(everything["items"]) > 3
    assert all(item["participant_id"] != two_branches["bo"] for item in everything["items"])
    ids = {item["id"] for item in everything["items"]}

    first = gent.get("/audit?per_page=2&page=1").get_json()
    second = gent.get("/audit?per_page=2&page=2").get_json()
    assert first["total"] == second["total"] == everything["total"]
    assert len(first["items"]) == len(second["items"]) == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    # Newest first, through the pages.
    walked = []
    page = 1
    while True:
        answer = gent.get(f"/audit?per_page=3&page={page}").get_json()
        if not answer["items"]:
            break
        walked += [i["id"] for i in answer["items"]]
        page += 1
    assert set(walked) == ids and len(walked) == len(ids)

    other = gent.get(f"/audit?participant_id={two_branches['bo']}").get_json()
    assert other["total"] == 0 and other["items"] == []
    antwerpen = make.api(Role.PROMOTOR, "Antwerpen").get(
        f"/audit?participant_id={two_branches['bo']}"
    )
    assert antwerpen.get_json()["total"] >= 2  # created, enrolled

    assert gent.get("/audit?per_page=500").status_code == 400
    assert gent.get("/audit?object_type=nonsense").status_code == 400
    refused = gent.get("/audit?object_id=3")
    assert refused.status_code == 400 and refused.get_json()["field"] == "object_type"


def test_a_change_shows_its_before_and_after(app, make, two_branches, today, auth):
    client = auth.as_role(Role.PROMOTOR, branch="Gent", english=True)
    with app.app_context():
        from app.participants.operations.editing import update_participant

        participant = db.session.get(Participant, two_branches["an"])
        user = db.session.scalars(select(User).where(User.role == Role.PROMOTOR)).first()
        update_participant(
            Actor(user), participant, "An Gentenaar", participant.email, None, now=datetime.now(UTC)
        )
        db.session.commit()
    api = make.api(Role.PROMOTOR, "Gent")
    answer = api.get(
        f"/audit?object_type=participant&object_id={two_branches['an']}&action=participant.change"
    ).get_json()
    [item] = answer["items"]
    assert {"field": "name", "before": "An Gent", "after": "An Gentenaar"} in item["changes"]
    assert item["before"]["name"] == "An Gent" and item["after"]["name"] == "An Gentenaar"
    page = client.get(f"/audit/?participant={two_branches['an']}").get_data(as_text=True)
    assert '<td class="before">An Gent</td>' in page
    assert '<td class="after">An Gentenaar</td>' in page


def test_a_correction_is_one_line_in_the_session_and_the_registration_history(
    app, make, two_branches, today, auth
):
    session_id, an = two_branches["gent"], two_branches["an"]
    now = datetime.now(UTC)
    first_at = (now - timedelta(minutes=30)).replace(second=0, microsecond=0)
    with app.app_context():
        session = db.session.get(Session, session_id)
        first = register(Actor(None), session, an, Kind.IN, first_at, now, Source.MANUAL)
        register(
            Actor(None),
            session,
            an,
            Kind.IN,
            first_at + timedelta(minutes=10),
            now,
            Source.CORRECTION,
            reason="came in late",
            voids_id=first,
        )
        db.session.commit()
    client = auth.as_role(Role.PROMOTOR, branch="Gent", english=True)
    local = first_at.astimezone(BRUSSELS)
    expected = (
        f"Correction: registration #{first} (check-in {local:%d/%m/%Y %H:%M}) voided, new: "
        f"check-in {local + timedelta(minutes=10):%d/%m/%Y %H:%M}; reason: came in late"
    )
    for url in (
        f"/audit/?session={session_id}",
        f"/audit/?object_type=registration&object_id={first}",
    ):
        page = client.get(url).get_data(as_text=True)
        assert expected in page, url
    api = make.api(Role.PROMOTOR, "Gent")
    answer = api.client.get(
        f"/api/v1/audit?object_type=registration&object_id={first}",
        headers={"Authorization": f"Bearer {api.token}", "Accept-Language": "en"},
    ).get_json()
    assert answer["total"] == 2  # the voided row and the correction
    assert answer["items"][0]["summary"] == expected


def test_who_read_the_national_register_number(app, make, two_branches, auth):
    client = auth.as_role(Role.PROMOTOR, branch="Gent", email="pieter@example.org")
    response = client.post(f"/participants/{two_branches['an']}/reveal")
    assert response.status_code == 200
    api = make.api(Role.PROMOTOR, "Gent")
    answer = api.get(
        f"/audit?participant_id={two_branches['an']}&action=participant.reveal_national_number"
    ).get_json()
    [item] = answer["items"]
    assert item["who_kind"] == "user" and "pieter@example.org" in item["who"]
    page = client.get(
        f"/audit/?participant={two_branches['an']}&action=participant.reveal_national_number"
    ).get_data(as_text=True)
    assert "pieter@example.org" in page
    # The participant's page links to that history.
    detail = client.get(f"/participants/{two_branches['an']}").get_data(as_text=True)
    assert (
        f"/audit/?participant={two_branches['an']}&amp;action=participant.reveal_national_number"
        in detail
    )


def test_filters_narrow_and_bad_values_are_said_not_crashed(app, make, two_branches, today, auth):
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    page = client.get("/audit/?action=session.create").get_data(as_text=True)
    assert "session.create" in page and "enrolment.create" not in page
    page = client.get("/audit/?action=enrolment").get_data(as_text=True)
    assert "enrolment.create" in page and "session.create</code>" not in page
    tomorrow = today + timedelta(days=1)
    page = client.get(f"/audit/?from={tomorrow.isoformat()}").get_data(as_text=True)
    assert "No records match." in page
    page = client.get(f"/audit/?to={today.isoformat()}&from={today.isoformat()}").get_data(
        as_text=True
    )
    assert "An Gent" in page
    response = client.get("/audit/?from=31/02/2026&participant=abc&action=DROP TABLE&object_type=x")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "From must be a date" in page and "Participant must be a number" in page
    assert "Unknown kind of object" in page


def test_the_csv_export_holds_every_record_of_the_filter(app, make, two_branches, auth):
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    response = client.get(f"/audit/audit.csv?participant={two_branches['an']}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    with app.app_context():
        expected = len(
            db.session.scalars(
                select(AuditRecord).where(AuditRecord.participant_id == two_branches["an"])
            ).all()
        )
    assert len(rows) == 1 + expected
    assert all(row[3] != "" for row in rows[1:])


def test_paging_through_more_than_one_page_on_the_web(app, make, two_branches, auth):
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    with app.app_context():
        for n in range(60):
            db.session.add(
                AuditRecord(
                    action="participant.code_resend",
                    object_type="participants",
                    object_id=two_branches["an"],
                    participant_id=two_branches["an"],
                    at=datetime.now(UTC) + timedelta(seconds=n),
                )
            )
        db.session.commit()
    first = client.get("/audit/?action=participant.code_resend").get_data(as_text=True)
    assert "60 records" in first and "Page 1 of 2" in first
    second = client.get("/audit/?action=participant.code_resend&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    assert second.count('data-record="') == 10


def test_object_pages_link_to_their_history(app, make, two_branches, auth):
    client = auth.as_role(Role.PROMOTOR, branch="Gent", english=True)
    session_id = two_branches["gent"]
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert f'href="/audit/?session={session_id}"' in page
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
    page = client.get(f"/trainings/{training_id}").get_data(as_text=True)
    assert f'href="/audit/?training={training_id}"' in page
    page = client.get(f"/participants/{two_branches['an']}").get_data(as_text=True)
    assert f'href="/audit/?participant={two_branches["an"]}"' in page
