"""In a real browser: the trainer's roll call without a scanner (seed 000)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import Registration, Role
from tests.helpers.browser import log_in


def test_the_trainer_unticks_the_absent_saves_and_confirms(page, live_server, app, make, today):
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
    assert len(written) == 2  # their check-ins; nobody's check-out is invented
    # Opened again, the roll call shows what was saved: Ben stays absent.
    page.goto(f"{live_server}/sessions/{session_id}/roll-call")
    assert not page.locator(f"#present-{people['Ben Claes']}").is_checked()

    # Ben arrives late: registered afterwards on the roll call page.
    arrived = datetime.now(UTC).astimezone(BRUSSELS) - timedelta(minutes=2)
    if arrived.date() != today:
        return  # just after midnight: no earlier time today to register
    page.goto(f"{live_server}/sessions/{session_id}/roll-call")
    page.select_option("#late-participant", str(people["Ben Claes"]))
    page.fill("#late-arrived", arrived.strftime("%H:%M"))
    page.click("form[action$='late-arrival'] button:has-text('Laatkomer registreren')")
    page.wait_for_selector(".flash.success")
    with app.app_context():
        ben = db.session.scalars(
            select(Registration).where(Registration.participant_id == people["Ben Claes"])
        ).all()
    assert [r.kind.value for r in ben] == ["in"]
    assert all(r.source.value == "manual" and r.reason == "late arrival" for r in ben)
    assert page.locator(f"#present-{people['Ben Claes']}").count() == 0  # registered now


def test_late_arrival_and_closing_the_session_after_its_end(page, live_server, app, make):
    """A held session (reopened by support so it takes registrations): the trainer takes the
    roll call, registers a late arrival, then closes the session for everyone still in."""
    from tests.helpers.web import PAST, reopen

    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(PAST, time(9), time(12), trainer_id=trainer)
    people = {name: make.participant(name=name) for name in ("An Peeters", "Ben Claes")}
    for person in people.values():
        make.enrol(session_id, person)
    reopen(app, session_id)
    log_in(page, live_server, "tom@example.org")
    page.goto(f"{live_server}/sessions/{session_id}/roll-call")
    page.uncheck(f"#present-{people['Ben Claes']}")
    page.click("button:has-text('Bewaren')")
    page.click("button:has-text('Bevestigen')")
    page.wait_for_selector(".flash.success")
    page.goto(f"{live_server}/sessions/{session_id}/roll-call")
    page.select_option("#late-participant", str(people["Ben Claes"]))
    page.fill("#late-arrived", "09:40")
    page.click("form[action$='late-arrival'] button:has-text('Laatkomer registreren')")
    page.wait_for_selector(".flash.success")
    assert "2 deelnemers zijn nog ingecheckt" in page.locator("#close").inner_text()
    page.click("#close button:has-text('Iedereen die nog binnen was, is vertrokken')")
    page.wait_for_selector(".flash.success")
    assert page.locator("#close").count() == 0  # nobody is still in
    with app.app_context():
        rows = db.session.scalars(select(Registration).order_by(Registration.id)).all()
        times = {(r.participant_id, r.kind.value): r.at.astimezone(BRUSSELS).time() for r in rows}
    assert times == {
        (people["An Peeters"], "in"): time(9),
        (people["Ben Claes"], "in"): time(9, 40),
        (people["An Peeters"], "out"): time(12),
        (people["Ben Claes"], "out"): time(12),
    }
