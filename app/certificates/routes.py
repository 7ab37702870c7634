"""Certificate pages, the paper list and the export/submission for the subsidy body."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import scoping
from app.certificates import bp, contents
from app.certificates import operations as ops
from app.errors import NotFound
from app.extensions import db
from app.models import Certificate, CertificateKind, Participant, Project, Training
from app.planning.forms import ConfirmForm, ReasonForm
from app.views import actor, attempt


def _now() -> datetime:
    return datetime.now(UTC)


def _training(training_id: int) -> Training:
    scoping.require_planner(current_user)
    return scoping.get_one(scoping.trainings(current_user), Training, training_id, "training")


@bp.route("/trainings/<int:training_id>/certificates", methods=["GET", "POST"])
@login_required
def index(training_id: int):  # type: ignore[no-untyped-def]
    training = _training(training_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        participant = scoping.get_one(
            scoping.participants(current_user),
            Participant,
            request.form.get("participant_id", type=int),
            "participant",
        )
        kind = CertificateKind(request.form.get("kind", "diligence"))
        start = request.form.get("period_start")
        period = next((p for p in contents.periods(training) if p[0].isoformat() == start), None)
        attempt(
            lambda: ops.issue(actor(), kind, training, participant, _now(), period),
            _("Certificate issued."),
        )
        return redirect(url_for("certificates.index", training_id=training.id))
    return render_template(
        "certificates/index.html",
        training=training,
        lines=ops.due_list(training, _now()),
        periods=list(enumerate(contents.periods(training))),
        form=form,
        reason_form=ReasonForm(prefix="correct"),
    )


def _certificate(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound("certificate")
    _training(certificate.training_id)
    return certificate


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def download(certificate_id: int):  # type: ignore[no-untyped-def]
    """The stored bytes, never re-rendered: an issued certificate does not change."""
    certificate = _certificate(certificate_id)
    response = Response(certificate.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=attest-{certificate.id}.pdf"
    return response


@bp.post("/certificates/<int:certificate_id>/correct")
@login_required
def correct(certificate_id: int):  # type: ignore[no-untyped-def]
    old = _certificate(certificate_id)
    form = ReasonForm(prefix="correct")
    if form.validate_on_submit():
        period = (old.period_start, old.period_end) if old.period_start else None
        attempt(
            lambda: ops.issue(
                actor(),
                old.kind,
                old.training,
                old.participant,
                _now(),
                period,
                old,
                form.reason.data,
            ),  # type: ignore[arg-type]
            _("Correction issued."),
        )
    else:
        flash(_("Give the reason for the correction."), "error")
    return redirect(url_for("certificates.index", training_id=old.training_id))


@bp.get("/trainings/<int:training_id>/paper-list/<int:index>.pdf")
@login_required
def paper_list(training_id: int, index: int):  # type: ignore[no-untyped-def]
    training = _training(training_id)
    periods = contents.periods(training)
    if not 0 <= index < len(periods):
        raise NotFound("period")
    response = Response(
        ops.paper_list(training, periods[index], _now()), mimetype="application/pdf"
    )
    response.headers["Content-Disposition"] = (
        f"inline; filename=aanwezigheidslijst-{training.id}-{index + 1}.pdf"
    )
    return response


def _range() -> tuple[date, date] | None:
    try:
        start = date.fromisoformat(request.values.get("start", ""))
        end = date.fromisoformat(request.values.get("end", ""))
    except ValueError:
        return None
    return (start, end) if start <= end else None


@bp.route("/projects/<int:project_id>/export", methods=["GET", "POST"])
@login_required
def export(project_id: int):  # type: ignore[no-untyped-def]
    scoping.require_planner(current_user)
    project = scoping.get_one(scoping.projects(current_user), Project, project_id, "project")
    chosen = _range()
    fmt = request.args.get("format")
    if request.method == "GET" and fmt in ("csv", "xlsx"):
        if chosen is None:
            flash(_("Give a start and an end date (the end not before the start)."), "error")
            return redirect(url_for("certificates.export", project_id=project.id))
        rows = ops.export_rows(project, *chosen, _now())
        name = f"registraties-{project.number}-{chosen[0]}-{chosen[1]}"
        if fmt == "csv":
            return Response(
                ops.export_csv(rows),
                mimetype="text/csv",
                headers={"Content-Disposition": f"attachment; filename={name}.csv"},
            )
        return Response(
            ops.export_xlsx(rows),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f"attachment; filename={name}.xlsx"},
        )
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        if chosen is None:
            flash(_("Give a start and an end date (the end not before the start)."), "error")
        else:
            result = attempt(lambda: ops.submit_period(actor(), project, *chosen, _now()))
            if result is not None:
                submitted, skipped = result
                flash(_("%(n)s sessions submitted.", n=len(submitted)), "success")
                for session in skipped:
                    flash(
                        _(
                            "Not submitted: the session of %(day)s is still open for registrations.",
                            day=session.day.strftime("%d/%m/%Y"),
                        ),
                        "warning",
                    )
        return redirect(
            url_for(
                "certificates.export",
                project_id=project.id,
                start=request.form.get("start"),
                end=request.form.get("end"),
            )
        )
    return render_template(
        "certificates/export.html",
        project=project,
        form=form,
        start=request.args.get("start", ""),
        end=request.args.get("end", ""),
    )
