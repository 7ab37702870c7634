"""Attendance pages: roll call, late arrivals, incomplete registrations, participant figures with
exemptions and justified absences, the front desk dashboard and the reports."""

from __future__ import annotations

from collections.abc import Iterable

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app import scoping
from app.attendance import bp, downloads
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
from app.reasons import JUSTIFICATION_KIND_LABELS
from app.scanning.roster import RosterEntry, roster
from app.settings import settings
from app.timing import session_times
from app.views import actor, choices, refusals_shown
from app.web import BRUSSELS, file_response


def _session(session_id: int) -> Session:
    session = scoping.get_one(scoping.sessions(current_user), Session, session_id, "session")
    if current_user.role == Role.FRONTDESK:
        raise Forbidden()
    return session


def _participant_choices(session: Session) -> list[SelectChoice]:
    return choices((e.participant.id, e.participant.name) for e in roster(session))


def _chosen(participant_id: int) -> Participant:
    """The participant picked on the session's roster (the form offers only those)."""
    found = db.session.get(Participant, participant_id)
    if found is None:
        raise NotFound("participant")
    return found


def _roll_call_lines(entries: Iterable[RosterEntry]) -> list[ops.RollCallLine]:
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
def roll_call(session_id: int) -> ResponseReturnValue:
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
def late_arrival(session_id: int) -> ResponseReturnValue:
    session = _session(session_id)
    form = LateArrivalForm(prefix="late")
    form.participant.choices = _participant_choices(session)
    if form.validate_on_submit():
        participant = _chosen(form.participant.data)
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
def left_early(session_id: int) -> ResponseReturnValue:
    session = _session(session_id)
    form = LeftEarlyForm(prefix="early")
    form.participant.choices = _participant_choices(session)
    if form.validate_on_submit():
        participant = _chosen(form.participant.data)
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
def close_registrations(session_id: int) -> ResponseReturnValue:
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
def incomplete(session_id: int) -> ResponseReturnValue:
    session = _session(session_id)
    open_entries = ops.incomplete(session)
    form = ResolveForm()
    form.participant.choices = choices((e.participant.id, e.participant.name) for e in open_entries)
    if form.validate_on_submit():
        participant = _chosen(form.participant.data)
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
def report(training_id: int) -> ResponseReturnValue:
    training = _training(training_id)
    figures = training_figures(training, _now())
    return render_template(
        "attendance/report.html", training=training, report=figures, rows=rows(figures)
    )


@bp.get("/trainings/<int:training_id>/attendance.<fmt>")
@login_required
def report_file(training_id: int, fmt: str) -> ResponseReturnValue:
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


def _participant_records(
    training_id: int, participant_id: int
) -> tuple[Training, Participant, TrainingEnrolment, list[Session]]:
    """The training, the participant in it (in the user's scope), their training enrolment and
    the training's sessions they are enrolled in."""
    training = _training(training_id)
    person = scoping.get_one(
        scoping.participants(current_user), Participant, participant_id, "participant"
    )
    enrolment = _enrolment(training, person.id)
    enrolled = _enrolled_session_ids(person.id)
    return training, person, enrolment, [s for s in training.sessions if s.id in enrolled]


# The page shows three forms; each posts to its own route. The two not posted are built
# without the request's data, so that they show what is stored, not an empty post.


def _exemption_form(sessions: list[Session], posted: bool = False) -> ExemptionForm:
    form = ExemptionForm(prefix="exempt", **({} if posted else {"formdata": None}))
    form.session.choices = choices(
        [(0, _("(hours instead)")), *((s.id, _session_label(s)) for s in sessions)]
    )
    return form


def _enrolment_form(enrolment: TrainingEnrolment, posted: bool = False) -> EnrolmentForm:
    return EnrolmentForm(
        prefix="enrolment", obj=enrolment, **({} if posted else {"formdata": None})
    )


def _justification_form(sessions: list[Session], posted: bool = False) -> JustificationForm:
    form = JustificationForm(prefix="justify", **({} if posted else {"formdata": None}))
    form.kind.choices = choices((k.value, label) for k, label in JUSTIFICATION_KIND_LABELS.items())
    form.sessions.choices = choices((s.id, _session_label(s)) for s in sessions)
    return form


@bp.get("/trainings/<int:training_id>/participants/<int:participant_id>")
@login_required
def participant(training_id: int, participant_id: int) -> ResponseReturnValue:
    """One participant in one training: per-session detail, exemptions, enrolment data, absences."""
    return _participant_page(*_participant_records(training_id, participant_id))


@bp.post("/trainings/<int:training_id>/participants/<int:participant_id>/exemptions")
@login_required
def add_exemption(training_id: int, participant_id: int) -> ResponseReturnValue:
    """Exempt the participant from a session they are enrolled in, or from a number of hours."""
    scoping.require_planner(current_user)
    training, person, enrolment, sessions = _participant_records(training_id, participant_id)
    form = _exemption_form(sessions, posted=True)
    if form.validate_on_submit():
        session = next((s for s in sessions if s.id == form.session.data), None)
        with refusals_shown(form, "minutes"):
            ops.add_exemption(
                actor(), enrolment, session, form.minutes.data, form.reason.data or ""
            )
            flash(_("Exemption recorded."), "success")
            return redirect(_participant_url(training, person))
    return _participant_page(training, person, enrolment, sessions, exemption_form=form)


@bp.post("/trainings/<int:training_id>/participants/<int:participant_id>/enrolment")
@login_required
def update_enrolment(training_id: int, participant_id: int) -> ResponseReturnValue:
    """Change the enrolment data: enrolled on, paid educational leave and its regime, ended on."""
    scoping.require_planner(current_user)
    training, person, enrolment, sessions = _participant_records(training_id, participant_id)
    form = _enrolment_form(enrolment, posted=True)
    if form.validate_on_submit():
        with refusals_shown(form):
            ops.update_training_enrolment(
                actor(),
                enrolment,
                form.enrolled_on.data,
                form.paid_leave.data,
                form.terminated_on.data,
                leave_regime=form.leave_regime.data,
            )
            flash(_("Enrolment data saved."), "success")
            return redirect(_participant_url(training, person))
    return _participant_page(training, person, enrolment, sessions, enrolment_form=form)


@bp.post("/trainings/<int:training_id>/participants/<int:participant_id>/justifications")
@login_required
def record_justification(training_id: int, participant_id: int) -> ResponseReturnValue:
    """Record a justified absence for some of the participant's sessions, with its document."""
    scoping.require_planner(current_user)
    training, person, enrolment, sessions = _participant_records(training_id, participant_id)
    form = _justification_form(sessions, posted=True)
    if form.validate_on_submit():
        upload = form.document.data
        document = (
            (upload.filename, upload.stream.read(ops.MAX_DOCUMENT_BYTES + 1))
            if upload and upload.filename
            else None
        )
        chosen = [s for s in sessions if s.id in form.sessions.data]
        with refusals_shown(form, "handed_in"):
            ops.record_justification(
                actor(),
                person,
                chosen,
                JustificationKind(form.kind.data),
                form.handed_in.data,
                form.note.data or "",
                document,
                form.override_reason.data,
                today=_now().astimezone(BRUSSELS).date(),
            )
            flash(_("Justified absence recorded."), "success")
            return redirect(_participant_url(training, person))
    return _participant_page(training, person, enrolment, sessions, justification_form=form)


def _participant_url(training: Training, person: Participant) -> str:
    return url_for("attendance.participant", training_id=training.id, participant_id=person.id)


def _participant_page(
    training: Training,
    person: Participant,
    enrolment: TrainingEnrolment,
    sessions: list[Session],
    *,
    exemption_form: ExemptionForm | None = None,
    enrolment_form: EnrolmentForm | None = None,
    justification_form: JustificationForm | None = None,
) -> str:
    return render_template(
        "attendance/participant.html",
        training=training,
        person=person,
        figures=participant_figures(training, person, _now()),
        planner=current_user.role in scoping.PLANNERS,
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
        exemption_form=exemption_form or _exemption_form(sessions),
        enrolment_form=enrolment_form or _enrolment_form(enrolment),
        justification_form=justification_form or _justification_form(sessions),
        confirm=ConfirmForm(),
        kind_labels=JUSTIFICATION_KIND_LABELS,
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
    )


def _enrolled_session_ids(participant_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Enrolment.session_id).where(Enrolment.participant_id == participant_id)
        )
    )


@bp.post("/exemptions/<int:exemption_id>/revoke")
@login_required
def revoke_exemption(exemption_id: int) -> ResponseReturnValue:
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
def justification_document(justification_id: int) -> ResponseReturnValue:
    """The uploaded document, only for planners who can see the participant."""
    scoping.require_planner(current_user)
    justification = db.session.get(Justification, justification_id)
    if justification is None or justification.document_path is None:
        raise NotFound("document")
    scoping.get_one(
        scoping.participants(current_user), Participant, justification.participant_id, "participant"
    )
    return downloads.justification_document(justification)


@bp.post("/justifications/<int:justification_id>/revoke")
@login_required
def revoke_justification(justification_id: int) -> ResponseReturnValue:
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
