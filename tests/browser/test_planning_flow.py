"""In a real browser: a promotor plans a training and session, enrols a participant, sees the roster."""

from __future__ import annotations

from app.models import Role
from tests.helpers.browser import log_in


def test_promotor_plans_enrols_and_sees_the_roster(page, live_server, make, today):
    make.user(Role.PROMOTOR, "Gent", email="petra@example.org")
    make.user(Role.TRAINER, "Gent", email="tom@example.org")
    log_in(page, live_server, "petra@example.org")

    page.click("nav >> text=Projecten")
    page.fill("#name", "Digitale vaardigheden")
    page.fill("#number", "ESF-2026-0042")
    page.click("button:has-text('Project aanmaken')")
    page.wait_for_selector("h1:has-text('Digitale vaardigheden')")

    page.fill("#name", "Excel voor beginners")
    page.fill("#code", "XL-101")
    page.click("button:has-text('Opleiding aanmaken')")
    page.wait_for_selector("h1:has-text('Excel voor beginners')")

    page.fill("#day", today.isoformat())
    page.fill("#start", "00:01")
    page.fill("#end", "23:59")
    page.fill("#location", "Lokaal 1.04")
    page.select_option("#trainer", label="tom@example.org")
    page.click("button:has-text('Sessie plannen')")
    page.wait_for_selector("text=Lokaal 1.04")

    page.click("nav >> text=Deelnemers")
    page.fill("#add-name", "An Peeters")
    page.fill("#add-email", "an.peeters@example.org")
    page.fill("#add-national_number", "85.07.30-033.28")
    page.click("button:has-text('Deelnemer toevoegen')")
    page.wait_for_selector("text=**.**.**-***.28")

    page.click("nav >> text=Projecten")
    page.click("text=Digitale vaardigheden")
    page.click("text=Excel voor beginners")
    page.get_by_label("An Peeters (an.peeters@example.org)").check()
    page.click("form[action$='/enrol'] >> button:has-text('Inschrijven')")
    page.wait_for_selector(".flash.success")
    page.click(f"text={today.strftime('%d/%m/%Y')}")
    roster = page.locator("table.roster")
    roster.locator("text=An Peeters").wait_for()
    assert "uit" in roster.inner_text()
    page.screenshot(path="/tmp/aanwezig-session.png", full_page=True)


def test_the_trainer_sees_their_session_today(page, live_server, make, today):
    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    make.session(today, trainer_id=trainer)
    log_in(page, live_server, "tom@example.org")
    assert today.strftime("%d/%m/%Y") in page.locator("table.sessions").first.inner_text()
    assert page.locator("text=scannertoken").count() >= 1
