"""A participant's QR code: mailing it again, and issuing a new one that voids the old."""

from __future__ import annotations

from datetime import datetime

from app import audit
from app.audit import Actor
from app.extensions import db
from app.mail import messages, outbox
from app.models import (
    Participant,
)


def resend_code(actor: Actor, participant: Participant) -> None:
    messages.queue_code_mail(participant)
    audit.record(actor, "participant.code_resend", participant)


def reissue_code(actor: Actor, participant: Participant, now: datetime) -> None:
    """Revoke the current code (its key version) and mail the next one."""
    before = {"key_version": participant.key_version}
    participant.key_version += 1
    db.session.flush()
    outbox.withdraw_code_mails(actor, participant.id, participant.key_version, now)
    audit.record(
        actor,
        "participant.code_reissue",
        participant,
        before,
        {"key_version": participant.key_version},
    )
    messages.queue_code_mail(participant)
