"""The promotor's follow-up of self-reports: which wait for a supervisor, and the reminder mailed
to them.

Nothing here commits: the request (or the job) does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from app import audit
from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.links import external_url
from app.models import (
    AuditRecord,
    Participant,
    SelfReport,
    SelfReportDecision,
    Supervisor,
    Training,
)


@dataclass(frozen=True)
class Waiting:
    """A report waiting for its supervisor, and for how long."""

    report: SelfReport
    participant: Participant
    supervisor: Supervisor | None
    waiting_for: timedelta


def waiting_reports(training: Training, now: datetime) -> list[Waiting]:
    """The training's reports that wait for a decision, oldest first (one query)."""
    rows = db.session.execute(
        select(SelfReport, Participant, Supervisor)
        .join(Participant, Participant.id == SelfReport.participant_id)
        .outerjoin(Supervisor, Supervisor.id == Participant.supervisor_id)
        .where(
            SelfReport.training_id == training.id,
            ~exists().where(SelfReportDecision.report_id == SelfReport.id),
        )
        .order_by(SelfReport.created_at, SelfReport.id)
    ).all()
    return [Waiting(r, p, s, now - r.created_at) for r, p, s in rows]


def last_reminders(supervisor_ids: Iterable[int]) -> dict[int, datetime]:
    """When each supervisor was last reminded (from the audit records, one query)."""
    ids = list(supervisor_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(AuditRecord.object_id, func.max(AuditRecord.at))
        .where(
            AuditRecord.object_type == Supervisor.__tablename__,
            AuditRecord.action == "supervisor.remind",
            AuditRecord.object_id.in_(ids),
        )
        .group_by(AuditRecord.object_id)
    )
    # object_id is nullable in general, never for these records (in_ matches no NULL).
    return {supervisor_id: at for supervisor_id, at in rows if supervisor_id is not None}


def remind(actor: Actor, training: Training, supervisor: Supervisor, now: datetime) -> int:
    """Mail the supervisor which reports of this training wait for them; returns how many."""
    waiting = [
        w
        for w in waiting_reports(training, now)
        if w.supervisor is not None and w.supervisor.email == supervisor.email
    ]
    if not waiting:
        raise Refusal(
            "nothing_waiting",
            _l("No report of this training waits for this supervisor."),
            status=409,
        )
    _queue_reminder(supervisor, training, waiting)
    audit.record(
        actor,
        "supervisor.remind",
        supervisor,
        after={"training_id": training.id, "reports": [w.report.id for w in waiting]},
    )
    return len(waiting)


def _queue_reminder(supervisor: Supervisor, training: Training, waiting: list[Waiting]) -> None:
    from email.message import EmailMessage

    from app.mail import outbox

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        context = {
            "supervisor": supervisor,
            "training": training,
            "waiting": waiting,
            "link": external_url("portal.sign_in"),
        }
        message = EmailMessage()
        message["Subject"] = _("%(n)s e-learning reports wait for your approval", n=len(waiting))
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = supervisor.email
        message.set_content(render_template("mail/supervisor_reminder.txt", **context))
        message.add_alternative(
            render_template("mail/supervisor_reminder.html", **context), subtype="html"
        )
    outbox.queue(message, purpose="supervisor_reminder")
