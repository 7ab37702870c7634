"""In a real browser: planning a series with its preview, and correcting a participant's email
then sending the code to the new address (the everyday work of a promotor)."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMail, Role, Session
from tests.browser.test_planning_flow import log_in
from tests.builders import future_monday


def test_a_series_is_planned_from_its_preview(page, live_server, app, make):
    make.user(Role.PROMOTOR, "Gent", email="petra@example.org")
    first = make.session(date(2027, 1, 4), time(9), time(12))  # a Monday before the series
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    log_in(page, live_server, "petra@example.org")
    page.goto(f"{live_server}/trainings/{training_id}")
    page.click("text=Een reeks plannen (elke week)")
    page.fill("#series-first", "2027-04-27")
    page.fill("#series-last", "2027-05-20")
    page.get_by_label("dinsdag").check()
    page.get_by_label("donderdag").check()
    page.fill("#series-start", "18:00")
    page.fill("#series-end", "21:00")
    page.fill("#series-break_start", "19:30")
    page.fill("#series-break_end", "19:45")
    page.fill("#series-location", "Lokaal X")
    page.click("button:has-text('De data tonen')")
    preview = page.locator("#preview")
    preview.wait_for()
    text = preview.inner_text()
    assert "8 data voorgesteld." in text
    assert "Feestdag: O. L. H. Hemelvaart" in text  # Thursday 6 May 2027
    assert not page.locator("#day-2027-05-06").is_checked()
    assert page.locator("#day-2027-05-11").is_checked()
    with app.app_context():  # nothing is planned before the confirmation
        assert (
            len(db.session.scalars(select(Session).where(Session.day >= date(2027, 4, 1))).all())
            == 0
        )
    page.locator("#day-2027-05-20").uncheck()
    page.click("button:has-text('De aangevinkte data plannen')")
    page.wait_for_selector(".flash.success")
    assert "6 sessies gepland." in page.locator(".flash.success").inner_text()
    with app.app_context():
        days = db.session.scalars(
            select(Session.day).where(Session.day >= date(2027, 4, 1)).order_by(Session.day)
        ).all()
    assert [d.isoformat() for d in days] == [
        "2027-04-27", "2027-04-29", "2027-05-04", "2027-05-11", "2027-05-13", "2027-05-18",
    ]  # fmt: skip


def test_a_corrected_email_gets_the_code_on_request(page, live_server, app, make):
    make.user(Role.PROMOTOR, "Gent", email="petra@example.org")
    session_id = make.session(future_monday())
    person = make.participant(name="An Peeters", email="an.peeters@exampel.org")
    make.enrol(session_id, person)
    log_in(page, live_server, "petra@example.org")
    page.goto(f"{live_server}/participants/{person}")
    page.click("text=Naam, e-mail of rijksregisternummer corrigeren")
    page.fill("#edit-email", "an.peeters@example.org")
    page.click("#edit button:has-text('Wijzigingen bewaren')")
    notice = page.locator("#resend-new")
    notice.wait_for()
    assert "an.peeters@example.org" in notice.inner_text()
    with app.app_context():
        assert [m.recipient for m in db.session.scalars(select(OutboxMail))] == [
            "an.peeters@exampel.org"
        ]  # nothing sent by itself
    page.click("#resend-new button:has-text('De code naar het nieuwe adres sturen')")
    page.wait_for_selector(".flash.success")
    with app.app_context():
        recipients = [
            m.recipient for m in db.session.scalars(select(OutboxMail).order_by(OutboxMail.id))
        ]
    assert recipients == ["an.peeters@exampel.org", "an.peeters@example.org"]
