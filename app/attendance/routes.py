"""Attendance pages: roll call, late arrivals, incomplete registrations, participant figures with
exemptions and justified absences, the front desk dashboard and the reports."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import scoping
from app.attendance import bp
from app.attendance import operations as ops
from app.attendance.figures import participant_figures, training_figures
from app.attendance.forms import (
    CloseSessionForm,
    EnrolmentForm,
    ExemptionForm,
    JustificationForm,
    LateArrivalForm,
    LeftEarlyForm,
    ResolveForm,
)
from app.attendance.frontdesk import frontdesk_lines, last_reminders, remind_trainer
from app.attendance.reports import rows, to_csv, to_xlsx
from app.clock import now as _now
from app.domain.sessions import local_datetime
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.forms import ConfirmForm
from app.models import (
    Enrolment,
    Exemption,
    Justification,
    JustificationKind,
    Participant,
    Role,
    Session,
    Training,
    TrainingEnrolment,
)
from app.participants import operations as people
from app.reasons import KIND_LABELS
from app.scanning.roster import roster
from app.settings import settings
from app.timing import session_times
from app.views import actor, choices, refusals_shown
from app.web import BRUSSELS, file_response


def _session(session_id: int) -> Session:
    session = scoping.get_one(scoping.sessions(current_user), Session, session_id, "session")
    if current_user.role == Role.FRONTDESK:
        raise Forbidden()
    return session


def _participant_choices(session: Session):  # type: ignore[no-untyped-def]
    return choices((e.participant.id, e.participant.name) for e in roster(session))


def _roll_call_lines(entries) -> list[ops.RollCallLine]:  # type: ignore[no-untyped-def]
    """What the trainer ticked and typed, for the participants on the roll call."""
    present = {int(i) for i in request.form.getlist("present") if i.isdigit() and len(i) < 10}
    return [
        ops.RollCallLine(
            e.participant.id,
            e.participant.id in present,
            (request.form.get(f"remark-{e.participant.id}") or "")[:500],
        )
        for e in entries
    ]


@bp.route("/sessions/<int:session_id>/roll-call", methods=["GET", "POST"])
@login_required
def roll_call(session_id: int):  # type: ignore[no-untyped-def]
    """Everyone present by default; untick the absent, save, then confirm (seed 000).

    Opened again, it shows what was saved: marks and remarks, and the registrations.
    """
    session = _session(session_id)
    if session.cancelled:
        # A cancelled session was given to nobody: nothing to call, nothing to register.
        flash(_("This session was cancelled: there is no roll call and no scanning."), "error")
        return redirect(url_for("planning.session_detail", session_id=session.id))
    now = _now()
    entries = roster(session)
    exempt = ops.exempt_participant_ids(session)
    marks = ops.roll_call_marks(session)
    form = ConfirmForm()
    step = request.form.get("step", "edit")
    at_start = request.form.get("check_in", "start") != "now"
    closed = ops.registration_refusal(session, now, _early_minutes())
    if request.method == "POST" and form.validate_on_submit():
        lines = _roll_call_lines(entries)
        if closed is not None:
            flash(str(closed.message), "error")
        elif step == "save":
            return render_template(
                "attendance/roll_call_confirm.html",
                session=session,
                entries=entries,
                lines={line.participant_id: line for line in lines},
                exempt=exempt,
                form=form,
                at_start=at_start,
            )
        elif step == "confirm":
            with refusals_shown():
                count = ops.confirm_roll_call(
                    actor(), session, lines, now, at_start, early_minutes=_early_minutes()
                )
                flash(
                    ngettext(
                        "Roll call saved: %(num)d check-in recorded.",
                        "Roll call saved: %(num)d check-ins recorded.",
                        count,
                    ),
                    "success",
                )
                return redirect(url_for("planning.session_detail", session_id=session.id))
    times = session_times(session)
    choices_ = _participant_choices(session)
    late = LateArrivalForm(prefix="late")
    late.participant.choices = choices_
    early = LeftEarlyForm(prefix="early")
    early.participant.choices = choices_
    return render_template(
        "attendance/roll_call.html",
        session=session,
        entries=entries,
        exempt=exempt,
        marks=marks,
        form=form,
        late=late,
        early=early,
        close_form=CloseSessionForm(prefix="close"),
        times=times,
        closed=closed,
        ended=now >= times.end,
        still_in=sum(1 for e in entries if e.state == "in"),
        start_passed=now >= times.start,
    )


@bp.post("/sessions/<int:session_id>/late-arrival")
@login_required
def late_arrival(session_id: int):  # type: ignore[no-untyped-def]
    session = _session(session_id)
    form = LateArrivalForm(prefix="late")
    form.participant.choices = _participant_choices(session)
    if form.validate_on_submit():
        participant = db.session.get(Participant, form.participant.data)
        arrived = local_datetime(session.day, form.arrived.data)
        with refusals_shown():
            ops.late_arrival(
                actor(), session, participant, arrived, _now(), early_minutes=_early_minutes()
            )
            flash(_("Late arrival registered."), "success")
    else:
        flash(_("Choose the participant and the arrival time."), "error")
    return redirect(url_for("attendance.roll_call", session_id=session.id))


@bp.post("/sessions/<int:session_id>/left-early")
@login_required
def left_early(session_id: int):  # type: ignore[no-untyped-def]
    session = _session(session_id)
    form = LeftEarlyForm(prefix="early")
    form.participant.choices = _participant_choices(session)
    if form.validate_on_submit():
        participant = db.session.get(Participant, form.participant.data)
        left_at = local_datetime(session.day, form.left_at.data)
        with refusals_shown():
            ops.left_early(
                actor(), session, participant, left_at, _now(), early_minutes=_early_minutes()
            )
            flash(_("Early departure registered."), "success")
    else:
        flash(_("Choose the participant and the time they left."), "error")
    return redirect(url_for("attendance.roll_call", session_id=session.id))


@bp.post("/sessions/<int:session_id>/close-registrations")
@login_required
def close_registrations(session_id: int):  # type: ignore[no-untyped-def]
    """After the end: everyone still in left at the end, or at the time the trainer gives."""
    session = _session(session_id)
    form = CloseSessionForm(prefix="close")
    if form.validate_on_submit():
        left_at = local_datetime(session.day, form.left_at.data) if form.left_at.data else None
        with refusals_shown():
            count = ops.close_session(
                actor(), session, _now(), left_at, early_minutes=_early_minutes()
            )
            flash(
                ngettext("%(num)d check-out recorded.", "%(num)d check-outs recorded.", count),
                "success",
            )
    else:
        flash(_("Give a valid time."), "error")
    return redirect(url_for("attendance.roll_call", session_id=session.id))


@bp.route("/sessions/<int:session_id>/incomplete", methods=["GET", "POST"])
@login_required
def incomplete(session_id: int):  # type: ignore[no-untyped-def]
    session = _session(session_id)
    open_entries = ops.incomplete(session)
    form = ResolveForm()
    form.participant.choices = choices((e.participant.id, e.participant.name) for e in open_entries)
    if form.validate_on_submit():
        participant = db.session.get(Participant, form.participant.data)
        left_at = local_datetime(session.day, form.left_at.data)
        with refusals_shown(form, "left_at"):
            ops.resolve_incomplete(
                actor(),
                session,
                participant,
                left_at,
                form.reason.data,
                _now(),
                early_minutes=_early_minutes(),
            )
            flash(_("Check-out registered."), "success")
            return redirect(url_for("attendance.incomplete", session_id=session.id))
    return render_template(
        "attendance/incomplete.html", session=session, entries=open_entries, form=form
    )


def _early_minutes() -> int:
    return settings().scan_early_minutes


def _training(training_id: int) -> Training:
    training = scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")
    if current_user.role == Role.FRONTDESK:
        raise Forbidden()
    return training


@bp.get("/trainings/<int:training_id>/attendance")
@login_required
def report(training_id: int):  # type: ignore[no-untyped-def]
    training = _training(training_id)
    figures = training_figures(training, _now())
    return render_template(
        "attendance/report.html", training=training, report=figures, rows=rows(figures)
    )


@bp.get("/trainings/<int:training_id>/attendance.<fmt>")
@login_required
def report_file(training_id: int, fmt: str):  # type: ignore[no-untyped-def]
    training = _training(training_id)
    figures = training_figures(training, _now())
    name = f"aanwezigheden-{training.code or training.id}"
    if fmt == "csv":
        return file_response(to_csv(figures), "text/csv; charset=utf-8", f"{name}.csv")
    if fmt == "xlsx":
        return file_response(
            to_xlsx(figures),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{name}.xlsx",
        )
    raise NotFound("format")


def _session_label(session: Session) -> str:
    """A session in a list by its day and times: several sessions can share a day."""
    return f"{session.day.strftime('%d/%m/%Y')} {session.start:%H:%M}–{session.end:%H:%M}"


def _enrolment(training: Training, participant_id: int) -> TrainingEnrolment:
    enrolment = db.session.scalars(
        select(TrainingEnrolment).where(
            TrainingEnrolment.training_id == training.id,
            TrainingEnrolment.participant_id == participant_id,
        )
    ).first()
    if enrolment is None:
        raise NotFound("participant")
    return enrolment


@bp.route("/trainings/<int:training_id>/participants/<int:participant_id>", methods=["GET", "POST"])
@login_required
def participant(training_id: int, participant_id: int):  # type: ignore[no-untyped-def]
    """One participant in one training: per-session detail, exemptions, enrolment data, absences."""
    training = _training(training_id)
    person = scoping.get_one(
        scoping.participants(current_user), Participant, participant_id, "participant"
    )
    enrolment = _enrolment(training, person.id)
    planner = current_user.role in scoping.PLANNERS
    enrolled = _enrolled_session_ids(person.id)
    sessions = [s for s in training.sessions if s.id in enrolled]
    exemption_form = ExemptionForm(prefix="exempt")
    exemption_form.session.choices = choices(
        [(0, _("(hours instead)")), *((s.id, _session_label(s)) for s in sessions)]
    )
    enrolment_form = EnrolmentForm(prefix="enrolment", obj=enrolment)
    justification_form = JustificationForm(prefix="justify")
    justification_form.kind.choices = choices((k.value, label) for k, label in KIND_LABELS.items())
    justification_form.sessions.choices = choices((s.id, _session_label(s)) for s in sessions)
    action = request.form.get("action")
    if request.method == "POST" and planner:
        target = url_for(
            "attendance.participant", training_id=training.id, participant_id=person.id
        )
        if action == "exempt" and exemption_form.validate_on_submit():
            session = next((s for s in sessions if s.id == exemption_form.session.data), None)
            with refusals_shown(exemption_form, "minutes"):
                ops.add_exemption(
                    actor(),
                    enrolment,
                    session,
                    exemption_form.minutes.data,
                    exemption_form.reason.data or "",
                )
                flash(_("Exemption recorded."), "success")
                return redirect(target)
        elif action == "enrolment" and enrolment_form.validate_on_submit():
            with refusals_shown(enrolment_form):
                ops.update_training_enrolment(
                    actor(),
                    enrolment,
                    enrolment_form.enrolled_on.data,
                    enrolment_form.paid_leave.data,
                    enrolment_form.terminated_on.data,
                    leave_regime=enrolment_form.leave_regime.data,
                )
                flash(_("Enrolment data saved."), "success")
                return redirect(target)
        elif action == "justify" and justification_form.validate_on_submit():
            upload = justification_form.document.data
            document = (
                (upload.filename, upload.stream.read(ops.MAX_DOCUMENT_BYTES + 1))
                if upload and upload.filename
                else None
            )
            chosen = [s for s in sessions if s.id in justification_form.sessions.data]
            with refusals_shown(justification_form, "handed_in"):
                ops.record_justification(
                    actor(),
                    person,
                    chosen,
                    JustificationKind(justification_form.kind.data),
                    justification_form.handed_in.data,
                    justification_form.note.data or "",
                    document,
                    justification_form.override_reason.data,
                    today=_now().astimezone(BRUSSELS).date(),
                )
                flash(_("Justified absence recorded."), "success")
                return redirect(target)
    return render_template(
        "attendance/participant.html",
        training=training,
        person=person,
        figures=participant_figures(training, person, _now()),
        planner=planner,
        exemptions=db.session.scalars(
            select(Exemption)
            .where(Exemption.training_id == training.id, Exemption.participant_id == person.id)
            .options(selectinload(Exemption.session))
        ).all(),
        justifications=db.session.scalars(
            select(Justification)
            .where(
                Justification.participant_id == person.id,
                Justification.sessions.any(Session.training_id == training.id),
            )
            .options(selectinload(Justification.sessions))
            .order_by(Justification.id.desc())
        ).all(),
        exemption_form=exemption_form,
        enrolment_form=enrolment_form,
        justification_form=justification_form,
        confirm=ConfirmForm(),
        kind_labels=KIND_LABELS,
        remarks=_roll_call_remarks(training, person),
    )


def _roll_call_remarks(training: Training, person: Participant) -> list[tuple[Session, str]]:
    """What the trainer wrote beside this participant on the roll call ("ziek gemeld, briefje
    volgt"), by session: shown where the promotor handles the justifications."""
    from app.models import RollCallMark

    return list(
        db.session.execute(
            select(Session, RollCallMark.remark)
            .join(RollCallMark, RollCallMark.session_id == Session.id)
            .where(
                Session.training_id == training.id,
                RollCallMark.participant_id == person.id,
                RollCallMark.remark != "",
            )
            .order_by(Session.day, Session.start)
        ).all()
    )  # type: ignore[arg-type]


def _enrolled_session_ids(participant_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Enrolment.session_id).where(Enrolment.participant_id == participant_id)
        )
    )


@bp.post("/exemptions/<int:exemption_id>/revoke")
@login_required
def revoke_exemption(exemption_id: int):  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    exemption = db.session.get(Exemption, exemption_id)
    if exemption is None:
        raise NotFound("exemption")
    training = _training(exemption.training_id)
    if ConfirmForm().validate_on_submit() and exemption.revoked_at is None:
        with refusals_shown():
            ops.revoke_exemption(actor(), exemption, _now())
            flash(_("Exemption revoked."), "success")
    return redirect(
        url_for(
            "attendance.participant",
            training_id=training.id,
            participant_id=exemption.participant_id,
        )
    )


@bp.get("/justifications/<int:justification_id>/document")
@login_required
def justification_document(justification_id: int):  # type: ignore[no-untyped-def]
    """The uploaded document, only for planners who can see the participant."""
    scoping.require_planner(current_user)
    justification = db.session.get(Justification, justification_id)
    if justification is None or justification.document_path is None:
        raise NotFound("document")
    scoping.get_one(
        scoping.participants(current_user), Participant, justification.participant_id, "participant"
    )
    path = ops.upload_folder() / justification.document_path
    if not path.is_file():
        raise NotFound("document")
    response = send_file(
        path,
        mimetype=justification.document_type,
        as_attachment=True,
        download_name=ops.document_download_name(justification),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/justifications/<int:justification_id>/revoke")
@login_required
def revoke_justification(justification_id: int):  # type: ignore[no-untyped-def]
    """Withdraw a justification recorded by mistake (audited; the record stays)."""
    scoping.require_planner(current_user)
    justification = db.session.get(Justification, justification_id)
    if justification is None:
        raise NotFound("justification")
    scoping.get_one(
        scoping.participants(current_user), Participant, justification.participant_id, "participant"
    )
    training_id = request.form.get("training_id", type=int)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            ops.revoke_justification(actor(), justification, _now())
            flash(_("Justification revoked."), "success")
    if training_id is None:
        return redirect(url_for("participants.detail", participant_id=justification.participant_id))
    return redirect(
        url_for(
            "attendance.participant",
            training_id=training_id,
            participant_id=justification.participant_id,
        )
    )


@bp.get("/frontdesk")
@login_required
def frontdesk():  # type: ignore[no-untyped-def]
    """Today's sessions: has anyone registered yet, how many are in, who needs a reminder."""
    _require_frontdesk()
    today, lines = frontdesk_lines(current_user, _now())
    query = (request.args.get("q") or "").strip()[:100]
    found: list[Participant] = []
    if len(query) >= 2:
        # A walk-in (seed 000: "Gelieve dit aan de balie te melden"): find them by name or
        # email among the participants the front desk may see, ended records left out.
        pattern = f"%{query.lower()}%"
        found = list(
            db.session.scalars(
                scoping.participants(current_user)
                .where(
                    Participant.ended_at.is_(None),
                    func.lower(Participant.name).like(pattern)
                    | func.lower(Participant.email).like(pattern),
                )
                .order_by(Participant.name, Participant.id)
                .limit(20)
            )
        )
    open_today = [line.session for line in lines if not line.session.cancelled]
    return render_template(
        "attendance/frontdesk.html",
        lines=lines,
        today=today,
        query=query,
        found=found,
        open_today=open_today,
        form=ConfirmForm(),
        reminded=last_reminders([line.session.id for line in lines]),
    )


def _require_frontdesk() -> None:
    if current_user.role not in (Role.FRONTDESK, Role.ADMIN, Role.PROMOTOR):
        raise Forbidden()


@bp.post("/frontdesk/sessions/<int:session_id>/remind")
@login_required
def frontdesk_remind(session_id: int):  # type: ignore[no-untyped-def]
    """Mail the trainer of one of today's sessions that nothing is registered yet."""
    _require_frontdesk()
    today = _now().astimezone(BRUSSELS).date()
    session = scoping.get_one(
        scoping.sessions(current_user).where(Session.day == today), Session, session_id, "session"
    )
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            trainer = remind_trainer(actor(), session, _now())
            flash(_("%(name)s is reminded by mail.", name=trainer.display_name), "success")
    return redirect(url_for("attendance.frontdesk"))


@bp.post("/frontdesk/enrol")
@login_required
def frontdesk_enrol():  # type: ignore[no-untyped-def]
    """Enrol a walk-in in one of today's sessions (scoped: the front desk's branch)."""
    _require_frontdesk()
    today = _now().astimezone(BRUSSELS).date()
    session = scoping.get_one(
        scoping.sessions(current_user).where(Session.day == today),
        Session,
        request.form.get("session_id", type=int),
        "session",
    )
    person = scoping.get_one(
        scoping.participants(current_user),
        Participant,
        request.form.get("participant_id", type=int),
        "participant",
    )
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            _enrolment, new = people.enrol(actor(), session, person)
            message = (
                _(
                    "%(name)s is enrolled in %(training)s (%(start)s): they can be scanned now.",
                    name=person.name,
                    training=session.training.name,
                    start=session.start.strftime("%H:%M"),
                )
                if new
                else _("%(name)s was already enrolled in this session.", name=person.name)
            )
            flash(message, "success")
    return redirect(url_for("attendance.frontdesk"))
