"""``GET /api/v1/audit``: the audit trail as the Support › Audit page reads it, with the same
scope (central support everything, a branch's planners their branch, others nothing)."""

from __future__ import annotations

from dataclasses import asdict

from app.api import bp
from app.api import schemas as s
from app.api.auth import current_actor
from app.api.openapi import endpoint
from app.audit_log import history


@bp.get("/audit")
@endpoint(
    s.AuditList,
    query=s.AuditFilter,
    summary="The audit trail in the caller's scope, newest first, filtered and paged",
    refuses={403: "Only promotors and support read the audit trail"},
)
def audit_records(query: s.AuditFilter) -> s.AuditList:
    user = current_actor().user
    assert user is not None
    if query.object_id is not None and query.object_type is None:
        raise s.invalid("object_type", s.MESSAGES["required"](field="object_type"))
    wanted = history.Filter(
        participant_id=query.participant_id,
        session_id=query.session_id,
        training_id=query.training_id,
        object_type=query.object_type,
        object_id=query.object_id,
        user_id=query.user_id,
        action=query.action,
        day_from=query.date_from,
        day_to=query.date_to,
    )
    page = history.read_page(user, wanted, query.page, query.per_page)
    return s.AuditList(
        items=[
            s.AuditRecordOut(
                id=e.id,
                at=e.at,
                who=e.who,
                who_kind=e.who_kind,
                user_id=e.user_id,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                object_label=e.object_label,
                participant_id=e.participant_id,
                session_id=e.session_id,
                training_id=e.training_id,
                summary=e.summary,
                changes=[s.AuditChangeOut(**asdict(c)) for c in e.changes],
                before=e.before,
                after=e.after,
            )
            for e in page.entries
        ],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
    )
