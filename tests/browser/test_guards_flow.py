"""Issue 20 in a real browser: the closure-day warning that names the planned sessions, and
issuing every due certificate in one confirmed step."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Certificate, ClosureDay, Role, Session
from tests.helpers.browser import log_in
from tests.helpers.courses import build_course


def test_a_closure_day_names_the_planned_sessions_and_cancels_them(
    page, live_server, app, make, today
):
    make.user(Role.ADMIN, None, email="support@example.org")
    day = today + timedelta(days=20)
    session_id = make.session(day, time(9), time(12))
    log_in(page, live_server, "support@example.org")
    page.goto(f"{live_server}/admin/closure-days")
    page.fill("#day", day.isoformat())
    page.fill("#label", "Studiedag")
    page.click("button:has-text('Sluitingsdag toevoegen')")
    warning = page.locator(".closure-sessions")
    assert "1 sessie gepland" in warning.inner_text()
    assert f"{day.strftime('%d/%m/%Y')} 09:00–12:00" in warning.inner_text()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ClosureDay)) == 0
    page.select_option("#planned", "cancel")
    page.click("button:has-text('Sluitingsdag toevoegen')")
    page.wait_for_selector("text=1 sessie geannuleerd.")
    with app.app_context():
        assert db.session.get(Session, session_id).cancelled


def test_all_due_certificates_in_one_confirmed_click(page, live_server, app, make):
    course = build_course(app, make)
    make.user(Role.PROMOTOR, "Gent", email="petra@example.org")
    log_in(page, live_server, "petra@example.org")
    page.goto(f"{live_server}/trainings/{course['training']}/certificates")
    button = page.locator("form.issue-due button")
    label = button.inner_text()
    count = int(label.split()[1])
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    button.click()
    page.wait_for_selector(f"text={count} attesten uitgereikt.")
    assert messages and f"Deze {count} attesten nu uitreiken?" in messages[0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == count
    assert page.locator("form.issue-due").count() == 0


def test_the_front_desk_enrols_a_walk_in(page, live_server, app, make, today):
    session_id = make.session(today, time(0, 0), time(23, 59))
    walk_in = make.participant(name="Karel Vandamme", email="karel@voorbeeld.be")
    make.user(Role.FRONTDESK, "Gent", email="balie@example.org")
    log_in(page, live_server, "balie@example.org")
    page.goto(f"{live_server}/frontdesk")
    page.fill("#q", "vandamme")
    page.click("button:has-text('Opzoeken')")
    page.click(".walk-in-results button:has-text('Vandaag inschrijven')")
    page.wait_for_selector("text=Karel Vandamme is ingeschreven")
    from app.models import Enrolment

    with app.app_context():
        assert db.session.scalars(
            select(Enrolment).where(
                Enrolment.session_id == session_id, Enrolment.participant_id == walk_in
            )
        ).one()
