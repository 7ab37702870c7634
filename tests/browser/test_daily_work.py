"""In a real browser: planning a series with its preview, and correcting a participant's email
then sending the code to the new address (the everyday work of a promotor)."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMail, Role, Session
from tests.builders import future_monday
from tests.helpers.browser import log_in


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


def test_the_attendance_table_fits_its_page_with_paid_leave_per_period(
    page, live_server, app, make
):
    """Every column visible on a laptop's screen (no sideways scrolling), even with the paid
    leave of every period under the participants who take it."""
    from app.models import TrainingEnrolment

    make.user(Role.PROMOTOR, "Gent", email="petra@example.org")
    first = make.session(date(2026, 9, 7), time(18), time(21))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    sessions = [first] + [
        make.session(
            date(2026, 9, 7) + timedelta(weeks=week), time(18), time(21), training_id=training_id
        )
        for week in range(1, 16)  # four months: two lesson periods
    ]
    people = [make.participant(name=f"Deelnemer met een lange naam {n}") for n in range(4)]
    for person in people:
        for session_id in sessions:
            make.enrol(session_id, person)
    with app.app_context():
        for enrolment in db.session.scalars(select(TrainingEnrolment)):
            enrolment.paid_leave = True
        db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "petra@example.org")
    page.goto(f"{live_server}/trainings/{training_id}/attendance")
    scroller = page.locator(".table-scroll")
    widths = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1], widths  # nothing hidden to the right
    # ... and not by squeezing the columns to a letter each: the headers take two lines at most.
    heading = page.locator("table.report thead tr").bounding_box()
    assert heading is not None and heading["height"] < 60, heading
    periods = page.locator("td.periods").first.inner_text()
    assert (
        periods.startswith("Betaald educatief verlof per periode") and periods.count("/2026") >= 2
    )
    header = page.locator("table.report th", has_text="Examen")
    assert header.is_visible()
