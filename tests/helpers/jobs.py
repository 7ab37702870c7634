"""Queue mails in the outbox as the app does, for the worker tests."""

from __future__ import annotations

from email.message import EmailMessage

from app.extensions import db
from app.mail import outbox


def queue_mails(app, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    """``count`` mails in one transaction; returns their jobs' ids."""
    with app.app_context():
        ids = []
        for number in range(count):
            message = EmailMessage()
            message["Subject"], message["From"] = f"Mail {number}", app.config["MAIL_FROM"]
            message["To"] = f"person{number}@example.org"
            message.set_content(f"Hello {number}")
            ids.append(outbox.queue(message).job_id)
        db.session.commit()
        return ids
