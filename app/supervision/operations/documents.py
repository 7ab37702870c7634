"""Documents for an absence that participants send from the portal. A document waits for the
promotor; accepting it records the justification with
``app.attendance.operations.record_justification`` (the same rules).

Nothing here commits: the request does.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from app import audit, checks
from app.attendance import operations as attendance
from app.audit import Actor
from app.db import LOCK_PERSON_ADDRESS, lock_key
from app.domain.cutoff import BRUSSELS
from app.domain.justification import justification_in_time
from app.errors import Forbidden, Refusal
from app.extensions import db
from app.models import (
    Enrolment,
    JustificationKind,
    JustificationRequest,
    Participant,
    RequestState,
    Session,
)
from app.supervision.operations.selfreports import MAX_REASON


def own_absences(participant_ids: Sequence[int], today: date) -> list[tuple[Session, int]]:
    """Sessions of the participant(s) that were held, for which a document may still come in
    (docs/rules.md, "Justified absences and the 14-day rule": within 14 days, before the exam), with the participant record they concern."""
    rows = db.session.execute(
        select(Session, Enrolment.participant_id)
        .join(Enrolment, Enrolment.session_id == Session.id)
        .options(joinedload(Session.training))
        .where(
            Enrolment.participant_id.in_(participant_ids),
            Session.cancelled_at.is_(None),
            Session.day <= today,
            Session.day >= today - timedelta(days=31),
        )
        .order_by(Session.day.desc(), Session.start)
    ).all()
    return [
        (session, pid)
        for session, pid in rows
        if justification_in_time(session.day, today, session.training.exam_date)
    ]


def submit_justification(
    actor: Actor,
    participant: Participant,
    sessions: Sequence[Session],
    kind: JustificationKind,
    note: str,
    document: tuple[str, bytes] | None,
    today: date,
) -> JustificationRequest:
    """A participant sends a document for an absence; it waits for the promotor.

    The same rules as the promotor's form: a PDF, PNG or JPEG of at most 5 MB, within 14 days
    of the absence and before the exam (``justification_in_time``), for sessions of their own.
    """
    if not sessions:
        raise Refusal(
            "no_sessions", _l("Choose the sessions the absence concerns."), field="sessions"
        )
    if document is None or not document[1]:
        raise Refusal(
            "document_required", _l("Add the document (PDF, PNG or JPEG)."), field="document"
        )
    note = checks.text((note or "").strip(), "note", one_line=False)[:2000]
    for session in sessions:
        if not justification_in_time(session.day, today, session.training.exam_date):
            raise Refusal(
                "justification_late",
                _l(
                    "Too late for %(day)s: a document must come within 14 days of the absence "
                    "and before the exam. Contact your training organisation.",
                    day=session.day.strftime("%d/%m/%Y"),
                ),
                field="sessions",
            )
    filename, data = document
    if len(data) > attendance.MAX_DOCUMENT_BYTES:
        raise Refusal(
            "document_too_large", _l("The document may be at most 5 MB."), field="document"
        )
    content_type, extension = attendance.document_type(data)
    _check_allowance(participant, len(data), today)
    folder = attendance.upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + extension
    (folder / stored).write_bytes(data)
    from pathlib import Path

    from werkzeug.utils import secure_filename

    request = JustificationRequest(
        participant_id=participant.id,
        kind=kind,
        note=note,
        handed_in_on=today,
        document_path=stored,
        document_name=(secure_filename(Path(filename or "").stem)[:200] or "document") + extension,
        document_type=content_type,
        sign_in_id=actor.sign_in_id,
    )
    request.sessions = list(sessions)
    db.session.add(request)
    db.session.flush()
    audit.record(
        actor,
        "justification_request.create",
        request,
        after={**audit.snapshot(request), "sessions": [s.id for s in sessions]},
    )
    return request


def _check_allowance(participant: Participant, size: int, today: date) -> None:
    """At most PORTAL_UPLOADS_PER_DAY documents and PORTAL_UPLOAD_BYTES_PER_DAY bytes a day per
    person (every record with their address), counted under the person's lock so that uploads
    sent at once cannot all pass. The file is not written before this passes."""
    config = current_app.config
    lock_key(LOCK_PERSON_ADDRESS, participant.email.lower())
    since = datetime.combine(today, time(0), tzinfo=BRUSSELS)
    paths = db.session.scalars(
        select(JustificationRequest.document_path)
        .join(Participant, Participant.id == JustificationRequest.participant_id)
        .where(
            func.lower(Participant.email) == participant.email.lower(),
            JustificationRequest.submitted_at >= since,
        )
    ).all()
    if len(paths) >= config["PORTAL_UPLOADS_PER_DAY"]:
        raise Refusal(
            "upload_limit",
            _l(
                "You sent %(n)s documents today, the most a day: send the next one tomorrow "
                "or contact your training organisation.",
                n=len(paths),
            ),
            status=429,
            field="document",
        )
    folder = attendance.upload_folder()
    sent = sum(_size(folder / path) for path in paths)
    limit = config["PORTAL_UPLOAD_BYTES_PER_DAY"]
    if sent + size > limit:
        raise Refusal(
            "upload_bytes_limit",
            _l(
                "Together with what you sent today this document is more than %(mb)s MB, the "
                "most a day: send it tomorrow or contact your training organisation.",
                mb=limit // (1024 * 1024),
            ),
            status=429,
            field="document",
        )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # a document removed since: it no longer takes space
        return 0


def _claim(request: JustificationRequest) -> None:
    """The request read again under a row lock: of two promotors deciding it at once, the
    second waits for the first and then finds it decided (SQLite: the write lock)."""
    db.session.flush()  # a refresh would drop unflushed changes
    db.session.refresh(request, with_for_update=True)
    _check_waiting(request)


def _check_waiting(request: JustificationRequest) -> None:
    if request.state != RequestState.WAITING:
        raise Refusal(
            "already_decided", _l("This document was accepted or rejected already."), status=409
        )


def accept_justification(
    actor: Actor, request: JustificationRequest, now: datetime
) -> JustificationRequest:
    """The promotor accepts the document: the justification is recorded as handed in on the
    day of the upload, with a copy of the document; audited with the request."""
    if actor.user is None:
        raise Forbidden()
    _claim(request)
    data = (attendance.upload_folder() / request.document_path).read_bytes()
    justification = attendance.record_justification(
        actor,
        request.participant,
        list(request.sessions),
        request.kind,
        request.handed_in_on,
        request.note,
        (request.document_name, data),
        None,
        today=now.astimezone(BRUSSELS).date(),
    )
    return _decide(actor, request, RequestState.ACCEPTED, "", now, justification.id)


def reject_justification(
    actor: Actor, request: JustificationRequest, reason: str, now: datetime
) -> JustificationRequest:
    """The promotor rejects the document, saying why (the participant reads it)."""
    if actor.user is None:
        raise Forbidden()
    _claim(request)
    reason = checks.text((reason or "").strip(), "reason", one_line=False)[:MAX_REASON]
    if not reason:
        raise Refusal("reason_required", _l("Give the reason for the rejection."), field="reason")
    return _decide(actor, request, RequestState.REJECTED, reason, now, None)


def _decide(
    actor: Actor,
    request: JustificationRequest,
    state: RequestState,
    reason: str,
    now: datetime,
    justification_id: int | None,
) -> JustificationRequest:
    before = audit.snapshot(request, ("state",))
    request.state = state
    request.reason = reason
    request.decided_at = now
    request.decided_by_id = actor.user_id
    request.justification_id = justification_id
    db.session.flush()
    audit.record(
        actor,
        f"justification_request.{'accept' if state == RequestState.ACCEPTED else 'reject'}",
        request,
        before,
        audit.snapshot(request, ("state", "reason", "justification_id")),
    )
    return request


def waiting_justifications(participants: Select[Participant]) -> list[JustificationRequest]:
    """The documents in ``participants``' scope that wait for the promotor, oldest first."""
    scoped = participants.with_only_columns(Participant.id)
    return list(
        db.session.scalars(
            select(JustificationRequest)
            .options(
                joinedload(JustificationRequest.participant),
            )
            .where(
                JustificationRequest.state == RequestState.WAITING,
                JustificationRequest.participant_id.in_(scoped),
            )
            .order_by(JustificationRequest.submitted_at, JustificationRequest.id)
        ).unique()
    )
