"""The outbox can withdraw a waiting mail, and correcting a participant's address withdraws the
mails still waiting for the old one (their QR code must not reach a wrong address)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.mail.outbox import deliver_pending
from app.models import AuditRecord, Job, OutboxMail, Role
from tests.helpers.mail import SMTP_PORT


def _mail_of(app, address: str) -> OutboxMail:  # type: ignore[no-untyped-def]
    with app.app_context():
        mail = db.session.scalars(select(OutboxMail).where(OutboxMail.recipient == address)).one()
        db.session.expunge(mail)
        return mail


def _finished(app, mail_id: int) -> tuple[object, str | None]:  # type: ignore[no-untyped-def]
    with app.app_context():
        job = db.session.scalars(
            select(Job)
            .join(OutboxMail, OutboxMail.job_id == Job.id)
            .where(OutboxMail.id == mail_id)
        ).one()
        return job.finished_at, job.last_error


def test_a_promotor_withdraws_a_waiting_mail_and_it_is_never_sent(app, make, today, auth):
    session_id = make.session(today)
    participant = make.participant(email="wrong@example.org")
    make.enrol(session_id, participant)
    mail = _mail_of(app, "wrong@example.org")
    promotor = auth.as_role(Role.PROMOTOR)

    page = promotor.get(f"/admin/outbox/{mail.id}")
    assert b'id="withdraw-mail"' in page.data
    answer = promotor.post(f"/admin/outbox/{mail.id}/withdraw", follow_redirects=True)
    assert "ingetrokken" in answer.get_data(as_text=True)
    finished_at, reason = _finished(app, mail.id)
    assert finished_at is not None and reason == "withdrawn by hand"
    # The state reads in Dutch, and the mail offers nothing more.
    page = promotor.get(f"/admin/outbox/{mail.id}").get_data(as_text=True)
    assert "met de hand ingetrokken" in page and 'id="withdraw-mail"' not in page
    app.config["SMTP_HOST"], app.config["SMTP_PORT"] = "127.0.0.1", SMTP_PORT
    with app.app_context():
        assert deliver_pending() == (0, 0)
        assert db.session.scalars(
            select(AuditRecord.action).where(AuditRecord.action == "mail.withdraw")
        ).all() == ["mail.withdraw"]
    # A second withdrawal changes nothing.
    again = promotor.post(f"/admin/outbox/{mail.id}/withdraw", follow_redirects=True)
    assert "niet meer ingetrokken" in again.get_data(as_text=True)


def test_another_branch_cannot_withdraw_the_mail(app, make, today, auth):
    session_id = make.session(today)
    participant = make.participant(email="an@example.org")
    make.enrol(session_id, participant)
    mail = _mail_of(app, "an@example.org")
    other = auth.as_role(Role.PROMOTOR, branch="Brugge")
    assert other.post(f"/admin/outbox/{mail.id}/withdraw").status_code == 404
    assert _finished(app, mail.id) == (None, None)


def test_correcting_the_address_withdraws_the_mail_waiting_for_the_old_one(app, make, today, auth):
    session_id = make.session(today)
    participant = make.participant(name="An Peeters", email="an.peters@example.org")
    make.enrol(session_id, participant)
    old = _mail_of(app, "an.peters@example.org")
    promotor = auth.as_role(Role.PROMOTOR)

    answer = promotor.post(
        f"/participants/{participant}/edit",
        data={"edit-name": "An Peeters", "edit-email": "an.peeters@example.org"},
    )
    assert answer.status_code == 200
    finished_at, reason = _finished(app, old.id)
    assert finished_at is not None and reason == "withdrawn: the address was corrected"


def test_a_correction_of_the_name_alone_leaves_the_waiting_mail(app, make, today, auth):
    session_id = make.session(today)
    participant = make.participant(name="An Peters", email="an@example.org")
    make.enrol(session_id, participant)
    mail = _mail_of(app, "an@example.org")
    promotor = auth.as_role(Role.PROMOTOR)
    promotor.post(
        f"/participants/{participant}/edit",
        data={"edit-name": "An Peeters", "edit-email": "an@example.org"},
    )
    assert _finished(app, mail.id) == (None, None)
