"""The API's sub-lists are paged like the top-level lists (page, per_page, total): a session's
roster, enrolments and registrations, a training's attendance rows and self-reports, read
through more than one page. Both databases."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.audit import Actor
from app.clock import clock_of
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import Participant, Role, Session, Training, TrainingEnrolment, TrainingMode
from tests.builders import Api

MONDAY = date(2026, 1, 5)  # a working day long past: the operation gets its own ``now``


def _pages(api: Api, path: str, key: str = "items") -> tuple[list, set[int]]:
    """Every item, read two at a time, and the totals each page announced."""
    items, totals, page = [], set(), 1
    while True:
        body = api.get(path, query_string={"page": page, "per_page": 2}).get_json()
        assert body["page"] == page and body["per_page"] == 2, body
        assert len(body[key]) <= 2
        items += body[key]
        totals.add(body["total"])
        if page * 2 >= body["total"]:
            return items, totals
        page += 1


def _session_with_five(app, make, today):  # type: ignore[no-untyped-def]
    session_id = make.session(today, time(0, 0), time(23, 59))
    people = [make.participant(name=f"Deelnemer {i}") for i in range(5)]
    for person in people:
        make.enrol(session_id, person)
    return session_id, people


def test_a_sessions_roster_and_enrolments_page_through(app, make, today):
    session_id, people = _session_with_five(app, make, today)
    api = make.api(Role.PROMOTOR)
    roster, totals = _pages(api, f"/sessions/{session_id}/roster", "participants")
    assert totals == {5} and sorted(p["id"] for p in roster) == sorted(people)
    enrolled, totals = _pages(api, f"/sessions/{session_id}/enrolments")
    assert totals == {5} and sorted(p["id"] for p in enrolled) == sorted(people)
    whole = api.get(f"/sessions/{session_id}/roster").get_json()
    assert whole["session"]["id"] == session_id and len(whole["participants"]) == 5
    assert (whole["total"], whole["page"], whole["per_page"]) == (5, 1, 100)
    past_the_end = api.get(f"/sessions/{session_id}/enrolments?page=9").get_json()
    assert past_the_end["items"] == [] and past_the_end["total"] == 5
    assert api.get(f"/sessions/{session_id}/roster?per_page=0").status_code == 400


def test_a_sessions_registrations_page_through(app, make, today):
    session_id, people = _session_with_five(app, make, today)
    api = make.api(Role.PROMOTOR)
    marks = [{"participant_id": p, "present": True} for p in people]
    called = api.post(f"/sessions/{session_id}/roll-call", {"marks": marks})
    assert called.get_json() == {"count": 5}
    registrations, totals = _pages(api, f"/sessions/{session_id}/registrations")
    assert totals == {5}
    assert sorted(r["participant_id"] for r in registrations) == sorted(people)
    assert len({r["id"] for r in registrations}) == 5


def test_a_trainings_attendance_rows_page_through(app, make, today):
    session_id, people = _session_with_five(app, make, today)
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
    api = make.api(Role.PROMOTOR)
    rows, totals = _pages(api, f"/trainings/{training_id}/attendance")
    assert totals == {5} and sorted(r["participant_id"] for r in rows) == sorted(people)
    first = api.get(f"/trainings/{training_id}/attendance?per_page=2").get_json()
    assert first["training_id"] == training_id and first["hours_method"] == "registered"


def _elearning_reports(app, make, count: int) -> int:  # type: ignore[no-untyped-def]
    """An e-learning training with ``count`` reports of one participant, on the operation the
    portal calls."""
    from app.participants.operations.enrolling import enrol_in_elearning
    from app.planning.operations import create_project, create_training
    from app.supervision.operations.selfreports import report_hours
    from tests.builders import _planner

    person = make.participant(name="Eva Online")
    with app.app_context():
        planner = Actor(_planner("Gent"))
        project = create_project(planner, "E-project", "ESF-EL-PAGES", "Gent")
        training = create_training(planner, project, "Excel online", "EL-P", TrainingMode.ELEARNING)
        enrol_in_elearning(
            planner, training, db.session.get(Participant, person), now=clock_of(app).now()
        )
        for enrolment in db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.training_id == training.id)
        ):
            enrolment.enrolled_on = MONDAY - timedelta(days=30)
        db.session.commit()
        evening = datetime.combine(MONDAY, time(20), tzinfo=BRUSSELS)
        for hour in range(count):
            report_hours(
                Actor(None),
                db.session.get(Training, training.id),
                db.session.get(Participant, person),
                MONDAY,
                time(8 + hour),
                time(8 + hour, 45),
                None,
                "Module",
                evening,
            )
        db.session.commit()
        return training.id


def test_a_trainings_self_reports_page_through(app, make):
    training_id = _elearning_reports(app, make, 3)
    api = make.api(Role.PROMOTOR)
    reports, totals = _pages(api, f"/trainings/{training_id}/self-reports")
    assert totals == {3} and len({r["id"] for r in reports}) == 3
    assert [r["start"] for r in reports] == ["08:00", "09:00", "10:00"]
    assert all(r["state"] == "waiting" for r in reports)


def test_the_laptop_scanner_reads_every_page_of_the_roster(app, make, today, monkeypatch):
    """The scanner checks codes offline against the whole roster: it reads page after page."""
    import socket
    import threading

    from werkzeug.serving import make_server

    from scanner import client as scanner_client

    session_id, people = _session_with_five(app, make, today)
    token = make.token(make.user(Role.PROMOTOR))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(scanner_client, "ROSTER_PAGE", 2)
        scanner = scanner_client.Client(f"http://127.0.0.1:{port}", token)
        asked = []
        call = scanner._call

        def spy(method, path, **kwargs):  # type: ignore[no-untyped-def]
            asked.append(kwargs.get("params"))
            return call(method, path, **kwargs)

        monkeypatch.setattr(scanner, "_call", spy)
        roster = scanner.roster(session_id)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    assert roster["session"]["id"] == session_id
    assert sorted(p["id"] for p in roster["participants"]) == sorted(people)
    assert [a["page"] for a in asked] == [1, 2, 3]
