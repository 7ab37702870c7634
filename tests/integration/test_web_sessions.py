"""The session page, its actions (enrol, submit, reopen, close), the archive and the trainer's view."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditRecord, Enrolment, OutboxMail, Role, Session
from tests.builders import PASSWORD
from tests.helpers.web import scan

PAST = date(2026, 1, 5)  # a Monday, long locked


def count(app, model, *where) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def test_the_session_page_shows_times_deadline_status_and_live_state(app, make, today, auth):
    session_id = make.session(today, time(0, 0), time(23, 59), time(12), time(12, 30))
    an, ben = make.participant(name="An Peeters"), make.participant(name="Ben Claes")
    make.enrol(session_id, an)
    make.enrol(session_id, ben)
    scan(make.api(), session_id, make.code(an), datetime.now(UTC))
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = text(client.get(f"/sessions/{session_id}"))
    assert "00:00–23:59" in page and "12:00–12:30" in page and "Room 1" in page
    assert "Registration deadline" in page and "10:00" in page
    assert "in progress" in page
    assert "An Peeters" in page and "Ben Claes" in page
    assert 'data-roster-count="in">1<' in page
    states = {
        row["id"]: row["state"] for row in client.get(f"/sessions/{session_id}/roster.json").json
    }
    assert states == {an: "in", ben: "out"}


def test_submitting_before_the_deadline_is_refused_with_a_clear_message(app, make, today, auth):
    open_session = make.session(today)
    past_session = make.session(PAST, time(9), time(12))
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = text(client.post(f"/sessions/{open_session}/submit", follow_redirects=True))
    assert "can be submitted once its registration deadline has passed" in page
    page = text(client.post(f"/sessions/{past_session}/submit", follow_redirects=True))
    assert "Session submitted." in page and "submitted" in page
    with app.app_context():
        assert db.session.get(Session, open_session).submitted_at is None
        assert db.session.get(Session, past_session).submitted_at is not None
    page = text(client.post(f"/sessions/{past_session}/submit", follow_redirects=True))
    assert "already submitted" in page


def test_reopening_needs_a_reason_shown_next_to_the_field_then_support_closes_again(
    app, make, auth
):
    session_id = make.session(PAST, time(9), time(12))
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    response = client.post(f"/sessions/{session_id}/reopen", data={"reopen-reason": "   "})
    assert response.status_code == 200
    page = text(response)
    assert 'class="field-error"' in page and "Give the reason for reopening." in page
    with app.app_context():
        assert db.session.get(Session, session_id).reopened_at is None

    page = text(
        client.post(
            f"/sessions/{session_id}/reopen",
            data={"reopen-reason": "Scanner broke"},
            follow_redirects=True,
        )
    )
    assert "Session reopened" in page and "Scanner broke" in page
    assert "Close the session again" in page
    page = text(client.post(f"/sessions/{session_id}/close", follow_redirects=True))
    assert "Session closed again." in page
    with app.app_context():
        session = db.session.get(Session, session_id)
        assert session.was_reopened and not session.reopened and session.reclosed_at
        actions = db.session.scalars(select(AuditRecord.action)).all()
    assert "session.reopen" in actions and "session.close" in actions


def test_an_open_session_cannot_be_reopened(app, make, today, auth):
    session_id = make.session(today)
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    page = text(
        client.post(
            f"/sessions/{session_id}/reopen", data={"reopen-reason": "x"}, follow_redirects=True
        )
    )
    assert "This session is not locked." in page


def test_only_support_reopens_and_closes(app, make, auth):
    session_id = make.session(PAST, time(9), time(12))
    for role in (Role.PROMOTOR, Role.TRAINER, Role.FRONTDESK):
        client = auth.as_role(role)
        assert (
            client.post(f"/sessions/{session_id}/reopen", data={"reopen-reason": "x"}).status_code
            == 403
        )
        assert client.post(f"/sessions/{session_id}/close").status_code == 403


def test_enrolling_from_the_session_page_mails_the_code_once(app, make, today, auth):
    first = make.session(today)
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    second = make.session(today + timedelta(days=7), training_id=training_id)
    an, ben = make.participant(name="An"), make.participant(name="Ben")
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = text(
        client.post(
            f"/sessions/{first}/enrol",
            data={"enrol-participants": [str(an), str(ben)]},
            follow_redirects=True,
        )
    )
    assert "2 participants enrolled." in page
    assert count(app, OutboxMail) == 2
    client.post(f"/sessions/{second}/enrol", data={"enrol-participants": [str(an)]})
    assert count(app, Enrolment) == 3
    assert (
        count(app, OutboxMail) == 2
    )  # the same code serves every session (docs/rules.md, "QR code")
    # Who is enrolled already is left out of the list.
    page = text(client.get(f"/sessions/{second}"))
    assert f'value="{ben}"' in page and f'value="{an}"' not in page


def test_enrolling_nobody_or_someone_of_another_branch_is_refused_on_the_form(
    app, make, today, auth
):
    session_id = make.session(today)
    stranger = make.participant(branch="Brugge")
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    response = client.post(f"/sessions/{session_id}/enrol", data={})
    assert response.status_code == 200
    assert "Choose at least one participant." in text(response)
    response = client.post(
        f"/sessions/{session_id}/enrol", data={"enrol-participants": [str(stranger)]}
    )
    assert response.status_code == 200 and 'class="field-error"' in text(response)
    response = client.post(f"/sessions/{session_id}/enrol", data={"enrol-participants": ["x"]})
    assert response.status_code == 200
    assert count(app, Enrolment) == 0


def test_the_archive_lists_past_sessions_and_filters_the_reopened_and_unsubmitted(
    app, make, today, auth
):
    plain = make.session(PAST, time(9), time(12))
    reopened = make.session(PAST + timedelta(days=1), time(9), time(12))
    submitted = make.session(PAST + timedelta(days=2), time(9), time(12))
    upcoming = make.session(today + timedelta(days=1))
    client = auth.as_role(Role.ADMIN, branch=None, english=True)
    client.post(f"/sessions/{reopened}/reopen", data={"reopen-reason": "Forgotten scan"})
    client.post(f"/sessions/{submitted}/submit")

    def shown(path: str) -> set[int]:
        page = text(client.get(path))
        return {s for s in (plain, reopened, submitted, upcoming) if f'/sessions/{s}"' in page}

    assert shown("/archive") == {plain, reopened, submitted}
    assert shown("/archive?filter=reopened") == {reopened}
    assert shown("/archive?filter=unsubmitted") == {plain, reopened}
    assert "Forgotten scan" in text(client.get("/archive?filter=reopened"))
    assert shown("/archive?filter=nonsense&page=abc") == {plain, reopened, submitted}
    assert shown("/archive?page=99") == {plain, reopened, submitted}


def test_the_archive_pages(app, make, auth):
    from app.planning.routes.dashboard import ARCHIVE_PAGE_SIZE

    first = make.session(PAST, time(8), time(9))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    for offset in range(1, ARCHIVE_PAGE_SIZE + 1):
        make.session(PAST - timedelta(days=offset), time(8), time(9), training_id=training_id)
    client = auth.as_role(Role.PROMOTOR, english=True)
    assert "Page 1 of 2" in text(client.get("/archive"))
    page = text(client.get("/archive?page=2"))
    assert (
        "Page 2 of 2" in page
        and (PAST - timedelta(days=ARCHIVE_PAGE_SIZE)).strftime("%d/%m/%Y") in page
    )


def test_a_trainers_home_shows_today_first_and_only_their_own_sessions(app, make, today):
    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    later = make.session(today + timedelta(days=3), time(9), time(12), trainer_id=trainer)
    now = make.session(today, time(13), time(16), trainer_id=trainer)
    other = make.session(today, time(9), time(12))
    client = app.test_client()
    client.post("/login", data={"email": "tom@example.org", "password": PASSWORD})
    client.post("/language/en", data={"next": "/"})
    page = text(client.get("/"))
    assert (
        page.index(f'/sessions/{now}"') < page.index("Upcoming") < page.index(f'/sessions/{later}"')
    )
    assert f'/sessions/{other}"' not in page
    assert "aanwezig-scan" in page and "/tokens" in page


def test_a_trainer_sees_the_roster_but_plans_nothing(app, make, today):
    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(today, trainer_id=trainer)
    person = make.participant(name="An Peeters")
    make.enrol(session_id, person)
    client = app.test_client()
    client.post("/login", data={"email": "tom@example.org", "password": PASSWORD})
    page = text(client.get(f"/sessions/{session_id}"))
    assert "An Peeters" in page
    assert "enrol-participants" not in page and f"/participants/{person}" not in page
    assert (
        client.post(
            f"/sessions/{session_id}/enrol", data={"enrol-participants": [str(person)]}
        ).status_code
        == 403
    )
    assert client.post(f"/sessions/{session_id}/submit").status_code == 403
    assert client.get(f"/participants/{person}").status_code == 403


def test_the_session_times_are_brussels_wall_clock(app, make, auth):
    """A summer session: the page shows the planned local times, the deadline in local time."""
    day = date(2026, 7, 2)  # a Thursday in summer time
    session_id = make.session(day, time(9), time(12))
    client = auth.as_role(Role.PROMOTOR, english=True)
    page = text(client.get(f"/sessions/{session_id}"))
    assert "09:00–12:00" in page and "03/07/2026 10:00" in page
