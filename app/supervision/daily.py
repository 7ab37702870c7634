"""The supervisors' daily mail: hours wait for them (issue 20: "a supervisor is told by mail
... when hours wait for them, at most one mail a day").

One job a day, at the digest's hour on the digest's days (``DIGEST_TIME``), only with a mail
server: each supervisor with reports waiting for a decision gets one mail listing them all,
with the portal link, unless they were reminded (by the promotor's button or by this job) in
the last 20 hours. Each mail is recorded as a ``supervisor.remind`` audit record, the same as
the button, so the training's page shows when they were last reminded.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, select

from app import audit, jobs
from app.audit import Actor
from app.extensions import db
from app.jobs.daily import Daily, morning_mail_at, on_working_days, register_daily
from app.links import external_url
from app.mail import outbox
from app.models import Participant, SelfReport, SelfReportDecision, Supervisor, Training

KIND = "supervisor_waiting"
QUIET = timedelta(hours=20)  # one mail a day, whoever sent the last one


def send_waiting_mails(now: datetime) -> int:
    """Queue one mail per supervisor with reports waiting; returns how many."""
    from app.supervision.operations.reminders import last_reminders

    rows = db.session.execute(
        select(SelfReport, Participant, Supervisor, Training)
        .join(Participant, Participant.id == SelfReport.participant_id)
        .join(Supervisor, Supervisor.id == Participant.supervisor_id)
        .join(Training, Training.id == SelfReport.training_id)
        .where(~exists().where(SelfReportDecision.report_id == SelfReport.id))
        .order_by(Supervisor.id, SelfReport.created_at, SelfReport.id)
    ).all()
    waiting: dict[int, list[tuple[SelfReport, Participant, Training]]] = defaultdict(list)
    supervisors: dict[int, Supervisor] = {}
    for report, participant, supervisor, training in rows:
        waiting[supervisor.id].append((report, participant, training))
        supervisors[supervisor.id] = supervisor
    recent = last_reminders(list(waiting))
    queued = 0
    for sid, items in waiting.items():
        last = recent.get(sid)
        if last is not None and _aware(last) > now - QUIET:
            continue
        supervisor = supervisors[sid]
        outbox.queue(_message(supervisor, items), purpose="supervisor_waiting")
        audit.record(
            Actor(None),
            "supervisor.remind",
            supervisor,
            after={"reports": [report.id for report, _p, _t in items], "daily": True},
        )
        queued += 1
    return queued


def _message(
    supervisor: Supervisor, items: list[tuple[SelfReport, Participant, Training]]
) -> EmailMessage:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        lines = [
            f"- {participant.name}, {training.name}: {report.day.strftime('%d/%m/%Y')}"
            for report, participant, training in items
        ]
        message = EmailMessage()
        message["Subject"] = _("Aanwezig: e-learning hours wait for your approval")
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = supervisor.email
        message.set_content(
            _(
                "Dear %(name)s,\n\nThese e-learning hours wait for your approval:\n%(lines)s\n\n"
                "Sign in to the portal with this email address to approve or reject them:\n"
                "%(link)s\n",
                name=supervisor.name,
                lines="\n".join(lines),
                link=external_url("portal.sign_in"),
            )
        )
    return message


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _perform(job: jobs.Claimed, run: jobs.Run) -> None:
    date.fromisoformat(str(job.payload["day"]))  # the day it was scheduled for (checked)
    send_waiting_mails(run.now)


jobs.register(jobs.JobKind(KIND, perform=_perform, enabled=outbox.smtp_configured))
# The digest's hour and days: staff and supervisors hear from Aanwezig at the same moment.
register_daily(Daily(KIND, at=morning_mail_at, runs_on=on_working_days))
