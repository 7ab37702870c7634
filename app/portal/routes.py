"""Portal pages: signing in by mail, then the participant's own data and the supervisor's list.

Every object is looked up among the signed-in person's own records (``identity``): another
participant's session, training, certificate or report answers 404, like a guessed id.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.attendance.figures import ParticipantFigures, participant_figures
from app.certificates import operations as certificates
from app.certificates.operations import FILE_NAMES
from app.clock import now as _now
from app.db import lock_people
from app.domain.certificates import attendance_certificate_available, certificates_bind
from app.domain.cutoff import BRUSSELS
from app.domain.limits import id_in_range
from app.errors import NotFound, Refusal
from app.extensions import db, limiter
from app.forms import ConfirmForm
from app.mail.messages import participant_code, queue_code_mail
from app.models import (
    Certificate,
    CertificateKind,
    Enrolment,
    Justification,
    JustificationKind,
    JustificationRequest,
    Participant,
    SelfReport,
    Session,
    Training,
    TrainingEnrolment,
    TrainingMode,
)
from app.portal import bp, identity, signin
from app.portal.forms import DecisionForm, HoursForm, JustificationUploadForm, SignInForm
from app.portal.identity import PortalIdentity, portal_required
from app.reasons import KIND_LABELS
from app.supervision import operations as supervision
from app.views import choices, local_target, refusals_shown
from app.web import file_response
from qr.images import code_png

RISK_LABELS = {"exam": "exam", "paid_leave": "paid_leave"}


def _today() -> date:
    return _now().astimezone(BRUSSELS).date()


def _records(who: PortalIdentity) -> list[Participant]:
    """The person's own participant records (one per branch), by branch."""
    return list(
        db.session.scalars(
            identity.own_participants(who)
            .options(joinedload(Participant.branch))
            .order_by(Participant.branch_id, Participant.id)
        )
    )


def _record(who: PortalIdentity, participant_id: int) -> Participant:
    """One of the person's own records, or a 404."""
    if not id_in_range(participant_id):
        raise NotFound("participant")
    found = db.session.scalars(
        identity.own_participants(who).where(Participant.id == participant_id)
    ).first()
    if found is None:
        raise NotFound("participant")
    return found


# --- Signing in and out ------------------------------------------------------------------------


def _link_limit() -> str:
    return current_app.config["RATELIMIT_LINK"]


def _link_address_limit() -> str:
    return current_app.config["RATELIMIT_LINK_ADDRESS"]


def _link_address() -> str:
    return "portal-link:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"], scope="portal-link-client")
@limiter.limit(
    _link_address_limit, methods=["POST"], key_func=_link_address, scope="portal-link-address"
)
def sign_in():  # type: ignore[no-untyped-def]
    """Ask for a sign-in link. The answer is the same, and as fast, whether the address is
    known: the page stores the request, the worker looks the address up."""
    if identity.current_identity() is not None:
        return redirect(url_for("portal.home"))
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data.strip()
        signin.request_link(email, str(get_locale() or "nl"))
        return render_template("portal/link_sent.html", email=email)
    return render_template("portal/sign_in.html", form=form)


def _refused_link(refusal: Refusal):  # type: ignore[no-untyped-def]
    return (
        render_template("portal/link_refused.html", message=refusal.message, code=refusal.code),
        refusal.status,
    )


@bp.get("/link/<token>")
def use_link(token: str):  # type: ignore[no-untyped-def]
    """The link from the mail opens a page with one button: mail scanners that follow links
    only look, so the link is still unused when the person taps the button."""
    try:
        signin.find_link(token, _now())
    except Refusal as refusal:
        return _refused_link(refusal)
    return render_template("portal/confirm.html", form=ConfirmForm(), token=token)


@bp.post("/link/<token>")
def confirm_link(token: str):  # type: ignore[no-untyped-def]
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("portal.use_link", token=token))
    try:
        sign_in_ = signin.use_link(token, _now())
    except Refusal as refusal:
        db.session.rollback()
        return _refused_link(refusal)
    identity.start(sign_in_)
    return redirect(url_for("portal.home"))


@bp.post("/sign-out")
def sign_out():  # type: ignore[no-untyped-def]
    who = identity.current_identity()
    if ConfirmForm().validate_on_submit() and who is not None:
        signin.end(who.sign_in_id, _now())
        identity.forget()
        flash(_("You are signed out."), "success")
    return redirect(url_for("portal.sign_in"))


@bp.post("/language/<code>")
def language(code: str):  # type: ignore[no-untyped-def]
    from flask import session

    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(local_target(request.form.get("next")) or url_for("portal.home"))


# --- Figures, from the one place that computes them ---------------------------------------------


def _trainings_of(records: list[Participant]) -> list[tuple[Training, Participant]]:
    """Each training a record is enrolled in (sessions or the training itself), by name."""
    ids = [p.id for p in records]
    if not ids:
        return []
    by_session = (
        select(Session.training_id, Enrolment.participant_id)
        .join(Enrolment, Enrolment.session_id == Session.id)
        .where(Enrolment.participant_id.in_(ids))
    )
    by_training = select(TrainingEnrolment.training_id, TrainingEnrolment.participant_id).where(
        TrainingEnrolment.participant_id.in_(ids)
    )
    pairs = set(db.session.execute(by_session.union(by_training)).all())
    trainings = {
        t.id: t
        for t in db.session.scalars(select(Training).where(Training.id.in_({t for t, _ in pairs})))
    }
    people = {p.id: p for p in records}
    return sorted(
        ((trainings[t], people[p]) for t, p in pairs),
        key=lambda tp: (tp[0].name, tp[0].id, tp[1].id),
    )


def _figures(
    training: Training, participant: Participant, now: datetime
) -> ParticipantFigures | None:
    """This participant's figures in the training, exactly as staff see them (computed from
    this person's rows only: ``participant_figures``)."""
    return participant_figures(training, participant, now)


# --- The participant's pages --------------------------------------------------------------------


@bp.get("/")
@portal_required
def home(who: PortalIdentity):  # type: ignore[no-untyped-def]
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
            supervision.supervised_reports(who.email)
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
def qr_image(who: PortalIdentity, participant_id: int):  # type: ignore[no-untyped-def]
    participant = _record(who, participant_id)
    response = Response(code_png(participant_code(participant)), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/qr/<int:participant_id>/print")
@portal_required
def qr_print(who: PortalIdentity, participant_id: int):  # type: ignore[no-untyped-def]
    return render_template("portal/qr_print.html", participant=_record(who, participant_id))


def _mail_limit() -> str:
    return current_app.config["RATELIMIT_PORTAL_MAIL"]


def _signed_in_key() -> str:
    who = identity.current_identity()
    return "portal-mail:" + (who.email if who else request.remote_addr or "")


@bp.post("/qr/<int:participant_id>/mail")
@limiter.limit(_mail_limit, key_func=_signed_in_key, scope="portal-mail")
@portal_required
def qr_mail(who: PortalIdentity, participant_id: int):  # type: ignore[no-untyped-def]
    participant = _record(who, participant_id)
    if ConfirmForm().validate_on_submit():
        from app import audit

        queue_code_mail(participant)
        audit.record(who.actor, "participant.code_resend", participant)
        flash(_("Your QR code is mailed to %(email)s.", email=participant.email), "success")
    return redirect(url_for("portal.home"))


@bp.get("/sessions")
@portal_required
def sessions(who: PortalIdentity):  # type: ignore[no-untyped-def]
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
def training(who: PortalIdentity, training_id: int):  # type: ignore[no-untyped-def]
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
        reports=supervision.report_states(reports),
    )


@bp.post("/trainings/<int:training_id>/attendance-certificate/<int:participant_id>")
@portal_required
def attendance_certificate(who: PortalIdentity, training_id: int, participant_id: int):  # type: ignore[no-untyped-def]
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
def certificate(who: PortalIdentity, certificate_id: int):  # type: ignore[no-untyped-def]
    """An issued certificate of one's own, as the stored PDF."""
    ids = [p.id for p in _records(who)]
    found = db.session.get(Certificate, certificate_id) if id_in_range(certificate_id) else None
    if found is None or found.participant_id not in ids:
        raise NotFound("certificate")
    name = FILE_NAMES.get(found.kind, "attest")
    return file_response(found.pdf, "application/pdf", f"attest-{name}-{found.id}.pdf", inline=True)


# --- Absences ----------------------------------------------------------------------------------


def _upload_form(records: list[Participant]) -> JustificationUploadForm:
    form = JustificationUploadForm()
    form.kind.choices = choices((k.value, KIND_LABELS[k]) for k in JustificationKind)
    options = supervision.own_absences([p.id for p in records], _today())
    form.sessions.choices = choices(
        (s.id, f"{s.day.strftime('%d/%m/%Y')} {s.start:%H:%M} {s.training.name}")
        for s, _ in options
    )
    return form


def _upload_limit() -> str:
    return current_app.config["RATELIMIT_PORTAL_UPLOAD"]


def _uploader_key() -> str:
    who = identity.current_identity()
    return "portal-upload:" + (who.email if who else request.remote_addr or "")


@bp.route("/absences", methods=["GET", "POST"])
@limiter.limit(_upload_limit, key_func=_uploader_key, scope="portal-upload", methods=["POST"])
@portal_required
def absences(who: PortalIdentity):  # type: ignore[no-untyped-def]
    """Justified absences and the documents sent, with their outcome; a new document."""
    records = _records(who)
    form = _upload_form(records)
    if form.validate_on_submit():
        options = {
            s.id: (s, pid) for s, pid in supervision.own_absences([p.id for p in records], _today())
        }
        chosen = [options[i] for i in form.sessions.data if i in options]
        owners = {pid for _, pid in chosen}
        upload = form.document.data
        with refusals_shown(form, "document"):
            if len(owners) > 1:
                raise Refusal(
                    "several_records",
                    _("Send one document per training organisation."),
                    field="sessions",
                )
            participant = next(p for p in records if p.id in owners) if owners else records[0]
            supervision.submit_justification(
                who.actor,
                participant,
                [s for s, _ in chosen],
                JustificationKind(form.kind.data),
                form.note.data or "",
                (upload.filename or "", upload.read()) if upload else None,
                _today(),
            )
            flash(
                _("Your document is sent. Your training organisation accepts or rejects it."),
                "success",
            )
            return redirect(url_for("portal.absences"))
    ids = [p.id for p in records]
    return render_template(
        "portal/absences.html",
        form=form,
        kind_labels=KIND_LABELS,
        justifications=list(
            db.session.scalars(
                select(Justification)
                .where(Justification.participant_id.in_(ids), Justification.revoked_at.is_(None))
                .order_by(Justification.handed_in_on.desc(), Justification.id.desc())
            )
        )
        if ids
        else [],
        requests=list(
            db.session.scalars(
                select(JustificationRequest)
                .where(JustificationRequest.participant_id.in_(ids))
                .order_by(JustificationRequest.submitted_at.desc())
            )
        )
        if ids
        else [],
    )


# --- E-learning hours --------------------------------------------------------------------------


def _elearning(who: PortalIdentity) -> list[tuple[Training, Participant]]:
    return [(t, p) for t, p in _trainings_of(_records(who)) if t.mode == TrainingMode.ELEARNING]


def _hours_form(
    trainings: list[tuple[Training, Participant]], report: SelfReport | None = None
) -> HoursForm:
    form = HoursForm(obj=report) if report is not None and request.method == "GET" else HoursForm()
    form.training.choices = choices(
        (t.id, f"{t.name} ({t.code})" if t.code else t.name) for t, _ in trainings
    )
    if report is not None and request.method == "GET":
        form.training.data = report.training_id
        form.minutes.data = None if report.start else report.minutes
    return form


def _report(who: PortalIdentity, form: HoursForm, trainings, replaces: SelfReport | None):  # type: ignore[no-untyped-def]
    chosen = {t.id: (t, p) for t, p in trainings}.get(form.training.data)
    if chosen is None:
        raise Refusal("not_found", _("Choose one of your e-learning trainings."), field="training")
    has_times = form.start.data is not None or form.end.data is not None
    return supervision.report_hours(
        who.actor,
        chosen[0],
        chosen[1],
        form.day.data,
        form.start.data,
        form.end.data,
        None if has_times else form.minutes.data,
        form.description.data or "",
        _now(),
        replaces=replaces,
    )


@bp.route("/hours", methods=["GET", "POST"])
@portal_required
def hours(who: PortalIdentity):  # type: ignore[no-untyped-def]
    """Report e-learning hours; the list of one's reports with their state."""
    trainings = _elearning(who)
    form = _hours_form(trainings)
    if trainings and form.validate_on_submit():
        with refusals_shown(form, "day"):
            _report(who, form, trainings, None)
            flash(_("Your hours are sent to your supervisor for approval."), "success")
            return redirect(url_for("portal.hours"))
    return _hours_page(who, trainings, form)


def _hours_page(who, trainings, form, correcting=None):  # type: ignore[no-untyped-def]
    ids = [p.id for p in _records(who)]
    reports = (
        list(
            db.session.scalars(
                select(SelfReport)
                .options(joinedload(SelfReport.training))
                .where(SelfReport.participant_id.in_(ids))
                .order_by(SelfReport.day.desc(), SelfReport.created_at.desc())
                .limit(200)
            )
        )
        if ids
        else []
    )
    return render_template(
        "portal/hours.html",
        form=form,
        trainings=trainings,
        reports=supervision.report_states(reports),
        correcting=correcting,
        supervised={p.id: p.supervisor for p in _records(who)},
    )


@bp.route("/hours/<int:report_id>/correct", methods=["GET", "POST"])
@portal_required
def correct_hours(who: PortalIdentity, report_id: int):  # type: ignore[no-untyped-def]
    """Send a corrected version of a rejected (or an approved) report: a new report."""
    ids = [p.id for p in _records(who)]
    report = db.session.get(SelfReport, report_id) if id_in_range(report_id) else None
    if report is None or report.participant_id not in ids:
        raise NotFound("report")
    trainings = [(t, p) for t, p in _elearning(who) if t.id == report.training_id]
    form = _hours_form(trainings, report)
    if trainings and form.validate_on_submit():
        with refusals_shown(form, "day"):
            _report(who, form, trainings, report)
            flash(_("Your corrected hours are sent to your supervisor."), "success")
            return redirect(url_for("portal.hours"))
    return _hours_page(who, trainings, form, correcting=report)


# --- The supervisor's list ---------------------------------------------------------------------


@bp.route("/supervise", methods=["GET", "POST"])
@portal_required
def supervise(who: PortalIdentity):  # type: ignore[no-untyped-def]
    """The reports of one's participants: approve or reject several at once."""
    form = DecisionForm()
    reports = list(
        db.session.scalars(
            supervision.supervised_reports(who.email)
            .options(joinedload(SelfReport.training), joinedload(SelfReport.participant))
            .order_by(SelfReport.day.desc(), SelfReport.created_at.desc())
            .limit(300)
        )
    )
    states = supervision.report_states(reports)
    form.reports.choices = choices((s.report.id, "") for s in states if s.state == "waiting")
    if request.method == "POST" and form.validate_on_submit():
        approve = request.form.get("decision") == "approve"
        with refusals_shown(form, "reason"):
            count = supervision.decide(
                who.actor,
                who.email,
                form.reports.data or [],
                approve,
                form.reason.data or "",
                _now(),
            )
            flash(
                ngettext("%(num)d report approved.", "%(num)d reports approved.", count)
                if approve
                else ngettext("%(num)d report rejected.", "%(num)d reports rejected.", count),
                "success",
            )
            return redirect(url_for("portal.supervise"))
    participants = list(
        db.session.scalars(
            identity.supervised_participants(who).order_by(Participant.name, Participant.id)
        )
    )
    return render_template(
        "portal/supervise.html",
        form=form,
        waiting=[s for s in states if s.state == "waiting"],
        decided=[s for s in states if s.state != "waiting"],
        participants=participants,
    )
