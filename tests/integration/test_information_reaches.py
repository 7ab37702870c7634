"""Issue 20, "information that reaches the person who acts": the trainer's remark on the roll
call ("ziek gemeld, briefje volgt") is shown to the promotor where justifications are handled:
the participant's attendance page (the form that records them) and the documents sent from
the portal."""

from __future__ import annotations

from datetime import UTC, datetime

from app.attendance.operations import RollCallLine, confirm_roll_call
from app.audit import Actor
from app.extensions import db
from app.models import Role, Session
from tests.integration.test_portal_absences import held_session, send
from tests.integration.test_selfreports import portal_client
from tests.integration.test_web_planning import log_in

REMARK = "ziek gemeld, briefje volgt"


def test_the_trainers_remark_reaches_the_promotor_handling_justifications(app, make, today):
    session_id, person = held_session(app, make, today)
    with app.app_context():
        session = db.session.get(Session, session_id)
        training_id = session.training_id
        confirm_roll_call(
            Actor(None), session, [RollCallLine(person, False, REMARK)], datetime.now(UTC)
        )
        db.session.commit()
    promotor = log_in(app, Role.PROMOTOR, make)
    page = promotor.get(f"/trainings/{training_id}/participants/{person}").get_data(as_text=True)
    assert "Opmerkingen bij de aanwezigheden" in page and REMARK in page
    send(portal_client(app, "an@example.org"), session_id)
    inbox = promotor.get("/from-participants").get_data(as_text=True)
    assert f"Opmerking van de opleider: {REMARK}" in inbox
    # Someone else's remark is not shown beside this participant's document.
    other = promotor.get(f"/trainings/{training_id}/participants/{person}").get_data(as_text=True)
    assert other.count(REMARK) == 1


def test_no_remark_no_box(app, make, today):
    session_id, person = held_session(app, make, today)
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
    promotor = log_in(app, Role.PROMOTOR, make)
    page = promotor.get(f"/trainings/{training_id}/participants/{person}").get_data(as_text=True)
    assert "Opmerkingen bij de aanwezigheden" not in page
