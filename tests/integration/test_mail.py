"""docs/rules.md, "QR code": the QR code mail goes out on the first enrolment only, over real SMTP, never lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.extensions import db
from app.mail.outbox import deliver_pending
from app.models import OutboxMail
from app.security import qr_public_key
from qr import verify_code
from tests.helpers.mail import MAIL_TO_INBOX, SMTP_PORT, Inbox, decode_png


@pytest.fixture
def app_config() -> dict:
    return MAIL_TO_INBOX


def deliver(app, now: datetime | None = None) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return deliver_pending(now)


def test_two_enrolments_of_one_person_send_exactly_one_mail_with_a_valid_code(
    app, make, today, inbox
):
    first = make.session(today, branch="Gent")
    second = make.session(today + timedelta(days=7), branch="Gent")
    participant = make.participant(name="An Peeters", email="an@example.org")
    make.enrol(first, participant)
    make.enrol(second, participant)
    assert deliver(app) == (1, 0)
    assert deliver(app) == (0, 0)
    [message] = inbox.messages
    assert message["To"] == "an@example.org"
    attachments = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(attachments) == 2  # inline in the HTML and attached
    [code] = decode_png(attachments[0].get_content())
    with app.app_context():
        assert verify_code(qr_public_key(), code).participant_id == participant
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert today.strftime("%d/%m/%Y") in body


def test_enrolling_in_every_session_of_a_training_sends_one_mail_listing_them_all(
    app, make, today, inbox
):
    from app.audit import Actor
    from app.models import Participant, Session
    from app.participants.operations.enrolling import enrol_in_training

    first = make.session(today)
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    second = make.session(today + timedelta(days=7), training_id=training_id)
    participant = make.participant()
    with app.app_context():
        sessions = [db.session.get(Session, first), db.session.get(Session, second)]
        created = enrol_in_training(Actor(None), sessions, db.session.get(Participant, participant))
        db.session.commit()
    assert created == 2
    assert deliver(app) == (1, 0)
    body = inbox.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert today.strftime("%d/%m/%Y") in body
    assert (today + timedelta(days=7)).strftime("%d/%m/%Y") in body


def test_with_the_mail_server_down_enrolment_succeeds_and_the_mail_follows_later(app, make, today):
    session_id = make.session(today)
    participant = make.participant(email="down@example.org")
    make.enrol(session_id, participant)  # no SMTP server listening yet
    assert deliver(app) == (0, 1)
    with app.app_context():
        mail = db.session.scalars(select(OutboxMail)).one()
        assert mail.sent_at is None and mail.job.last_error
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    try:
        assert deliver(app, datetime.now(UTC) + timedelta(seconds=5)) == (1, 0)
    finally:
        controller.stop()
    assert [m["To"] for m in handler.messages] == ["down@example.org"]


def test_resend_and_reissue_queue_new_mails_and_reissue_revokes_the_old_code(
    app, make, today, inbox
):
    """A resend mails the same code again; a reissue revokes it and withdraws the mails still
    waiting with the old code, so only the new code goes out."""
    from app.audit import Actor
    from app.models import Participant
    from app.participants.operations.codes import reissue_code, resend_code

    session_id = make.session(today)
    participant = make.participant()
    make.enrol(session_id, participant)
    old_code = make.code(participant)
    with app.app_context():
        person = db.session.get(Participant, participant)
        resend_code(Actor(None), person)
        reissue_code(Actor(None), person, datetime.now(UTC))
        db.session.commit()
    assert deliver(app) == (1, 0)  # the two waiting mails with the old code were withdrawn
    codes = [
        decode_png(next(p for p in m.walk() if p.get_content_type() == "image/png").get_content())[
            0
        ]
        for m in inbox.messages
    ]
    assert len(codes) == 1 and codes[0] != old_code
    # After a mail went out, a resend of the new code is mailed as usual.
    with app.app_context():
        resend_code(Actor(None), db.session.get(Participant, participant))
        db.session.commit()
    assert deliver(app) == (1, 0)


def test_without_smtp_the_mail_stays_in_the_outbox(make, today, client):
    # With no SMTP_HOST (the demo) mail is kept and shown on the outbox page.
    make.app.config["SMTP_HOST"] = None
    session_id = make.session(today)
    participant = make.participant(email="kept@example.org")
    make.enrol(session_id, participant)
    with make.app.app_context():
        assert deliver_pending() == (0, 0)
        assert db.session.scalars(select(OutboxMail.recipient)).all() == ["kept@example.org"]
