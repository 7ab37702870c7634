"""Certificates through the API, as the certificates page offers them: the due list, issuing
one or every due one, correcting, the issued certificates and their stored PDF.

For promotors and support within their scope, as on the web (another branch's training or
certificate is a 404, a trainer or the front desk a 403). Every write calls the operation the
web's view calls (``app.certificates.operations``): the same rules, the participant's lock,
the stored PDF and the audit record.
"""

from __future__ import annotations

from flask import Response
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import scoping
from app.api import bp
from app.api import schemas as s
from app.api.auth import current_actor
from app.api.openapi import endpoint
from app.api.routes import PLANNERS_ONLY, _page, _user
from app.certificates import contents
from app.certificates import operations as ops
from app.clock import now as _now
from app.errors import NotFound, Refusal
from app.extensions import db
from app.models import Certificate, Participant, Training
from app.web import file_response

ISSUE_REFUSALS = {
    **PLANNERS_ONLY,
    400: "Malformed; a diligence certificate without one of the training's lesson periods "
    "(period_required) or for a period still running or incomplete; a participant on Vlaams "
    "opleidingsverlof, registered in the Flemish application instead (vov_registers)",
    404: "No such training or participant in scope",
    409: "Already issued: issue a correction instead (already_issued)",
}


def _training(training_id: int) -> Training:
    scoping.require_planner(_user())
    return scoping.get_one(scoping.trainings(_user()), Training, training_id, "training")


def _certificate(certificate_id: int) -> Certificate:
    scoping.require_planner(_user())
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound("certificate")
    _training(certificate.training_id)  # another branch's: 404
    return certificate


def _out(certificate: Certificate) -> s.CertificateOut:
    return s.CertificateOut(
        id=certificate.id,
        kind=certificate.kind,
        training_id=certificate.training_id,
        participant_id=certificate.participant_id,
        period_start=certificate.period_start,
        period_end=certificate.period_end,
        issued_at=certificate.issued_at,
        issued_by_id=certificate.issued_by_id,
        corrects_id=certificate.corrects_id,
        correction_reason=certificate.correction_reason,
        figures=certificate.figures,
    )


@bp.get("/trainings/<int:training_id>/certificates/due")
@endpoint(
    s.DueList,
    query=s.Paging,
    summary="The certificates due per participant (the certificates page's list), paged",
    refuses=PLANNERS_ONLY,
)
def due_list(training_id: int, query: s.Paging) -> s.DueList:
    training = _training(training_id)
    lines = ops.due_list(training, _now())
    first = (query.page - 1) * query.per_page
    return s.DueList(
        training_id=training.id,
        summary=ops.summary(lines),
        bulk=len(ops.bulk_due(lines)),
        items=[
            s.DueLineOut(
                participant_id=line.participant.id,
                participant_name=line.participant.name,
                kind=line.kind,
                period_start=line.period[0] if line.period else None,
                period_end=line.period[1] if line.period else None,
                # As the page: a deadline binds for paid leave only; the others are on request.
                due=line.due if line.paid_leave else None,
                state=line.state,  # type: ignore[arg-type]
                paid_leave=line.paid_leave,
                regime=line.regime,
                certificate_ids=[c.id for c in line.certificates],
                issued_late=line.issued_late,
            )
            for line in lines[first : first + query.per_page]
        ],
        total=len(lines),
        page=query.page,
        per_page=query.per_page,
    )


@bp.post("/trainings/<int:training_id>/certificates")
@endpoint(
    s.CertificateOut,
    status=201,
    body=s.CertificateIssue,
    summary="Issue a certificate (its PDF is rendered once and stored)",
    refuses=ISSUE_REFUSALS,
)
def issue(training_id: int, body: s.CertificateIssue) -> s.CertificateOut:
    training = _training(training_id)
    participant = scoping.get_one(
        scoping.participants(_user()), Participant, body.participant_id, "participant"
    )
    # As the web: a period is one of the training's, named by its first day.
    period = next((p for p in contents.periods(training) if p[0] == body.period_start), None)
    certificate = ops.issue(current_actor(), body.kind, training, participant, _now(), period)
    return _out(certificate)


@bp.post("/trainings/<int:training_id>/certificates/issue-due")
@endpoint(
    s.DueIssuedOut,
    body=s.CertificatesDue,
    summary="Issue every due and overdue certificate of the training at once",
    description="``expected`` must be the number the due list showed (its ``bulk``): when it "
    "changed since, nothing is issued (409 due_list_changed, with ``due``). One refused "
    "certificate is left out with its reason; the others stand.",
    refuses={
        **PLANNERS_ONLY,
        409: "The due list changed since it was read (due_list_changed)",
    },
    idempotent=True,
)
def issue_due(training_id: int, body: s.CertificatesDue) -> s.DueIssuedOut:
    training = _training(training_id)
    now = _now()
    due = len(ops.bulk_due(ops.due_list(training, now)))
    if body.expected != due:
        raise Refusal(
            "due_list_changed",
            _l(
                "The list changed: %(num)s certificates are due now. Check them and confirm again.",
                num=due,
            ),
            status=409,
            due=due,
        )
    issued, refused = ops.issue_due(current_actor(), training, now)
    return s.DueIssuedOut(
        issued=[_out(c) for c in issued],
        refused=[
            s.DueRefusedOut(
                participant_id=line.participant.id,
                kind=line.kind,
                period_start=line.period[0] if line.period else None,
                error=refusal.code,
                message=str(refusal.message),
            )
            for line, refusal in refused
        ],
    )


@bp.post("/certificates/<int:certificate_id>/corrections")
@endpoint(
    s.CertificateOut,
    status=201,
    body=s.CertificateCorrect,
    summary="Correct a certificate: a new certificate that replaces it, naming it and why",
    refuses={
        **PLANNERS_ONLY,
        409: "This certificate was already replaced: correct the latest (already_corrected)",
    },
)
def correct(certificate_id: int, body: s.CertificateCorrect) -> s.CertificateOut:
    old = _certificate(certificate_id)
    return _out(ops.correct(current_actor(), old, body.reason, _now()))


@bp.get("/certificates")
@endpoint(
    s.CertificateList,
    query=s.CertificateFilter,
    summary="The issued certificates in scope (corrections included), oldest first, paged",
    refuses=PLANNERS_ONLY,
)
def list_certificates(query: s.CertificateFilter) -> s.CertificateList:
    user = _user()
    scoping.require_planner(user)
    trainings = scoping.trainings(user).with_only_columns(Training.id)
    found = select(Certificate).where(Certificate.training_id.in_(trainings))
    if query.training_id is not None:
        found = found.where(Certificate.training_id == query.training_id)
    if query.participant_id is not None:
        found = found.where(Certificate.participant_id == query.participant_id)
    if query.kind is not None:
        found = found.where(Certificate.kind == query.kind)
    if query.updated_since is not None:
        found = found.where(Certificate.issued_at >= query.updated_since)
    items, page = _page(found, query, (Certificate.id,))
    return s.CertificateList(items=[_out(c) for c in items], **page)


@bp.get("/certificates/<int:certificate_id>")
@endpoint(s.CertificateOut, summary="One issued certificate", refuses=PLANNERS_ONLY)
def get_certificate(certificate_id: int) -> s.CertificateOut:
    return _out(_certificate(certificate_id))


@bp.get("/certificates/<int:certificate_id>/pdf")
@endpoint(
    {},
    summary="The certificate's PDF: the bytes stored when it was issued, never rendered again",
    refuses=PLANNERS_ONLY,
    download=("application/pdf",),
)
def certificate_pdf(certificate_id: int) -> Response:
    certificate = _certificate(certificate_id)
    name = ops.FILE_NAMES.get(certificate.kind, "attest")
    return file_response(
        certificate.pdf, "application/pdf", f"attest-{name}-{certificate.id}.pdf", inline=True
    )
