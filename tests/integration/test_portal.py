"""The portal: a participant signs in with a one-time link mailed over real SMTP and sees only
their own data; the portal's identity and the staff's logins never open each other's pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditRecord, OutboxMail, PortalSignIn, Role
from tests.helpers.mail import MAIL_TO_INBOX, SMTP_PORT, decode_png
from tests.helpers.portal import ask_link, deliver, mailed_link, sign_in


@pytest.fixture
def app_config() -> dict:
    return MAIL_TO_INBOX


@pytest.fixture
def enrolled(make, today):  # type: ignore[no-untyped-def]
    session_id = make.session(today + timedelta(days=3), time(9), time(12))
    an = make.participant(name="An Peeters", email="an@example.org")
    ben = make.participant(name="Ben Claes", email="ben@example.org")
    make.enrol(session_id, an)
    make.enrol(session_id, ben)
    return {"session": session_id, "an": an, "ben": ben}


def test_the_mailed_link_signs_in_once_and_the_qr_code_is_the_current_one(
    app, client, enrolled, inbox
):
    sign_in(app, client, inbox, "an@example.org")
    home = client.get("/portal/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "An Peeters" in page and "Ben Claes" not in page
    png = client.get(f"/portal/qr/{enrolled['an']}.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    from tests.builders import Builders

    assert decode_png(png.data) == [Builders(app).code(enrolled["an"])]


def test_a_second_use_of_the_link_is_refused(app, enrolled, inbox):
    first, second = app.test_client(), app.test_client()
    ask_link(first, "an@example.org")
    path = mailed_link(app, inbox, "an@example.org")
    assert first.post(path).status_code == 302
    again = second.post(path)
    assert again.status_code == 410
    assert "maar één keer" in again.get_data(as_text=True) or "once" in again.get_data(as_text=True)
    assert second.get("/portal/").status_code == 302  # not signed in
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PortalSignIn)) == 1


def test_an_expired_link_is_refused_with_a_clear_page(app, client, enrolled, inbox, monkeypatch):
    ask_link(client, "an@example.org")
    path = mailed_link(app, inbox, "an@example.org")
    import itsdangerous.timed

    later = datetime.now(UTC).timestamp() + 31 * 60
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        text = response.get_data(as_text=True)
        assert 'id="link-refused"' in text and 'data-code="link_expired"' in text
        assert "verlopen" in text and "/portal/sign-in" in text
    assert client.get("/portal/").status_code == 302


def test_a_stored_expiry_also_refuses_the_link(app, client, enrolled, inbox):
    ask_link(client, "an@example.org")
    path = mailed_link(app, inbox, "an@example.org")
    with app.app_context():
        sign_in_ = db.session.scalars(select(PortalSignIn)).one()
        sign_in_.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
    assert client.post(path).status_code == 410


def test_an_altered_link_is_refused(app, client, enrolled, inbox):
    ask_link(client, "an@example.org")
    path = mailed_link(app, inbox, "an@example.org")
    response = client.get(path[:-3] + "abc")
    assert response.status_code == 404 and 'data-code="link_invalid"' in response.get_data(
        as_text=True
    )


def test_the_answer_is_the_same_for_an_unknown_address_which_gets_no_mail(
    app, client, enrolled, inbox
):
    def page(email: str) -> str:
        text = ask_link(client, email).get_data(as_text=True).replace(email, "X")
        return re.sub(r'name="csrf_token" value="[^"]*"', "", text)  # time-stamped

    assert page("an@example.org") == page("nobody@example.org")
    deliver(app)  # the worker looks the addresses up and makes the mails
    with app.app_context():
        assert db.session.scalars(select(OutboxMail.recipient)).all().count("an@example.org") == 2
        assert "nobody@example.org" not in db.session.scalars(select(OutboxMail.recipient)).all()


def test_another_participants_pages_answer_404(app, client, enrolled, inbox, make, today):
    from tests.helpers.portal import elearning_training

    sign_in(app, client, inbox, "an@example.org")
    ben = enrolled["ben"]
    training = elearning_training(app, make, today, [enrolled["ben"]])
    for path in (
        f"/portal/qr/{ben}.png",
        f"/portal/qr/{ben}/print",
        f"/portal/trainings/{training}",
        "/portal/certificates/1.pdf",
        "/portal/hours/1/correct",
        "/portal/qr/99999999999.png",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/portal/qr/{ben}/mail").status_code == 404


def test_the_qr_code_mail_links_to_the_portal(app, enrolled, inbox):
    deliver(app)
    message = next(m for m in inbox.messages if m["To"] == "an@example.org")
    assert "/portal/sign-in" in message.get_body(preferencelist=("plain",)).get_content()


def test_a_staff_login_opens_no_portal_page_and_a_portal_session_no_staff_page(
    app, make, enrolled, inbox, auth
):
    staff = auth.as_role(Role.PROMOTOR, email="an@example.org")  # same address
    assert staff.get("/portal/").status_code == 302
    assert staff.get(f"/portal/qr/{enrolled['an']}.png").status_code == 302
    portal = app.test_client()
    sign_in(app, portal, inbox, "an@example.org")
    for path in ("/", f"/participants/{enrolled['an']}", "/password", "/from-participants"):
        response = portal.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_signing_out_ends_the_session_also_for_a_copied_cookie(app, client, enrolled, inbox):
    sign_in(app, client, inbox, "an@example.org")
    copy = app.test_client()
    cookie = client.get_cookie("session")
    copy.set_cookie(cookie.key, cookie.value, domain="localhost")
    assert copy.get("/portal/").status_code == 200
    client.post("/portal/sign-out")
    assert client.get("/portal/").status_code == 302
    assert copy.get("/portal/").status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditRecord.action)).all()
    assert "portal.sign_in" in actions and "portal.sign_out" in actions


def test_a_participant_in_two_branches_sees_both_records(app, client, make, today, inbox):
    gent = make.session(today + timedelta(days=1), branch="Gent")
    brugge = make.session(today + timedelta(days=2), branch="Brugge")
    one = make.participant(branch="Gent", email="Cis@example.org")
    two = make.participant(branch="Brugge", email="cis@example.org")
    make.enrol(gent, one)
    make.enrol(brugge, two)
    sign_in(app, client, inbox, "cis@example.org")
    page = client.get("/portal/").get_data(as_text=True)
    assert f"/portal/qr/{one}.png" in page and f"/portal/qr/{two}.png" in page
    sessions = client.get("/portal/sessions").get_data(as_text=True)
    assert (today + timedelta(days=1)).strftime("%d/%m/%Y") in sessions
    assert (today + timedelta(days=2)).strftime("%d/%m/%Y") in sessions


def test_the_participant_mails_their_code_again(app, client, enrolled, inbox):
    sign_in(app, client, inbox, "an@example.org")
    inbox.messages.clear()
    assert client.post(f"/portal/qr/{enrolled['an']}/mail").status_code == 302
    deliver(app)
    [message] = inbox.messages
    assert message["To"] == "an@example.org"
    assert any(p.get_content_type() == "image/png" for p in message.walk())


class TestLimits:
    @pytest.fixture
    def app_config(self) -> dict:
        return {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": SMTP_PORT,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_LINK_ADDRESS": "2 per hour",
            "RATELIMIT_LINK": "4 per hour",
        }

    def test_link_requests_are_limited_per_address_and_per_client(self, app, enrolled):
        client = app.test_client()
        assert [ask_link(client, "an@example.org").status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        other = app.test_client()
        assert ask_link(other, "an@example.org").status_code == 429  # the address, any client
        assert ask_link(client, "ben@example.org").status_code == 200
        assert ask_link(client, "nobody@example.org").status_code == 200
        assert ask_link(client, "other@example.org").status_code == 429  # this client
        deliver(app)  # the worker makes the links asked for (no mail server: they wait)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(PortalSignIn)) == 3
