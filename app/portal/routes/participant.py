"""The participant's own pages: home, QR code, sessions, trainings and certificates."""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.attendance.figures import ParticipantFigures
from app.certificates import operations as certificates
from app.certificates.operations import FILE_NAMES
from app.clock import now as _now
from app.db import lock_people
from app.domain.certificates import attendance_certificate_available, certificates_bind
from app.domain.cutoff import BRUSSELS
from app.domain.limits import id_in_range
from app.errors import NotFound
from app.extensions import db, limiter
from app.forms import ConfirmForm
from app.mail.messages import participant_code, queue_code_mail
from app.models import (
    Certificate,
    CertificateKind,
    Enrolment,
    Participant,
    SelfReport,
    Session,
    Training,
)
from app.portal import bp, identity
from app.portal.identity import PortalIdentity, portal_required
from app.portal.routes.common import _figures, _record, _records, _trainings_of
from app.supervision.operations import selfreports
from app.views import refusals_shown
from app.web import file_response
from qr.images import code_png


@bp.get("/")
@portal_required
def home(who: PortalIdentity) -> ResponseReturnValue:
    records = _records(who)
    now = _now()
    trainings = _trainings_of(records)
    figures = [(t, p, _figures(t, p, now)) for t, p in trainings]
    upcoming = _upcoming(records, now)[:5]
    issued = _certificates(records)
    return render_template(
        "portal/home.html",
        records=records,
        trainings=figures,
        upcoming=upcoming,
        certificates=issued,
        attendance_offers=_attendance_offers(figures, issued, now),
        supervisor=identity.is_supervisor(who),
        waiting=_waiting_count(who),
        form=ConfirmForm(),
    )


def _attendance_offer(figures: ParticipantFigures | None, now: datetime) -> bool:
    """The deelnameattest can be got here: not on betaald educatief verlof (those get the
    certificates of seed 002 from the promotor), and a week after their last lesson."""
    if figures is None or not figures.sessions:
        return False
    enrolment = figures.enrolment
    if enrolment is not None and certificates_bind(enrolment.paid_leave, enrolment.leave_regime):
        return False
    last = max(line.session.day for line in figures.sessions)
    return attendance_certificate_available(last, now)


def _attendance_offers(
    figures: list[tuple[Training, Participant, ParticipantFigures | None]],
    issued: list[Certificate],
    now: datetime,
) -> list[tuple[Training, Participant]]:
    """Trainings whose attendance certificate the participant can get and has not got yet."""
    have = {(c.training_id, c.participant_id) for c in issued if c.kind.value == "attendance"}
    return [(t, p) for t, p, f in figures if (t.id, p.id) not in have and _attendance_offer(f, now)]


def _waiting_count(who: PortalIdentity) -> int:
    from sqlalchemy import exists

    from app.models import SelfReportDecision

    return (
        db.session.scalar(
            selfreports.supervised_reports(who.email)
            .where(~exists().where(SelfReportDecision.report_id == SelfReport.id))
            .with_only_columns(func.count())
        )
        or 0
    )


def _upcoming(records: list[Participant], now: datetime) -> list[Session]:
    ids = [p.id for p in records]
    if not ids:
        return []
    today = now.astimezone(BRUSSELS).date()
    sessions = db.session.scalars(
        select(Session)
        .join(Enrolment, Enrolment.session_id == Session.id)
        .options(joinedload(Session.training), joinedload(Session.trainer))
        .where(
            Enrolment.participant_id.in_(ids),
            Session.day >= today,
            Session.cancelled_at.is_(None),
        )
        .order_by(Session.day, Session.start)
    ).all()
    from app.domain.sessions import local_datetime

    return [s for s in sessions if local_datetime(s.day, s.end) > now]


def _certificates(records: list[Participant]) -> list[Certificate]:
    """Issued certificates; of a corrected one only the correction (the one that stands)."""
    ids = [p.id for p in records]
    if not ids:
        return []
    issued = db.session.scalars(
        select(Certificate)
        .options(joinedload(Certificate.training))
        .where(Certificate.participant_id.in_(ids))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    corrected = {c.corrects_id for c in issued if c.corrects_id}
    return [c for c in issued if c.id not in corrected]


@bp.get("/qr/<int:participant_id>.png")
@portal_required
def qr_image(who: PortalIdentity, participant_id: int) -> ResponseReturnValue:
    participant = _record(who, participant_id)
    response = Response(code_png(participant_code(participant)), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/qr/<int:participant_id>/print")
@portal_required
def qr_print(who: PortalIdentity, participant_id: int) -> ResponseReturnValue:
    return render_template("portal/qr_print.html", participant=_record(who, participant_id))


def _mail_limit() -> str:
    return current_app.config["RATELIMIT_PORTAL_MAIL"]


def _signed_in_key() -> str:
    who = identity.current_identity()
    return "portal-mail:" + (who.email if who else request.remote_addr or "")


@bp.post("/qr/<int:participant_id>/mail")
@limiter.limit(_mail_limit, key_func=_signed_in_key, scope="portal-mail")
@portal_required
def qr_mail(who: PortalIdentity, participant_id: int) -> ResponseReturnValue:
    participant = _record(who, participant_id)
    if ConfirmForm().validate_on_submit():
        from app import audit

        queue_code_mail(participant, _now())
        audit.record(who.actor, "participant.code_resend", participant)
        flash(_("Your QR code is mailed to %(email)s.", email=participant.email), "success")
    return redirect(url_for("portal.home"))


@bp.get("/sessions")
@portal_required
def sessions(who: PortalIdentity) -> ResponseReturnValue:
    """Coming sessions (date, times, place, trainer) and past ones with own times and hours."""
    records = _records(who)
    now = _now()
    past = []
    for training, participant in _trainings_of(records):
        found = _figures(training, participant, now)
        if found is None:
            continue
        past += [(training, line) for line in found.sessions if line.times.end <= now]
    past.sort(key=lambda tl: (tl[1].session.day, tl[1].session.start), reverse=True)
    return render_template("portal/sessions.html", upcoming=_upcoming(records, now), past=past)


def _own_training(who: PortalIdentity, training_id: int) -> tuple[Training, Participant]:
    if not id_in_range(training_id):
        raise NotFound("training")
    for training, participant in _trainings_of(_records(who)):
        if training.id == training_id:
            return training, participant
    raise NotFound("training")


@bp.get("/trainings/<int:training_id>")
@portal_required
def training(who: PortalIdentity, training_id: int) -> ResponseReturnValue:
    training_, participant = _own_training(who, training_id)
    reports = list(
        db.session.scalars(
            select(SelfReport)
            .where(
                SelfReport.training_id == training_.id,
                SelfReport.participant_id == participant.id,
            )
            .order_by(SelfReport.day.desc(), SelfReport.start.desc(), SelfReport.id.desc())
        )
    )
    return render_template(
        "portal/training.html",
        training=training_,
        participant=participant,
        figures=_figures(training_, participant, _now()),
        reports=selfreports.report_states(reports),
    )


@bp.post("/trainings/<int:training_id>/attendance-certificate/<int:participant_id>")
@portal_required
def attendance_certificate(
    who: PortalIdentity, training_id: int, participant_id: int
) -> ResponseReturnValue:
    """The participant gets their own deelnameattest (issued now, stored like every other
    certificate), or the one already issued."""
    participant = _record(who, participant_id)
    training_ = next(
        (t for t, p in _trainings_of([participant]) if t.id == training_id),
        None,
    )
    if training_ is None or not ConfirmForm().validate_on_submit():
        raise NotFound("training")
    # Six clicks at once: the others wait for the first and then find its certificate.
    lock_people([participant.id])
    existing = next(
        (
            c
            for c in _certificates([participant])
            if c.training_id == training_.id and c.kind.value == "attendance"
        ),
        None,
    )
    if existing is None:
        if not _attendance_offer(_figures(training_, participant, _now()), _now()):
            raise NotFound("certificate")
        with refusals_shown():
            existing = certificates.issue(
                who.actor, CertificateKind.ATTENDANCE, training_, participant, _now()
            )
        if existing is None:
            return redirect(url_for("portal.home") + "#certificates")
    return redirect(url_for("portal.certificate", certificate_id=existing.id))


@bp.get("/certificates/<int:certificate_id>.pdf")
@portal_required
def certificate(who: PortalIdentity, certificate_id: int) -> ResponseReturnValue:
    """An issued certificate of one's own, as the stored PDF."""
    ids = [p.id for p in _records(who)]
    found = db.session.get(Certificate, certificate_id) if id_in_range(certificate_id) else None
    if found is None or found.participant_id not in ids:
        raise NotFound("certificate")
    name = FILE_NAMES.get(found.kind, "attest")
    return file_response(found.pdf, "application/pdf", f"attest-{name}-{found.id}.pdf", inline=True)
