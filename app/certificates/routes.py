"""Certificate pages: what is due per participant and period, issuing, corrections, downloads.

For promotors and admins, always through their scope: another branch's training or
certificate answers 404.
"""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app import scoping
from app.attendance.figures import training_lessons
from app.certificates import bp, contents
from app.certificates import operations as ops
from app.certificates.forms import SecondSittingForm, SittingsForm
from app.certificates.organisation import current as current_organisation
from app.clock import now as _now
from app.errors import NotFound
from app.extensions import db
from app.forms import ConfirmForm, ReasonForm
from app.models import Certificate, CertificateKind, Participant, Training
from app.views import actor, refusals_shown
from app.web import file_response


def _training(training_id: int) -> Training:
    scoping.require_planner(current_user)
    return scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")


def _certificate(certificate_id: int) -> Certificate:
    scoping.require_planner(current_user)
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound("certificate")
    _training(certificate.training_id)  # another branch: 404
    return certificate


def _second_sitting_forms(training: Training) -> list[tuple[Participant, SecondSittingForm]]:
    """One small form per enrolled participant: takes part in the second sitting, exam dates."""
    rows = []
    for person in training_lessons(training):
        form = SecondSittingForm(prefix=f"resit{person.participant.id}", formdata=None)
        if person.enrolment is not None:
            form.takes_part.data = person.enrolment.second_sitting
            form.exam_dates.data = ", ".join(
                date.fromisoformat(d).strftime("%d/%m/%Y")
                for d in person.enrolment.second_sitting_exams or []
            )
        rows.append((person.participant, form))
    return rows


def _page(training: Training, sittings: SittingsForm | None = None) -> str:
    lines = ops.due_list(training, _now())
    if sittings is None:
        sittings = SittingsForm(formdata=None, obj=training)
    return render_template(
        "certificates/index.html",
        training=training,
        lines=lines,
        summary=ops.summary(lines),
        periods=list(enumerate(contents.periods(training))),
        form=ConfirmForm(),
        reason_form=ReasonForm(prefix="correct"),
        sittings=sittings,
        second_sitting=_second_sitting_forms(training),
        organisation=current_organisation(),
        vov=any(line.state == "register" for line in lines),
    )


@bp.get("/trainings/<int:training_id>/certificates")
@login_required
def index(training_id: int) -> ResponseReturnValue:
    return _page(_training(training_id))


@bp.post("/trainings/<int:training_id>/certificates/sittings")
@login_required
def sittings(training_id: int) -> ResponseReturnValue:
    """The end dates of the first and the second sitting."""
    training = _training(training_id)
    form = SittingsForm()
    if form.validate_on_submit():
        with refusals_shown(form, "second_sitting_end"):
            ops.set_sittings(
                actor(), training, form.first_sitting_end.data, form.second_sitting_end.data
            )
            flash(_("The sittings' end dates are saved."), "success")
            return redirect(url_for("certificates.index", training_id=training.id))
    return _page(training, form), 400


@bp.post("/trainings/<int:training_id>/certificates/second-sitting/<int:participant_id>")
@login_required
def second_sitting(training_id: int, participant_id: int) -> ResponseReturnValue:
    """Whether a participant takes part in the second sitting, and their exam dates."""
    training = _training(training_id)
    participant = scoping.get_one(
        scoping.participants(current_user), Participant, participant_id, "participant"
    )
    form = SecondSittingForm(prefix=f"resit{participant.id}")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(f"{participant.name}: {error}", "error")
        return redirect(url_for("certificates.index", training_id=training.id) + "#second-sitting")
    with refusals_shown():
        ops.mark_second_sitting(
            actor(), training, participant, bool(form.takes_part.data), form.days
        )
        flash(_("Second sitting saved for %(name)s.", name=participant.name), "success")
    return redirect(url_for("certificates.index", training_id=training.id) + "#second-sitting")


@bp.post("/trainings/<int:training_id>/certificates")
@login_required
def issue(training_id: int) -> ResponseReturnValue:
    training = _training(training_id)
    if ConfirmForm().validate_on_submit():
        participant = scoping.get_one(
            scoping.participants(current_user),
            Participant,
            request.form.get("participant_id", type=int),
            "participant",
        )
        try:
            kind = CertificateKind(request.form.get("kind", ""))
            start = request.form.get("period_start")
            first = date.fromisoformat(start) if start else None
        except ValueError as exc:
            raise NotFound("certificate kind or period") from exc
        period = next((p for p in contents.periods(training) if p[0] == first), None)
        with refusals_shown():
            certificate = ops.issue(actor(), kind, training, participant, _now(), period)
            flash(_("Certificate nr. %(number)s issued.", number=certificate.id), "success")
    return redirect(url_for("certificates.index", training_id=training.id))


@bp.post("/trainings/<int:training_id>/certificates/issue-due")
@login_required
def issue_due(training_id: int) -> ResponseReturnValue:
    """Every due and overdue certificate at once; the count the page showed must still hold
    (the confirmation named it), or nothing is issued and the page shows the new count."""
    training = _training(training_id)
    if ConfirmForm().validate_on_submit():
        now = _now()
        expected = request.form.get("expected", type=int)
        due = len(ops.bulk_due(ops.due_list(training, now)))
        if expected != due:
            flash(
                _(
                    "The list changed: %(num)s certificates are due now. Check them and "
                    "confirm again.",
                    num=due,
                ),
                "error",
            )
            return redirect(url_for("certificates.index", training_id=training.id))
        issued, refused = ops.issue_due(actor(), training, now)
        flash(
            ngettext("%(num)d certificate issued.", "%(num)d certificates issued.", len(issued)),
            "success",
        )
        for line, refusal in refused:
            flash(f"{line.participant.name}: {refusal.message}", "error")
    return redirect(url_for("certificates.index", training_id=training.id))


@bp.post("/certificates/<int:certificate_id>/correct")
@login_required
def correct(certificate_id: int) -> ResponseReturnValue:
    old = _certificate(certificate_id)
    form = ReasonForm(prefix="correct")
    if form.validate_on_submit():
        with refusals_shown():
            new = ops.correct(actor(), old, form.reason.data or "", _now())
            flash(
                _(
                    "Correction nr. %(new)s replaces certificate nr. %(old)s.",
                    new=new.id,
                    old=old.id,
                ),
                "success",
            )
    else:
        flash(_("Give the reason for the correction."), "error")
    return redirect(url_for("certificates.index", training_id=old.training_id))


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def download(certificate_id: int) -> ResponseReturnValue:
    """The stored bytes, never rendered again: an issued certificate does not change."""
    certificate = _certificate(certificate_id)
    name = ops.FILE_NAMES.get(certificate.kind, "attest")
    return file_response(
        certificate.pdf, "application/pdf", f"attest-{name}-{certificate.id}.pdf", inline=True
    )
