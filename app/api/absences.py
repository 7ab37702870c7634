"""Justified absences through the API, as a promotor records them on a participant's page:
recording one with its document (``multipart/form-data``), the list and one of them, the
document, and withdrawing one recorded by mistake; and the documents participants sent from
the portal, which the promotor accepts (recording the justified absence) or rejects.

Each endpoint finds its objects in the caller's scope (another branch's participant answers
404) and calls the operation the web's view calls (``app.attendance.operations``,
``app.supervision.operations``): the same
14-day rule, document checks, refusal codes and audit records.
"""

from __future__ import annotations

from flask import Response
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app import scoping
from app.api import bp
from app.api import schemas as s
from app.api.auth import current_actor
from app.api.editing import locked
from app.api.openapi import REFUSALS, endpoint
from app.api.routes import PLANNERS_ONLY, _changed_since, _page, _participant, _user
from app.attendance import downloads
from app.attendance import operations as attendance
from app.clock import now as _now
from app.domain.cutoff import BRUSSELS
from app.errors import NotFound, Refusal
from app.extensions import db
from app.models import (
    Enrolment,
    Justification,
    JustificationRequest,
    Participant,
    RequestState,
    Session,
)
from app.supervision.operations import documents
from app.web import file_response

DOCUMENT_TYPES = tuple(kind for kind, _extension in attendance.DOCUMENT_TYPES.values())


def _justifications() -> Select[Justification]:
    """The justified absences of the participants in the caller's scope (planners only, as on
    the web)."""
    user = _user()
    scoping.require_planner(user)
    return select(Justification).where(
        Justification.participant_id.in_(
            scoping.participants(user).with_only_columns(Participant.id)
        )
    )


def _justification(justification_id: int) -> Justification:
    return scoping.get_one(_justifications(), Justification, justification_id, "justification")


def _out(justification: Justification) -> s.JustificationOut:
    return s.JustificationOut(
        id=justification.id,
        participant_id=justification.participant_id,
        session_ids=sorted(session.id for session in justification.sessions),
        kind=justification.kind,
        handed_in=justification.handed_in_on,
        note=justification.note,
        override_reason=justification.override_reason,
        document=justification.document_path is not None,
        document_name=justification.document_name,
        document_type=justification.document_type,
        created_by=justification.created_by.email if justification.created_by else None,
        created_at=justification.created_at,
        revoked_at=justification.revoked_at,
    )


def _sessions_of(participant: Participant, session_ids: list[int]) -> list[Session]:
    """The sessions named, each in the caller's scope with the participant enrolled, all of one
    training (the web's form is a training's): a 404 for one that is not."""
    found = {
        session.id: session
        for session in db.session.scalars(
            scoping.sessions(_user())
            .join(Enrolment, Enrolment.session_id == Session.id)
            .where(Session.id.in_(session_ids), Enrolment.participant_id == participant.id)
        )
    }
    if any(i not in found for i in session_ids):
        raise Refusal(
            "not_found", _l("Not found."), status=404, what="session", field="session_ids"
        )
    sessions = [found[i] for i in session_ids]
    if len({session.training_id for session in sessions}) > 1:
        raise Refusal(
            "one_training",
            _l("Choose sessions of one training: a justification belongs to one training."),
            field="session_ids",
        )
    return sessions


@bp.post("/justifications")
@endpoint(
    s.JustificationOut,
    status=201,
    body=s.JustificationCreate,
    form=True,
    summary="Record a justified absence with its document (multipart/form-data)",
    description="The 14-day rule as on the web: handed in at most 14 days after each absence "
    "and not after the training's exam, or support's `override_reason`; the document is "
    "recognised by its first bytes (PDF, PNG or JPEG) and at most 5 MB.",
    refuses={
        **PLANNERS_ONLY,
        400: REFUSALS[400] + "; or not a PDF, PNG or JPEG (bad_document), sessions of more "
        "than one training (one_training), a hand-in date in the future (handed_in_future)",
        404: "No such participant, or a session of theirs, in scope",
        413: "The document is larger than 5 MB (document_too_large), or the body than 10 MB",
        422: "Handed in too late without support's reason (justification_late); or the "
        "Idempotency-Key was used for another request (idempotency_key_reused)",
    },
)
def create_justification(body: s.JustificationCreate) -> s.JustificationOut:
    scoping.require_planner(_user())
    participant = _participant(body.participant_id)
    sessions = _sessions_of(participant, body.session_ids)
    justification = attendance.record_justification(
        current_actor(),
        participant,
        sessions,
        body.kind,
        body.handed_in,
        body.note,
        body.document,
        body.override_reason,
        today=_now().astimezone(BRUSSELS).date(),
    )
    return _out(justification)


@bp.get("/justifications")
@endpoint(
    s.JustificationList,
    query=s.JustificationFilter,
    summary="The justified absences in scope (withdrawn ones included, with revoked_at)",
    refuses=PLANNERS_ONLY,
)
def list_justifications(query: s.JustificationFilter) -> s.JustificationList:
    found = _justifications()
    if query.participant_id is not None:
        found = found.where(Justification.participant_id == query.participant_id)
    if query.training_id is not None:
        found = found.where(Justification.sessions.any(Session.training_id == query.training_id))
    if query.session_id is not None:
        found = found.where(Justification.sessions.any(Session.id == query.session_id))
    if query.date_from is not None:
        found = found.where(Justification.sessions.any(Session.day >= query.date_from))
    if query.date_to is not None:
        found = found.where(Justification.sessions.any(Session.day <= query.date_to))
    if query.updated_since is not None:
        found = found.where(_changed_since(Justification, query.updated_since))
    items, page = _page(
        found,
        query,
        (Justification.id,),
        selectinload(Justification.sessions),
        selectinload(Justification.created_by),
    )
    return s.JustificationList(items=[_out(j) for j in items], **page)


@bp.get("/justifications/<int:justification_id>")
@endpoint(s.JustificationOut, summary="One justified absence", refuses=PLANNERS_ONLY)
def get_justification(justification_id: int) -> s.JustificationOut:
    return _out(_justification(justification_id))


@bp.get("/justifications/<int:justification_id>/document")
@endpoint(
    {},
    download=DOCUMENT_TYPES,
    summary="The justification's document (a 404 when it has none)",
    refuses=PLANNERS_ONLY,
)
def justification_document(justification_id: int) -> Response:
    return downloads.justification_document(_justification(justification_id))


@bp.post("/justifications/<int:justification_id>/revoke")
@endpoint(
    s.JustificationOut,
    summary="Withdraw a justified absence recorded by mistake (kept, with the time)",
    refuses={
        **PLANNERS_ONLY,
        400: "Malformed request",
        409: "Withdrawn already (already_revoked), or a conflict at commit",
        413: "The request body is too large",
    },
    idempotent=False,
)
def revoke_justification(justification_id: int) -> s.JustificationOut:
    justification = _justification(justification_id)
    # Two withdrawals at once: the second waits for the first and finds it withdrawn.
    justification = locked(justification)
    attendance.revoke_justification(current_actor(), justification, _now())
    return _out(justification)


# --- Documents participants sent from the portal: the promotor accepts or rejects them --------


def _requests() -> Select[JustificationRequest]:
    user = _user()
    scoping.require_planner(user)
    return select(JustificationRequest).where(
        JustificationRequest.participant_id.in_(
            scoping.participants(user).with_only_columns(Participant.id)
        )
    )


def _request(request_id: int) -> JustificationRequest:
    return scoping.get_one(_requests(), JustificationRequest, request_id, "document")


def _request_out(request: JustificationRequest) -> s.JustificationRequestOut:
    return s.JustificationRequestOut(
        id=request.id,
        participant_id=request.participant_id,
        session_ids=sorted(session.id for session in request.sessions),
        kind=request.kind,
        note=request.note,
        handed_in=request.handed_in_on,
        document_name=request.document_name,
        document_type=request.document_type,
        submitted_at=request.submitted_at,
        state=request.state.value,
        decided_at=request.decided_at,
        decided_by=request.decided_by.email if request.decided_by else None,
        reason=request.reason or None,
        justification_id=request.justification_id,
    )


@bp.get("/justification-requests")
@endpoint(
    s.JustificationRequestList,
    query=s.JustificationRequestFilter,
    summary="The documents participants sent from the portal for an absence, in scope "
    "(oldest first)",
    refuses=PLANNERS_ONLY,
)
def list_justification_requests(
    query: s.JustificationRequestFilter,
) -> s.JustificationRequestList:
    found = _requests()
    if query.participant_id is not None:
        found = found.where(JustificationRequest.participant_id == query.participant_id)
    if query.state is not None:
        found = found.where(JustificationRequest.state == RequestState(query.state))
    if query.updated_since is not None:
        found = found.where(_changed_since(JustificationRequest, query.updated_since))
    items, page = _page(
        found,
        query,
        (JustificationRequest.submitted_at, JustificationRequest.id),
        selectinload(JustificationRequest.sessions),
        selectinload(JustificationRequest.decided_by),
    )
    return s.JustificationRequestList(items=[_request_out(r) for r in items], **page)


@bp.get("/justification-requests/<int:request_id>")
@endpoint(
    s.JustificationRequestOut, summary="One document a participant sent", refuses=PLANNERS_ONLY
)
def get_justification_request(request_id: int) -> s.JustificationRequestOut:
    return _request_out(_request(request_id))


@bp.get("/justification-requests/<int:request_id>/document")
@endpoint(
    {},
    download=DOCUMENT_TYPES,
    summary="The document a participant sent",
    refuses=PLANNERS_ONLY,
)
def justification_request_document(request_id: int) -> Response:
    request_ = _request(request_id)
    path = attendance.upload_folder() / request_.document_path
    if not path.is_file():
        raise NotFound("document")
    response = file_response(path.read_bytes(), request_.document_type, request_.document_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/justification-requests/<int:request_id>/accept")
@endpoint(
    s.JustificationRequestOut,
    summary="Accept the document: the justified absence is recorded (handed in on the day it "
    "was sent), its id in ``justification_id``",
    refuses={
        **PLANNERS_ONLY,
        400: "Malformed request",
        409: "Accepted or rejected already (already_decided), or a conflict at commit",
        413: "The request body is too large",
        422: "The training's exam came before it was sent (justification_late)",
    },
    idempotent=False,
)
def accept_justification_request(request_id: int) -> s.JustificationRequestOut:
    request_ = _request(request_id)
    # The operation takes the request's row lock: two at once accept it once.
    documents.accept_justification(current_actor(), request_, _now())
    return _request_out(request_)


@bp.post("/justification-requests/<int:request_id>/reject")
@endpoint(
    s.JustificationRequestOut,
    body=s.JustificationRequestReject,
    summary="Reject the document, saying why (the participant reads the reason)",
    refuses={
        **PLANNERS_ONLY,
        409: "Accepted or rejected already (already_decided), or a conflict at commit",
    },
)
def reject_justification_request(
    request_id: int, body: s.JustificationRequestReject
) -> s.JustificationRequestOut:
    request_ = _request(request_id)
    documents.reject_justification(current_actor(), request_, body.reason, _now())
    return _request_out(request_)
