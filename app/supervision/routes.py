"""Staff pages for what participants and supervisors do in the portal. For promotors and
support, always through their scope (another branch's participant or training answers 404)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from app import scoping
from app.attendance.operations import upload_folder
from app.clock import now as _now
from app.errors import NotFound
from app.extensions import db
from app.forms import ConfirmForm
from app.models import (
    JustificationRequest,
    Participant,
    Project,
    SelfReport,
    SelfReportDecision,
    Supervisor,
    Training,
    TrainingMode,
)
from app.reasons import JUSTIFICATION_KIND_LABELS
from app.supervision import bp
from app.supervision.forms import RejectForm, SupervisorForm
from app.supervision.operations import documents as documents_ops
from app.supervision.operations import reminders, selfreports
from app.supervision.operations import supervisors as supervisors_ops
from app.views import actor, refusals_shown
from app.web import file_response


def _participant(participant_id: int) -> Participant:
    scoping.require_planner(current_user)
    return scoping.get_one(
        scoping.participants(current_user), Participant, participant_id, "participant"
    )


def _training(training_id: int) -> Training:
    scoping.require_planner(current_user)
    return scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")


@bp.post("/participants/<int:participant_id>/supervisor")
@login_required
def set_supervisor(participant_id: int) -> ResponseReturnValue:
    """The supervisor field of the participant's page."""
    participant = _participant(participant_id)
    form = SupervisorForm(prefix="supervisor")
    if form.validate_on_submit():
        with refusals_shown():
            supervisor = supervisors_ops.set_supervisor(
                actor(),
                participant,
                form.supervisor_name.data or "",
                form.supervisor_email.data or "",
            )
            flash(
                _("%(name)s is the supervisor now.", name=supervisor.name)
                if supervisor
                else _("The participant has no supervisor now."),
                "success",
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("participants.detail", participant_id=participant.id) + "#supervisor")


@bp.get("/trainings/<int:training_id>/self-reports")
@login_required
def self_reports(training_id: int) -> ResponseReturnValue:
    """Which reported e-learning hours wait for their supervisor, since when; the decided."""
    training = _training(training_id)
    now = _now()
    waiting = reminders.waiting_reports(training, now)
    supervisors = {w.supervisor.id: w.supervisor for w in waiting if w.supervisor is not None}
    decided = list(
        db.session.scalars(
            select(SelfReport)
            .options(joinedload(SelfReport.participant))
            .where(
                SelfReport.training_id == training.id,
                exists().where(SelfReportDecision.report_id == SelfReport.id),
            )
            .order_by(SelfReport.day.desc(), SelfReport.id.desc())
            .limit(300)
        )
    )
    return render_template(
        "supervision/self_reports.html",
        training=training,
        waiting=waiting,
        supervisors=sorted(supervisors.values(), key=lambda s: (s.name, s.id)),
        reminded=reminders.last_reminders(supervisors),
        decided=selfreports.report_states(decided),
        form=ConfirmForm(),
        now=now,
    )


@bp.post("/trainings/<int:training_id>/self-reports/remind/<int:supervisor_id>")
@login_required
def remind(training_id: int, supervisor_id: int) -> ResponseReturnValue:
    training = _training(training_id)
    supervisor = db.session.scalars(
        select(Supervisor).where(
            Supervisor.id == supervisor_id,
            Supervisor.branch_id == training.project.branch_id,
        )
    ).first()
    if supervisor is None:
        raise NotFound("supervisor")
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            count = reminders.remind(actor(), training, supervisor, _now())
            flash(
                _(
                    "%(name)s is reminded of %(n)s waiting reports.",
                    name=supervisor.name,
                    n=count,
                ),
                "success",
            )
    return redirect(url_for("supervision.self_reports", training_id=training.id))


@bp.get("/from-participants")
@login_required
def inbox() -> ResponseReturnValue:
    """Everything participants sent that waits for the staff or their supervisors."""
    scoping.require_planner(current_user)
    trainings = scoping.trainings(current_user).where(Training.mode == TrainingMode.ELEARNING)
    waiting_counts = db.session.execute(
        select(Training, func.count(SelfReport.id), func.min(SelfReport.created_at))
        .join(SelfReport, SelfReport.training_id == Training.id)
        .join(Project, Project.id == Training.project_id)
        .where(
            Training.id.in_(trainings.with_only_columns(Training.id)),
            ~exists().where(SelfReportDecision.report_id == SelfReport.id),
        )
        .group_by(*Training.__table__.columns)  # the training as a whole, as SQL groups it
        .order_by(func.min(SelfReport.created_at))
    ).all()
    documents = documents_ops.waiting_justifications(scoping.participants(current_user))
    return render_template(
        "supervision/inbox.html",
        documents=documents,
        remarks=_remarks(documents),
        trainings=waiting_counts,
        kind_labels=JUSTIFICATION_KIND_LABELS,
        form=ConfirmForm(),
        reject_form=RejectForm(prefix="reject"),
        now=_now(),
    )


def _remarks(documents: list[JustificationRequest]) -> dict[tuple[int, int], str]:
    """The trainer's roll-call remark ("ziek gemeld, briefje volgt") beside each document's
    sessions, by (session, participant), in one query."""
    from app.models import RollCallMark

    pairs = {(s.id, r.participant_id) for r in documents for s in r.sessions}
    if not pairs:
        return {}
    rows = db.session.execute(
        select(RollCallMark.session_id, RollCallMark.participant_id, RollCallMark.remark).where(
            RollCallMark.session_id.in_({s for s, _ in pairs}),
            RollCallMark.participant_id.in_({p for _, p in pairs}),
            RollCallMark.remark != "",
        )
    )
    return {(sid, pid): remark for sid, pid, remark in rows if (sid, pid) in pairs}


def _request(request_id: int) -> JustificationRequest:
    scoping.require_planner(current_user)
    found = db.session.get(JustificationRequest, request_id)
    if found is None:
        raise NotFound("document")
    _participant(found.participant_id)  # another branch: 404
    return found


@bp.get("/from-participants/documents/<int:request_id>")
@login_required
def document(request_id: int) -> ResponseReturnValue:
    request_ = _request(request_id)
    data = (upload_folder() / request_.document_path).read_bytes()
    return file_response(data, request_.document_type, request_.document_name, inline=True)


@bp.post("/from-participants/documents/<int:request_id>/accept")
@login_required
def accept(request_id: int) -> ResponseReturnValue:
    request_ = _request(request_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            documents_ops.accept_justification(actor(), request_, _now())
            flash(
                _("The absence of %(name)s is justified.", name=request_.participant.name),
                "success",
            )
    return redirect(url_for("supervision.inbox"))


@bp.post("/from-participants/documents/<int:request_id>/reject")
@login_required
def reject(request_id: int) -> ResponseReturnValue:
    request_ = _request(request_id)
    form = RejectForm(prefix="reject")
    if form.validate_on_submit():
        with refusals_shown():
            documents_ops.reject_justification(actor(), request_, form.reason.data or "", _now())
            flash(_("The document is rejected; the participant sees why."), "success")
    else:
        flash(_("Give the reason for the rejection."), "error")
    return redirect(url_for("supervision.inbox"))
