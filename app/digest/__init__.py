"""The daily digest mail (docs/rules.md, "Daily digest"): what needs a promotor or a trainer
today, sent through the outbox by the background worker.

Scheduled once a day by the workers (``app.jobs.daily``: a ``DailyRun`` row per day), on working
days from ``DIGEST_TIME`` (Brussels). The job writes one ``DigestSent`` row per person and day in
the transaction that queues that person's mail; its primary key makes a second run the same day
(a second worker, a job run again after its lease ran out) send nothing to that person. What
goes in is decided by the pure rules of ``app.domain.digest`` on the app's own computations:
the certificates' due list, the attendance figures' early warning and the session times.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import jobs, scoping
from app.attendance.figures import TrainingFigures, training_figures
from app.certificates.operations import due_list
from app.domain import digest as rules
from app.extensions import db
from app.jobs.daily import Daily, morning_mail_at, on_working_days, register_daily
from app.links import external_url
from app.mail import outbox
from app.models import ClosureDay, DigestSent, Role, Session, Training, User

log = logging.getLogger(__name__)
KIND = "digest"
# Trainings whose last session is longer ago than this are left out: the digest is about what
# to do now (their certificates stay on the certificates page).
RECENT = timedelta(days=60)
RECIPIENT_ROLES = (Role.PROMOTOR, Role.TRAINER)


def risk_lines(training: Training, figures: TrainingFigures) -> list[rules.RiskLine]:
    """The participants at risk, one line per threshold one more unjustified absence would
    cross: the exam over the whole training, paid leave per lesson period (the period named)."""
    lines = []
    for person in figures.participants:
        if "exam" in person.at_risk:
            lines.append(
                rules.RiskLine(training.id, training.name, person.participant.name, "exam")
            )
        lines.extend(
            rules.RiskLine(
                training.id,
                training.name,
                person.participant.name,
                "paid_leave",
                leave.period,
                leave.state,
                leave.figures.unjustified,
                leave.total,
                leave.limit,
            )
            for leave in person.leave_periods
            if leave.at_risk
        )
    return lines


def certificate_lines(
    training: Training, now: datetime, today: date, closures: list[date]
) -> list[rules.CertificateLine]:
    """Certificates due within three working days or overdue, from the certificates' own
    due list (its states and deadlines), for this training."""
    lines = []
    for line in due_list(training, now):
        if line.due is None:  # no deadline (optional): nothing to warn about
            continue
        attention = rules.certificate_attention(line.state, line.due, today, closures)
        if attention is not None:
            lines.append(
                rules.CertificateLine(
                    training.id,
                    training.name,
                    line.participant.name,
                    line.kind.value,
                    line.period,
                    line.due,
                    attention,
                )
            )
    return lines


def session_lines(figures: TrainingFigures, now: datetime) -> list[rules.SessionLine]:
    """Sessions whose registration window closes later today while still incomplete."""
    enrolled: dict[int, int] = {}
    registered: dict[int, int] = {}
    incomplete: dict[int, int] = {}
    for person in figures.participants:
        for line in person.sessions:
            sid = line.session.id
            enrolled[sid] = enrolled.get(sid, 0) + 1
            registered[sid] = registered.get(sid, 0) + bool(line.registrations)
            incomplete[sid] = incomplete.get(sid, 0) + (line.attendance.status == "incomplete")
    lines = []
    for session, times in figures.sessions:
        if session.submitted_at is not None and not session.reopened:
            continue
        facts = {
            "enrolled": enrolled.get(session.id, 0),
            "registered": registered.get(session.id, 0),
            "incomplete": incomplete.get(session.id, 0),
        }
        if rules.awaits_completion(deadline=times.deadline, now=now, **facts):
            lines.append(
                rules.SessionLine(
                    session.id,
                    figures.training.name,
                    session.day,
                    session.start,
                    session.end,
                    times.deadline,
                    **facts,
                )
            )
    return lines


class _Trainings:
    """Each training's part of the digest, computed once however many people receive it."""

    def __init__(self, now: datetime, today: date, closures: list[date]) -> None:
        self.now, self.today, self.closures = now, today, closures
        self._parts: dict[int, rules.Digest] = {}

    def part(self, training: Training) -> rules.Digest:
        if training.id not in self._parts:
            figures = training_figures(training, self.now)
            self._parts[training.id] = rules.Digest(
                self.today,
                certificate_lines(training, self.now, self.today, self.closures),
                risk_lines(training, figures),
                session_lines(figures, self.now),
            )
        return self._parts[training.id]


def digest_for(user: User, trainings: _Trainings) -> rules.Digest:
    """The digest of one promotor (their branch's trainings; all for one without a branch) or
    trainer (the trainings they teach)."""
    recent = select(Session.training_id).where(
        Session.cancelled_at.is_(None), Session.day >= trainings.today - RECENT
    )
    theirs = db.session.scalars(
        scoping.trainings(user).where(Training.id.in_(recent)).order_by(Training.name, Training.id)
    ).all()
    parts = [trainings.part(training) for training in theirs]
    return rules.Digest(
        trainings.today,
        [line for part in parts for line in part.certificates],
        [line for part in parts for line in part.risks],
        [line for part in parts for line in part.sessions],
    )


def recipients() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.active, User.digest_enabled, User.role.in_(RECIPIENT_ROLES))
            .order_by(User.id)
        )
    )


def send_digests(day: date, now: datetime) -> int:
    """Queue today's digest for everyone who has something to act on and has not had it yet;
    returns how many mails were queued. In the caller's transaction (the job's)."""
    done = set(db.session.scalars(select(DigestSent.user_id).where(DigestSent.day == day)))
    todo = [user for user in recipients() if user.id not in done]
    if not todo:
        return 0
    closures = list(
        db.session.scalars(
            select(ClosureDay.day).where(
                ClosureDay.day >= day - timedelta(days=31),
                ClosureDay.day <= day + timedelta(days=31),
            )
        )
    )
    trainings = _Trainings(now, day, closures)
    queued = 0
    for user in todo:
        digest = digest_for(user, trainings)
        try:
            with db.session.begin_nested():
                mail = (
                    None
                    if digest.empty
                    else outbox.queue(digest_message(user, digest), purpose=KIND, user_id=user.id)
                )
                db.session.add(
                    DigestSent(user_id=user.id, day=day, mail_id=mail.id if mail else None)
                )
                db.session.flush()
        except IntegrityError:
            # Another worker wrote this person's digest of today first: theirs stands.
            log.info("digest of %s for user %s was sent by another worker", day, user.id)
            continue
        queued += mail is not None
    return queued


def digest_message(user: User, digest: rules.Digest) -> EmailMessage:
    """The digest mail in the user's language (Dutch unless they chose English)."""
    language = user.language if user.language in current_app.config["LANGUAGES"] else "nl"
    with force_locale(language):
        context = {
            "user": user,
            "digest": digest,
            "account_link": external_url("auth.change_password"),
            "certificates_link": lambda training_id: external_url(
                "certificates.index", training_id=training_id
            ),
            "session_link": lambda session_id: external_url(
                "planning.session_detail", session_id=session_id
            ),
            "kind_labels": {
                "diligence": _("Certificate of diligence"),
                "regular_enrolment": _("Certificate of regular enrolment"),
            },
            "threshold_labels": {
                "exam": _("exam admission (2/3 of the lessons)"),
                "paid_leave": _(
                    "paid educational leave (at most a tenth of the hours unjustified absent)"
                ),
            },
        }
        message = EmailMessage()
        message["Subject"] = _(
            "Aanwezig: what needs you today (%(day)s)", day=digest.day.strftime("%d/%m/%Y")
        )
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = user.email
        message.set_content(render_template("mail/digest.txt", **context))
        message.add_alternative(render_template("mail/digest.html", **context), subtype="html")
    return message


def _perform(job: jobs.Claimed, run: jobs.Run) -> None:
    """The "digest" job: its day's digests; the worker commits them with the job."""
    day = date.fromisoformat(str(job.payload["day"]))
    send_digests(day, run.now)


# Without a mail server (the demo) there is nobody to tell: the digest is neither scheduled nor
# run, as the mail jobs wait untouched.
jobs.register(jobs.JobKind(KIND, perform=_perform, enabled=outbox.smtp_configured))
register_daily(Daily(KIND, at=morning_mail_at, runs_on=on_working_days))
