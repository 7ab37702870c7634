"""The stored outbox. A mail is a row first; delivery is retried until the server takes it.

Enrolment never waits on the mail server: the row is written in the enrolment's transaction and
a worker (a background thread in the web process, or ``flask send-mail``) delivers it.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from flask import Flask, current_app
from sqlalchemy import insert, select

from app.extensions import db
from app.models import OutboxMail

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=30)


def queue(message: EmailMessage, participant_id: int | None = None) -> OutboxMail:
    """Store a message for delivery (in the caller's transaction)."""
    mail = OutboxMail(**_row(message, participant_id))
    db.session.add(mail)
    db.session.flush()
    return mail


def queue_many(messages: Sequence[tuple[EmailMessage, int | None]]) -> None:
    """Store many messages (with their participant's id) in one statement, as one class's
    enrolment does."""
    if messages:
        db.session.execute(insert(OutboxMail), [_row(m, pid) for m, pid in messages])


def _row(message: EmailMessage, participant_id: int | None) -> dict[str, object]:
    return {
        "recipient": str(message["To"]),
        "subject": str(message["Subject"]),
        "message": message.as_bytes(policy=email.policy.SMTP),
        "participant_id": participant_id,
    }


def smtp_configured(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("SMTP_HOST"))


def _send(config: dict, mail: OutboxMail) -> None:
    with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=10) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
        smtp.sendmail(_envelope_sender(config["MAIL_FROM"]), [mail.recipient], mail.message)


def _envelope_sender(mail_from: str) -> str:
    from email.utils import parseaddr

    return parseaddr(mail_from)[1] or mail_from


def deliver_pending(now: datetime | None = None, limit: int = 50) -> tuple[int, int]:
    """Try every due mail once; returns (sent, failed). Commits after each mail."""
    config = current_app.config
    if not smtp_configured():
        return 0, 0
    now = now or datetime.now(UTC)
    due = db.session.scalars(
        select(OutboxMail)
        .where(OutboxMail.sent_at.is_(None), OutboxMail.next_attempt_at <= now)
        .order_by(OutboxMail.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for mail in due:
        mail.attempts += 1
        try:
            _send(config, mail)
        except (OSError, smtplib.SMTPException) as exc:
            failed += 1
            delay = min(
                timedelta(seconds=config["MAIL_RETRY_SECONDS"]) * 2 ** (mail.attempts - 1),
                MAX_BACKOFF,
            )
            mail.next_attempt_at = now + delay
            mail.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            log.warning("mail %s to %s not sent: %r", mail.id, mail.recipient, exc)
        else:
            sent += 1
            mail.sent_at = datetime.now(UTC)
            mail.last_error = None
        db.session.commit()
    return sent, failed


def retry_now(mail: OutboxMail, now: datetime) -> None:
    """Make a failed mail due again (the outbox page's retry button)."""
    mail.next_attempt_at = now


class OutboxWorker:
    """A daemon thread that delivers due mail every few seconds while the server runs."""

    def __init__(self, app: Flask, interval: float = 5.0):
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name="outbox", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self.app.app_context():
                try:
                    deliver_pending()
                except Exception:  # the worker must survive a database hiccup
                    log.exception("outbox delivery failed")
                    db.session.rollback()
                finally:
                    db.session.remove()
            self._wake.wait(self.interval)
            self._wake.clear()
