"""Documents sent from the portal are limited per person (issue 18, point 6): how many and how
many bytes a day, and how often; refused with a clear Dutch message, nothing stored, no file
left behind; uploads sent at once cannot pass the limit together."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import JustificationRequest
from tests.concurrency import same_time
from tests.helpers.portal import PDF, held_session, portal_client, send


def stored(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(JustificationRequest))


def files(app) -> int:  # type: ignore[no-untyped-def]
    from app.attendance.operations import upload_folder

    with app.app_context():
        folder = upload_folder()
        return len(list(folder.iterdir())) if folder.exists() else 0


class TestCount:
    @pytest.fixture
    def app_config(self) -> dict:
        return {"PORTAL_UPLOADS_PER_DAY": 3}

    def test_a_fourth_document_a_day_is_refused_in_dutch(self, app, make, today):
        session_id, _person = held_session(app, make, today)
        portal = portal_client(app, "an@example.org")
        for _ in range(3):
            assert "Je document is verstuurd" in send(portal, session_id).get_data(as_text=True)
        page = send(portal, session_id).get_data(as_text=True)
        assert "Je stuurde vandaag al 3 documenten, het maximum per dag" in page
        assert stored(app) == 3 and files(app) == 3

    def test_fifteen_uploads_at_once_store_no_more_than_the_limit(self, app, make, today):
        session_id, _person = held_session(app, make, today)
        first = portal_client(app, "an@example.org")
        with first.session_transaction() as session:
            sign_in_id = session["portal_sign_in"]
        clients = []
        for _ in range(15):
            client = app.test_client()
            with client.session_transaction() as session:
                session["portal_sign_in"] = sign_in_id
            clients.append(client)
        answers = same_time(15, lambda i: send(clients[i], session_id))
        assert all(a.status_code == 200 for a in answers)
        assert stored(app) == 3
        assert files(app) == 3  # a refused upload leaves no file behind


class TestBytes:
    @pytest.fixture
    def app_config(self) -> dict:
        return {"PORTAL_UPLOAD_BYTES_PER_DAY": 1024 * 1024}

    def test_more_than_the_bytes_a_day_is_refused_in_dutch(self, app, make, today):
        session_id, _person = held_session(app, make, today)
        portal = portal_client(app, "an@example.org")
        # Below the test client's 500 KB, above which it spools a body to a file it leaves open.
        big = PDF + b"0" * (400 * 1024)
        for _ in range(2):
            assert "Je document is verstuurd" in send(portal, session_id, big).get_data(
                as_text=True
            )
        page = send(portal, session_id, big).get_data(as_text=True)
        assert "meer dan 1 MB, het maximum per dag" in page
        assert stored(app) == 2 and files(app) == 2
        # A small one still fits in what is left of the day.
        assert "Je document is verstuurd" in send(portal, session_id).get_data(as_text=True)


class TestRate:
    @pytest.fixture
    def app_config(self) -> dict:
        return {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_PORTAL_UPLOAD": "2 per minute",
        }

    def test_uploads_are_rate_limited_per_person(self, app, make, today):
        session_id, _person = held_session(app, make, today)
        portal = portal_client(app, "an@example.org")
        assert [send(portal, session_id).status_code for _ in range(2)] == [200, 200]
        third = send(portal, session_id)
        assert third.status_code == 429
        assert "Te veel" in third.get_data(as_text=True)
        assert portal.get("/portal/absences").status_code == 200  # reading is not limited
        assert stored(app) == 2
