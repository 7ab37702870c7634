"""The participant's page in a training shows three forms; each posts to its own route, and a
user who may see the page but not do the action (the session's trainer) is refused with 403,
where before the post was silently ignored."""

from __future__ import annotations

import io
import re
from datetime import date, time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Exemption, Justification, Role, Session, TrainingEnrolment
from tests.builders import PASSWORD
from tests.helpers.web import log_in

ACTIONS = {
    "exemptions": {"exempt-session": "0", "exempt-minutes": "90", "exempt-reason": "EVC"},
    "enrolment": {"enrolment-enrolled_on": "2026-01-05", "enrolment-paid_leave": "y",
                  "enrolment-leave_regime": "vov"},
    "justifications": {"justify-kind": "doctor", "justify-handed_in": "2026-01-06"},
}  # fmt: skip


@pytest.fixture
def taught(app, make):  # type: ignore[no-untyped-def]
    """A session taught by Tom, with An enrolled; the page of An in its training."""
    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(date(2026, 1, 5), time(9), time(12), trainer_id=trainer)
    person = make.participant(name="An")
    make.enrol(session_id, person)
    with app.app_context():
        training_id = db.session.get(Session, session_id).training_id
    return {"session": session_id, "page": f"/trainings/{training_id}/participants/{person}"}


def _posted(action: str, session_id: int) -> dict[str, object]:
    data: dict[str, object] = dict(ACTIONS[action])
    if action == "justifications":
        data["justify-sessions"] = [str(session_id)]
        data["justify-document"] = (io.BytesIO(b"%PDF-1.4\n%test\n"), "attest.pdf")
    return data


def _recorded(app) -> tuple[int, int, bool]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Exemption)),
            db.session.scalar(select(func.count()).select_from(Justification)),
            db.session.scalars(select(TrainingEnrolment.paid_leave)).one(),
        )


@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_sessions_trainer_sees_the_page_but_is_refused_each_action(app, taught, action):
    trainer = app.test_client()
    trainer.post("/login", data={"email": "tom@example.org", "password": PASSWORD})
    assert trainer.get(taught["page"]).status_code == 200
    answer = trainer.post(f"{taught['page']}/{action}", data=_posted(action, taught["session"]))
    assert answer.status_code == 403
    assert _recorded(app) == (0, 0, False)


@pytest.mark.parametrize(
    ("action", "recorded"),
    [("exemptions", (1, 0, False)), ("enrolment", (0, 0, True)), ("justifications", (0, 1, False))],
)
def test_a_promotor_does_each_action_at_its_own_route(app, make, taught, action, recorded):
    promotor = log_in(app, Role.PROMOTOR, make)
    answer = promotor.post(f"{taught['page']}/{action}", data=_posted(action, taught["session"]))
    assert answer.status_code == 302 and answer.headers["Location"].endswith(taught["page"])
    assert _recorded(app) == recorded


def test_the_page_posts_each_form_to_its_own_route(app, make, taught):
    page = log_in(app, Role.PROMOTOR, make).get(taught["page"]).get_data(as_text=True)
    for action in ACTIONS:
        assert f'action="{taught["page"]}/{action}"' in page
    assert 'name="action"' not in page
    # The page itself takes no post any more: the actions have their own addresses.
    assert log_in(app, Role.PROMOTOR, make).post(taught["page"]).status_code == 405


def test_a_form_with_errors_is_shown_again_with_the_others_keeping_their_stored_values(
    app, make, taught
):
    promotor = log_in(app, Role.PROMOTOR, make)
    promotor.post(f"{taught['page']}/enrolment", data=ACTIONS["enrolment"])
    answer = promotor.post(f"{taught['page']}/exemptions", data={"exempt-minutes": "-5"})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    [paid_leave] = re.findall(r"<input[^>]*\bid=\"enrolment-paid_leave\"[^>]*>", page)
    assert "checked" in paid_leave  # the stored value, not the exemption's post read as empty
    assert _recorded(app) == (0, 0, True)
