"""One participant record per branch and address, also when the same person is added at once."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Participant
from tests.concurrency import same_time

N = 6


def test_one_person_added_through_the_api_at_once_gets_one_record(app, make):
    apis = [make.api() for _ in range(N)]
    body = {"name": "Wim Walk-in", "email": "Wim@Voorbeeld.be"}
    answers = same_time(N, lambda i: apis[i].post("/participants", body))
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [201] + [409] * (N - 1), [a.get_json() for a in answers]
    refused = [a.get_json() for a in answers if a.status_code == 409]
    assert {r["error"] for r in refused} == {"duplicate_email"}
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).where(func.lower(Participant.email) == "wim@voorbeeld.be")
        )
    assert count == 1
