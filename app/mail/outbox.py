"""The stored outbox. A mail is a row first; delivering it is a job, retried until the server
takes it.

Enrolment never waits on the mail server: the mail and its job are written in the enrolment's
transaction, and a worker (``flask worker``, or the web process's own thread in the embedded
default) claims the job and delivers it. Every mail carries a Message-ID derived from its job,
so the one duplicate a lost claim can cause (the server took the mail, the worker died before
recording it) folds into one in the recipient's mail client.

A mail that carries a one-time secret (a password reset or portal sign-in link) is *personal*:
it is stored encrypted with the instance's key (outside the database) while it waits, opened
only by the worker that sends it, and emptied once it is sent or withdrawn. No page shows it;
the outbox says it exists, to whom and in what state (docs/security.md).
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, current_app
from sqlalchemy import func, insert, select, update

from app import audit, jobs
from app.audit import Actor, plain
from app.clock import Clock
from app.extensions import db
from app.jobs.runner import run_due
from app.jobs.worker import worker_name
from app.models import Job, OutboxMail
from app.settings import Settings

log = logging.getLogger(__name__)
KIND = "mail"
SMTP_TIMEOUT = 10


def queue(
    message: EmailMessage,
    participant_id: int | None = None,
    purpose: str | None = None,
    key_version: int | None = None,
    user_id: int | None = None,
    expires_at: datetime | None = None,
) -> OutboxMail:
    """Store a message and its delivery job (in the caller's transaction).

    ``purpose`` and ``key_version`` say what the mail carries (the QR code mail: which version
    of the code), so a mail made outdated before it went out can be withdrawn. ``user_id``: the
    staff user whose account the mail is about. ``expires_at`` makes the mail *personal*: it
    holds a one-time link valid until then, so it is stored sealed and never sent later.
    """
    facts: dict[str, Any] = {"purpose": purpose, "key_version": key_version} if purpose else {}
    if expires_at is not None:
        facts["expires_at"] = expires_at.astimezone(UTC).isoformat()
    job = jobs.enqueue(KIND, facts)
    message["Message-ID"] = message_id(job.id, job.created_at, current_app.config["MAIL_FROM"])
    if message["Date"] is None:
        message["Date"] = format_datetime(job.created_at)
    body = message.as_bytes(policy=email.policy.SMTP)
    mail = OutboxMail(
        recipient=str(message["To"]),
        subject=str(message["Subject"]),
        message=_seal(body) if expires_at is not None else body,
        purpose=purpose,
        participant_id=participant_id,
        user_id=user_id,
        personal=expires_at is not None,
        job=job,
    )
    db.session.add(mail)
    db.session.flush()
    return mail


def message_id(job_id: int, created_at: datetime, mail_from: str) -> str:
    """The same for every attempt at one job, and unique across databases in practice."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "aanwezig.local"
    return f"<aanwezig.{job_id}.{created_at.astimezone(UTC):%Y%m%d%H%M%S}@{domain}>"


def queue_many(
    messages: Sequence[tuple[EmailMessage, int | None, Mapping[str, Any]]], now: datetime
) -> None:
    """:func:`queue` for many messages (a class enrolled at once) in two statements: their
    jobs (made and due at ``now``), then the mails. Each mail gets the Message-ID of its own
    job, as one by one."""
    if not messages:
        return
    refs = [uuid.uuid4().hex for _ in messages]
    # The jobs come back in any order: a reference in each payload says which is whose.
    created = db.session.execute(
        insert(Job).returning(Job.id, Job.payload),
        [
            {"kind": KIND, "payload": {**facts, "ref": ref}, "created_at": now, "due_at": now}
            for (_message, _pid, facts), ref in zip(messages, refs, strict=True)
        ],
    ).all()
    job_ids = {row.payload["ref"]: row.id for row in created}
    mail_from = current_app.config["MAIL_FROM"]
    rows = []
    for (message, participant_id, facts), ref in zip(messages, refs, strict=True):
        job_id = job_ids[ref]
        message["Message-ID"] = message_id(job_id, now, mail_from)
        if message["Date"] is None:
            message["Date"] = format_datetime(now)
        rows.append(
            {
                "recipient": str(message["To"]),
                "subject": str(message["Subject"]),
                "message": message.as_bytes(policy=email.policy.SMTP),
                "purpose": facts.get("purpose"),
                "participant_id": participant_id,
                "job_id": job_id,
                "created_at": now,
            }
        )
    db.session.execute(insert(OutboxMail), rows)
    jobs.wake_after_commit()


def _fernet() -> Fernet:
    # The instance's own key (app.security), kept outside the database: a copy of the database
    # alone opens no waiting personal mail.
    return current_app.extensions["aanwezig.fernet"]


def _seal(message: bytes) -> bytes:
    return _fernet().encrypt(message)


def read_message(mail: OutboxMail) -> bytes | None:
    """The message as it will be sent (a personal one opened), or None when a personal mail's
    content is gone (sent or withdrawn). For the sending worker, never for a page."""
    if not mail.personal:
        return mail.message
    if not mail.message:
        return None
    try:
        return _fernet().decrypt(mail.message)
    except InvalidToken:
        return None


def smtp_configured(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("SMTP_HOST"))


def _send(settings: Settings, recipient: str, message: bytes) -> None:
    server = settings.smtp
    if server.host is None:
        raise RuntimeError("no mail server is configured")  # retried: it may be configured
    with smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT) as smtp:
        if server.starttls:
            smtp.starttls()
        if server.user:
            smtp.login(server.user, server.password or "")
        smtp.sendmail(_envelope_sender(settings.mail_from), [recipient], message)


def _envelope_sender(mail_from: str) -> str:
    return parseaddr(mail_from)[1] or mail_from


def _with_message_id(message: bytes, job: jobs.Claimed, mail_from: str) -> bytes:
    """Mails queued before Message-IDs were given get theirs, derived from the job, now."""
    head = message.split(b"\r\n\r\n", 1)[0].lower()
    if b"\nmessage-id:" in b"\n" + head:
        return message
    header = f"Message-ID: {message_id(job.id, job.created_at, mail_from)}\r\n".encode()
    return header + message


def _deliver(job: jobs.Claimed, run: jobs.Run) -> None:
    """The "mail" job: send the stored message; the worker records it sent with the job."""
    mail = db.session.scalars(select(OutboxMail).where(OutboxMail.job_id == job.id)).first()
    if mail is None:
        db.session.rollback()
        raise jobs.Permanent("the mail of this job is gone")
    mail_id, recipient, personal = mail.id, mail.recipient, mail.personal
    message = read_message(mail)
    db.session.rollback()  # no transaction stays open while the mail server answers
    if message is None:
        raise jobs.Permanent("its one-time link is gone (withdrawn, or the key changed)")
    if personal and _expired(job, run.now):
        _forget_content(mail_id)
        raise jobs.Permanent(EXPIRED)
    mail_from = run.settings.mail_from
    _send(run.settings, recipient, _with_message_id(message, job, mail_from))
    sent: dict[str, Any] = {"sent_at": run.clock.now()}
    if personal:
        sent["message"] = b""  # sent: no stored copy keeps the link
    db.session.execute(update(OutboxMail).where(OutboxMail.id == mail_id).values(**sent))


EXPIRED = "not sent: its one-time link expired before the mail server took it"


def _expired(job: jobs.Claimed, now: datetime) -> bool:
    expires = (job.payload or {}).get("expires_at")
    return isinstance(expires, str) and datetime.fromisoformat(expires) <= now


def _forget_content(mail_id: int) -> None:
    """Empty a personal mail now, in its own transaction (the job's failure rolls back)."""
    db.session.execute(update(OutboxMail).where(OutboxMail.id == mail_id).values(message=b""))
    db.session.commit()


def _retry_seconds(settings: Settings) -> float:
    return settings.mail_retry_seconds


jobs.register(
    jobs.JobKind(KIND, perform=_deliver, enabled=smtp_configured, retry_seconds=_retry_seconds)
)


# Job kinds whose work is to make a mail (a link asked for on a page that answers at once, the
# same for a known and an unknown address): ``deliver_pending`` runs them first.
MAKERS: list[str] = []


def deliver_pending(clock: Clock, settings: Settings, limit: int = 50) -> tuple[int, int]:
    """Make the mails asked for, then claim and try every due mail once; returns (sent,
    failed). Its own transactions."""
    run_due(worker_name(), MAKERS, jobs.Run(clock.now(), settings, clock), limit)
    if settings.smtp.host is None:
        return 0, 0
    # The clock read again after the makers ran: the mails they made are due from the moment
    # they were made.
    return run_due(worker_name(), [KIND], jobs.Run(clock.now(), settings, clock), limit)


def retry_now(actor: Actor, mail: OutboxMail, now: datetime) -> None:
    """Make a waiting mail due now (the outbox page's button). A mail being sent at this moment
    keeps its lease, so the button cannot cause a second copy."""
    job: Job = mail.job
    before = {"due_at": plain(job.due_at)}
    job.due_at = now
    db.session.flush()
    audit.record(actor, "mail.retry", mail, before, {"due_at": plain(now)})
    jobs.wake_after_commit()


def withdraw_code_mails(actor: Actor, participant_id: int, older_than: int, now: datetime) -> int:
    """Withdraw the waiting QR-code mails of a participant that hold a code older than
    ``older_than`` (the code was revoked): they are finished unsent, with the reason, so the
    revoked code never reaches anyone. Returns how many. A mail a worker is sending at this
    very moment cannot be stopped; it carries a code the door now refuses."""
    waiting = db.session.scalars(
        select(OutboxMail)
        .join(Job, OutboxMail.job_id == Job.id)
        .where(
            OutboxMail.participant_id == participant_id,
            OutboxMail.sent_at.is_(None),
            Job.finished_at.is_(None),
        )
    ).all()
    withdrawn = 0
    for mail in waiting:
        facts = mail.job.payload or {}
        version = facts.get("key_version")
        if facts.get("purpose") != "qr_code" or not isinstance(version, int):
            continue
        if version >= older_than:
            continue
        mail.job.finished_at = now
        mail.job.last_error = WITHDRAWN
        audit.record(actor, "mail.withdraw", mail, None, {"reason": WITHDRAWN})
        withdrawn += 1
    db.session.flush()
    return withdrawn


WITHDRAWN = "withdrawn: the code it holds was revoked"
REPLACED = "withdrawn: a new link was sent instead"
ACCOUNT_ENDED = "withdrawn: the account was deactivated"
BY_HAND = "withdrawn by hand"
ADDRESS_CORRECTED = "withdrawn: the address was corrected"


def withdraw(actor: Actor, mail: OutboxMail, reason: str, now: datetime) -> bool:
    """Finish a waiting mail unsent, with the reason; a personal one loses its content. False
    when it was sent already or is being sent at this moment (that one cannot be stopped)."""
    if mail.sent_at is not None or mail.job.finished_at is not None or mail.being_sent(now):
        return False
    mail.job.finished_at = now
    mail.job.last_error = reason
    if mail.personal:
        mail.message = b""
    db.session.flush()
    audit.record(actor, "mail.withdraw", mail, None, {"reason": reason})
    return True


def withdraw_mails_to(actor: Actor, participant_id: int, address: str, now: datetime) -> int:
    """Withdraw the participant's waiting mails to ``address`` (their address was corrected:
    a mail to the wrong address must not go out, least of all one that holds their code)."""
    waiting = db.session.scalars(
        select(OutboxMail)
        .join(Job, OutboxMail.job_id == Job.id)
        .where(
            OutboxMail.participant_id == participant_id,
            func.lower(OutboxMail.recipient) == address.lower(),
            OutboxMail.sent_at.is_(None),
            Job.finished_at.is_(None),
        )
    ).all()
    return sum(withdraw(actor, mail, ADDRESS_CORRECTED, now) for mail in waiting)


def withdraw_account_mails(actor: Actor, user_id: int, now: datetime) -> int:
    """Withdraw the waiting personal mails about a staff account (it was deactivated)."""
    waiting = db.session.scalars(
        select(OutboxMail)
        .join(Job, OutboxMail.job_id == Job.id)
        .where(
            OutboxMail.user_id == user_id,
            OutboxMail.personal.is_(True),
            OutboxMail.sent_at.is_(None),
            Job.finished_at.is_(None),
        )
    ).all()
    return sum(withdraw(actor, mail, ACCOUNT_ENDED, now) for mail in waiting)


def code_mail_state(participant_id: int) -> OutboxMail | None:
    """The participant's latest QR-code mail (sent, waiting or withdrawn), for the page."""
    mails = db.session.scalars(
        select(OutboxMail)
        .where(OutboxMail.participant_id == participant_id)
        .order_by(OutboxMail.id.desc())
        .limit(20)
    ).all()
    return next((m for m in mails if (m.job.payload or {}).get("purpose") == "qr_code"), None)


def code_mails_sent(participant_ids: list[int]) -> dict[int, datetime]:
    """When each participant's QR-code mail last really went out (one query for a list)."""
    if not participant_ids:
        return {}
    sent: dict[int, datetime] = {}
    for participant_id, sent_at, payload in db.session.execute(
        select(OutboxMail.participant_id, OutboxMail.sent_at, Job.payload)
        .join(Job, OutboxMail.job_id == Job.id)
        .where(OutboxMail.participant_id.in_(participant_ids), OutboxMail.sent_at.is_not(None))
    ):
        if (payload or {}).get("purpose") != "qr_code":
            continue
        if participant_id not in sent or sent_at > sent[participant_id]:
            sent[participant_id] = sent_at
    return sent
