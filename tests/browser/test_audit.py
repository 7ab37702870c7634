"""In a real browser: a promotor reads the national register number, then finds that look in
the participant's history and narrows the audit page with its filters; another branch's
records never show."""

from __future__ import annotations

from datetime import time

from app.models import Role
from tests.helpers.browser import log_in


def test_the_audit_page_and_its_filters(page, live_server, app, make, today):
    make.user(Role.PROMOTOR, "Gent", email="petra@example.org")
    session = make.session(today, time(9), time(12))
    an = make.participant(name="An Gent", national_number="85073003328")
    make.enrol(session, an)
    other = make.session(today, time(9), time(12), branch="Antwerpen")
    bo = make.participant(branch="Antwerpen", name="Bo Antwerpen")
    make.enrol(other, bo)

    log_in(page, live_server, "petra@example.org")
    page.goto(f"{live_server}/participants/{an}")
    page.click("button:has-text('Tonen (wordt vastgelegd)')")
    page.wait_for_selector("#revealed-number")
    page.click("#participant-history")
    page.wait_for_selector("#audit-records")
    assert "Geschiedenis van An Gent" in page.locator("h1").inner_text()
    table = page.locator("#audit-records").inner_text()
    assert "participant.reveal_national_number" in table
    assert "Rijksregisternummer volledig bekeken" in table
    assert "enrolment.create" in table
    assert "Bo Antwerpen" not in table

    # The whole branch, then narrowed by action and person with the form.
    page.goto(f"{live_server}/audit/")
    assert "Bo Antwerpen" not in page.locator("#audit-records").inner_text()
    page.fill("#f-action", "participant.reveal_national_number")
    page.select_option("#f-user", label="petra@example.org")
    page.click("#audit-filter button[type=submit]")
    page.wait_for_url("**action=participant.reveal_national_number**")
    rows = page.locator("#audit-records tbody tr")
    assert rows.count() == 1
    assert "petra@example.org" in rows.first.inner_text()
    assert page.locator("#audit-total").inner_text() == "1 wijziging"
    href = page.locator("#audit-csv").get_attribute("href")
    assert "action=participant.reveal_national_number" in href and "user=" in href

    # A date range before today finds nothing; a wrong value is said, not crashed.
    page.fill("#f-to", "2020-01-01")
    page.click("#audit-filter button[type=submit]")
    page.wait_for_selector("text=Niets gevonden.")
    page.goto(f"{live_server}/audit/?participant=abc")
    assert "Deelnemer moet een getal zijn." in page.locator(".flash.error").inner_text()
