"""Merging duplicate participant records through the API: support only, as on a
participant's page (``POST /participants/{id}/merge`` on the web).

The kept record and the duplicate are found in the caller's scope (another branch's is a
404); ``app.participants.operations.merging.merge_participants`` does the rest as for the web: its
checks, its locks on both records and its audit records.
"""

from __future__ import annotations

from sqlalchemy import select

from app import scoping
from app.api import bp
from app.api import schemas as s
from app.api.auth import current_actor
from app.api.openapi import endpoint
from app.api.routes import _participant, _user
from app.clock import now as _now
from app.extensions import db
from app.models import AuditRecord
from app.participants.operations import merging


@bp.post("/participants/<int:participant_id>/merge")
@endpoint(
    s.MergeOut,
    body=s.MergeIn,
    summary="Merge a duplicate record into this one (support only); the duplicate ends",
    description="Enrolments, justified absences, exemptions and certificates move to this "
    "record; each effective registration of the duplicate is carried over as a correction "
    "naming the original (registrations are never changed).",
    refuses={
        400: "Malformed; the same record twice (same_participant)",
        403: "Only support merges participant records; records of two branches (other_branch)",
        404: "No such participant (or duplicate) in scope",
        409: "One already ended or merged (participant_ended); both records have "
        "registrations in the same session (both_registered)",
    },
    idempotent=True,
)
def merge_participants(participant_id: int, body: s.MergeIn) -> s.MergeOut:
    scoping.require_admin(_user())
    kept = _participant(participant_id)
    duplicate = _participant(body.duplicate_id)
    now = _now()
    merging.merge_participants(current_actor(), kept, duplicate, now)
    record = db.session.scalars(
        select(AuditRecord)
        .where(
            AuditRecord.action == "participant.merge",
            AuditRecord.object_type == "participants",
            AuditRecord.object_id == duplicate.id,
        )
        .order_by(AuditRecord.id.desc())
    ).first()
    moved = (record.after or {}).get("registrations", 0) if record else 0
    assert duplicate.merged_into_id is not None and duplicate.ended_at is not None
    return s.MergeOut(
        participant=s.ParticipantOut.of(kept),
        duplicate_id=duplicate.id,
        merged_into_id=duplicate.merged_into_id,
        ended_at=duplicate.ended_at,
        registrations=moved,
    )
