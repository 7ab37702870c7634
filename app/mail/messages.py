"""The mails the product sends, composed from .txt/.html template pairs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.links import external_url
from app.mail import outbox
from app.models import Enrolment, Participant, Session, Training
from app.security import qr_private_key
from qr import sign_code
from qr.images import code_png


def participant_code(participant: Participant) -> str:
    return sign_code(qr_private_key(), participant.id, participant.key_version)


def enrolled_sessions(participant: Participant, cancelled: bool = False) -> list[Session]:
    """The participant's sessions in time order; cancelled ones only when asked for."""
    query = (
        select(Session)
        .join(Enrolment, Enrolment.session_id == Session.id)
        .join(Training, Session.training_id == Training.id)
        .where(Enrolment.participant_id == participant.id)
        .order_by(Session.day, Session.start)
    )
    if not cancelled:
        query = query.where(Session.cancelled_at.is_(None))
    return list(db.session.scalars(query))


def queue_code_mail(participant: Participant, now: datetime) -> None:
    """Mail the participant their QR code (inline and attached) with their sessions."""
    outbox.queue(
        code_message(participant, enrolled_sessions(participant)),
        participant_id=participant.id,
        purpose="qr_code",
        key_version=participant.key_version,
    )
    # When the first code mail was queued (it decides that later enrolments send none); the
    # participant's page shows whether it really went out (``outbox.code_mail_state``).
    participant.code_sent_at = now


def queue_code_mails(participants: Sequence[Participant], now: datetime) -> None:
    """:func:`queue_code_mail` for many participants (a class enrolled at once) in three
    statements: their sessions, the mails and the time the codes were sent."""
    if not participants:
        return
    ids = [p.id for p in participants]
    sessions: dict[int, list[Session]] = defaultdict(list)
    for participant_id, session in db.session.execute(
        select(Enrolment.participant_id, Session)
        .join(Session, Enrolment.session_id == Session.id)
        .join(Training, Session.training_id == Training.id)
        .options(contains_eager(Session.training))
        .where(Enrolment.participant_id.in_(ids), Session.cancelled_at.is_(None))
        .order_by(Session.day, Session.start)
    ):
        sessions[participant_id].append(session)
    outbox.queue_many(
        [
            (
                code_message(p, sessions[p.id]),
                p.id,
                {"purpose": "qr_code", "key_version": p.key_version},
            )
            for p in participants
        ],
        now,
    )
    db.session.execute(update(Participant).where(Participant.id.in_(ids)).values(code_sent_at=now))


def code_message(participant: Participant, sessions: list[Session]) -> EmailMessage:
    """The QR code mail: the code inline and attached, and the participant's sessions."""
    png = code_png(participant_code(participant))
    cid = make_msgid(domain="aanwezig.local")
    with force_locale("nl"):
        context = {
            "participant": participant,
            "sessions": sessions,
            "cid": cid[1:-1],
            "portal_link": external_url("portal.sign_in"),
        }
        message = EmailMessage()
        message["Subject"] = _("Your attendance QR code")
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = participant.email
        message.set_content(render_template("mail/qr_code.txt", **context))
        message.add_alternative(render_template("mail/qr_code.html", **context), subtype="html")
    for part in message.iter_parts():
        if part.get_content_type() == "text/html":  # the picture travels inside the HTML part
            part.add_related(
                png, "image", "png", cid=cid, filename="qr-code.png", disposition="inline"
            )
    message.add_attachment(png, maintype="image", subtype="png", filename="aanwezig-qr-code.png")
    return message


def queue_cancellation_mail(participant: Participant, session: Session) -> None:
    """Tell an enrolled participant that a session does not take place."""
    with force_locale("nl"):
        context = {"participant": participant, "session": session}
        message = EmailMessage()
        message["Subject"] = _(
            "Cancelled: %(training)s on %(day)s",
            training=session.training.name,
            day=session.day.strftime("%d/%m/%Y"),
        )
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = participant.email
        message.set_content(render_template("mail/session_cancelled.txt", **context))
        message.add_alternative(
            render_template("mail/session_cancelled.html", **context), subtype="html"
        )
    outbox.queue(message, participant_id=participant.id, purpose="session_cancelled")
