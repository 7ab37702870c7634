"""A participant is never their own supervisor (issue 18, point 8): not with their own address
(in any case), nor with the address of a record merged into theirs; in the web form and the API."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Participant, Role, Supervisor


def supervisor_of(app, participant_id: int):  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(Participant, participant_id).supervisor_id


def test_the_web_form_refuses_the_participants_own_address(app, make, auth):
    an = make.participant(name="An Peeters", email="an@example.org")
    promotor = auth.as_role(Role.PROMOTOR)
    answer = promotor.post(
        f"/participants/{an}/supervisor",
        data={"supervisor-supervisor_name": "An", "supervisor-supervisor_email": "AN@Example.org"},
        follow_redirects=True,
    )
    assert "kan niet zijn eigen begeleider zijn" in answer.get_data(as_text=True)
    assert supervisor_of(app, an) is None
    with app.app_context():
        assert db.session.scalars(select(Supervisor)).all() == []  # nothing half-made
    # Someone else's address is fine.
    promotor.post(
        f"/participants/{an}/supervisor",
        data={
            "supervisor-supervisor_name": "Sara",
            "supervisor-supervisor_email": "sara@example.org",
        },
    )
    assert supervisor_of(app, an) is not None


def test_the_address_of_a_record_merged_into_theirs_is_refused(app, make, auth):
    kept = make.participant(name="An Peeters", email="an@example.org")
    duplicate = make.participant(name="An Peters", email="an.peters@example.org")
    support = auth.as_role(Role.ADMIN, branch=None)
    assert (
        support.post(f"/participants/{kept}/merge", data={"merge-duplicate": duplicate}).status_code
        == 302
    )
    promotor = auth.as_role(Role.PROMOTOR)
    promotor.post(
        f"/participants/{kept}/supervisor",
        data={
            "supervisor-supervisor_name": "An",
            "supervisor-supervisor_email": "an.peters@example.org",
        },
    )
    assert supervisor_of(app, kept) is None


def test_the_api_refuses_the_participant_as_their_own_supervisor(app, make):
    an = make.participant(name="An Peeters", email="an@example.org")
    ben = make.participant(name="Ben Claes", email="ben@example.org")
    api = make.api(Role.PROMOTOR)
    created = api.post(
        "/supervisors", {"name": "An", "email": "an@example.org", "participant_ids": [an]}
    )
    assert created.status_code == 422 and created.get_json()["error"] == "own_supervisor"
    with app.app_context():
        assert db.session.scalars(select(Supervisor)).all() == []
    # The supervisor exists (Ben's address supervises An); linking Ben to it is refused.
    made = api.post(
        "/supervisors", {"name": "Ben", "email": "ben@example.org", "participant_ids": [an]}
    )
    assert made.status_code == 201
    linked = api.post(
        f"/supervisors/{made.get_json()['id']}/participants", {"participant_ids": [ben]}
    )
    assert linked.status_code == 422 and linked.get_json()["error"] == "own_supervisor"
    assert supervisor_of(app, ben) is None and supervisor_of(app, an) is not None
