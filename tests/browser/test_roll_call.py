"""In a real browser: the trainer's roll call without a scanner (seed 000)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Registration, Role
from tests.browser.test_planning_flow import log_in


def test_the_trainer_unticks_the_absent_saves_and_confirms(page, live_server, app, make, today):
    from datetime import time

    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    people = {name: make.participant(name=name) for name in ("An Peeters", "Ben Claes", "Cis Maes")}
    for person in people.values():
        make.enrol(session_id, person)
    log_in(page, live_server, "tom@example.org")
    page.goto(f"{live_server}/sessions/{session_id}")
    page.click("text=Aanwezigheden zonder scanner")
    boxes = page.locator("input[name=present]")
    assert boxes.count() == 3 and all(boxes.nth(i).is_checked() for i in range(3))
    page.uncheck(f"#present-{people['Ben Claes']}")
    page.click("button:has-text('Bewaren')")
    page.wait_for_selector("h1:has-text('Aanwezigheden bevestigen')")
    assert "afwezig" in page.locator("table").inner_text()
    page.click("button:has-text('Bevestigen')")
    page.wait_for_selector(".flash.success")
    roster = page.locator("table.roster").inner_text()
    assert "An Peeters" in roster
    with app.app_context():
        written = db.session.scalars(select(Registration.participant_id)).all()
    assert sorted(set(written)) == sorted([people["An Peeters"], people["Cis Maes"]])
    assert len(written) == 4
