"""The mails the product sends, composed from .txt/.html template pairs."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

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


def queue_code_mail(participant: Participant) -> None:
    """Mail the participant their QR code (inline and attached) with their sessions."""
    png = code_png(participant_code(participant))
    sessions = enrolled_sessions(participant)
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
    html_part = message.get_payload()[1]
    html_part.add_related(
        png, "image", "png", cid=cid, filename="qr-code.png", disposition="inline"
    )
    message.add_attachment(png, maintype="image", subtype="png", filename="aanwezig-qr-code.png")
    outbox.queue(
        message,
        participant_id=participant.id,
        purpose="qr_code",
        key_version=participant.key_version,
    )
    # When the first code mail was queued (it decides that later enrolments send none); the
    # participant's page shows whether it really went out (``outbox.code_mail_state``).
    participant.code_sent_at = datetime.now(UTC)


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
    outbox.queue(message, participant_id=participant.id)
