"""In a real browser on a phone-sized screen: a participant signs in from the mailed link and
opens their QR code and a certificate; a supervisor approves two reports."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.audit import Actor
from app.extensions import db
from app.mail.outbox import deliver_pending
from app.models import CertificateKind, Participant, SelfReport, Training
from tests.helpers.mail import SMTP_PORT, Inbox, decode_png

PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"https?://[^\s\"<>]+/portal/link/[A-Za-z0-9_.\-]+")


@pytest.fixture
def app_config() -> dict:
    return {
        "WTF_CSRF_ENABLED": True,
        "SERVER_NAME": None,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": SMTP_PORT,
    }


@pytest.fixture
def phone(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="nl-BE",
        timezone_id="Europe/Brussels",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in_from_mail(phone, app, live_server: str, inbox: Inbox, email: str) -> None:  # type: ignore[no-untyped-def]
    phone.goto(f"{live_server}/portal/sign-in")
    phone.fill("#email", email)
    phone.click("button:has-text('Mail me een aanmeldlink')")
    phone.wait_for_selector("#link-sent")
    inbox.messages.clear()
    with app.app_context():
        deliver_pending()
    [link] = [
        found
        for message in inbox.messages
        if message["To"] == email
        for found in LINK.findall(message.get_body(preferencelist=("plain",)).get_content())
    ]
    phone.goto(live_server + re.sub(r"^https?://[^/]+", "", link))
    phone.click("button:has-text('Aanmelden')")
    phone.wait_for_url(f"{live_server}/portal/")


def fits_the_screen(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_participant_signs_in_from_the_mail_and_opens_the_qr_code_and_a_certificate(
    phone, live_server, app, make, today, inbox
):
    session_id = make.session(today + timedelta(days=2), time(9), time(12))
    person = make.participant(name="An Peeters", email="an@example.org")
    make.enrol(session_id, person)
    with app.app_context():
        from app.certificates.operations import issue
        from app.models import Session

        training = db.session.get(Session, session_id).training
        issued = issue(
            Actor(None),
            CertificateKind.REGULAR_ENROLMENT,
            training,
            db.session.get(Participant, person),
            datetime.now(UTC),
        )
        db.session.commit()
        certificate_id = issued.id
    sign_in_from_mail(phone, app, live_server, inbox, "an@example.org")
    assert fits_the_screen(phone)
    image = phone.locator(f"#qr-{person} img.qr-large")
    box = image.bounding_box()
    assert box is not None and box["width"] >= 250  # large enough to scan from the screen
    png = phone.request.get(f"{live_server}/portal/qr/{person}.png").body()
    assert decode_png(png) == [make.code(person)]
    assert "Je volgende lessen" in phone.content()
    phone.click("text=Afdrukbare versie")
    phone.wait_for_selector("body.print-page img")
    phone.go_back()
    link = phone.locator("#certificates a").first
    assert "Attest van regelmatige inschrijving" in link.inner_text()
    pdf = phone.request.get(live_server + link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    assert link.get_attribute("href").endswith(f"/portal/certificates/{certificate_id}.pdf")
    phone.click("button:has-text('Afmelden')")
    phone.wait_for_url(f"{live_server}/portal/sign-in")


def test_a_supervisor_approves_two_reports_on_a_phone(phone, live_server, app, make, today, inbox):
    from tests.helpers.portal import EVENING, elearning_training, link_supervisor, report

    person = make.participant(name="An Peeters", email="an@example.org")
    training = elearning_training(app, make, today, [person])
    link_supervisor(app, person, "Sara Baas", "sara@example.org")
    first = report(app, training, person, start=time(9), end=time(10), now=EVENING)
    second = report(app, training, person, start=time(11), end=time(12), now=EVENING)
    third = report(app, training, person, start=time(13), end=time(14), now=EVENING)
    sign_in_from_mail(phone, app, live_server, inbox, "sara@example.org")
    assert "wacht" in phone.locator("#supervisor").inner_text()
    phone.click("#supervisor a.button")
    phone.wait_for_selector("#decide")
    assert fits_the_screen(phone)
    phone.check(f"#report-{first}")
    phone.check(f"#report-{second}")
    phone.click("button:has-text('Gekozen registraties goedkeuren')")
    phone.wait_for_selector(".flash.success")
    assert "2 registraties goedgekeurd." in phone.locator(".flash.success").inner_text()
    assert phone.locator(f"#report-{third}").count() == 1  # still waiting
    with app.app_context():
        from app.supervision.operations.selfreports import report_states

        reports = db.session.scalars(select(SelfReport).order_by(SelfReport.id)).all()
        assert [s.state for s in report_states(reports)] == ["approved", "approved", "waiting"]
        assert db.session.get(Training, training).code == "EL-7"
