"""``GET /api/v1/audit``: the audit trail as the Support › Audit page reads it, with the same
scope (central support everything, a branch's planners their branch, others nothing)."""

from __future__ import annotations

from dataclasses import asdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from app.api import bp, cursor
from app.api import schemas as s
from app.api.auth import current_actor
from app.api.openapi import endpoint
from app.audit_log import history
from app.errors import Refusal
from app.extensions import db
from app.models import AuditRecord, User


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
    if query.cursor is not None:
        return _after_cursor(user, wanted, query)
    page = history.read_page(user, wanted, query.page, query.per_page)
    more = page.total > page.page * page.per_page
    return s.AuditList(
        items=_items(page.entries),
        total=page.total,
        page=page.page,
        per_page=page.per_page,
        next_cursor=cursor.make(query, ORDER, page.entries[-1]) if more else None,
    )


# Newest first, as the page reads it; the id keeps records of the same moment apart.
ORDER = (AuditRecord.at.desc(), AuditRecord.id.desc())


def _after_cursor(user: User, wanted: history.Filter, query: s.AuditFilter) -> s.AuditList:
    """The page after the cursor's record, on the (at, id) order's index at any depth."""
    if query.page != 1:
        raise Refusal(
            "cursor_with_page",
            _l("Give either a cursor or a page, not both."),
            status=400,
            field="cursor",
        )
    assert query.cursor is not None
    found = wanted.apply(history.scoped(user))
    total = (
        db.session.scalar(
            found.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
        )
        or 0
    )
    records = list(
        db.session.scalars(
            found.where(cursor.after(ORDER, cursor.read(query, ORDER, query.cursor)))
            .order_by(*ORDER)
            .limit(query.per_page + 1)
        )
    )
    more = len(records) > query.per_page
    entries = history.describe(records[: query.per_page])
    return s.AuditList(
        items=_items(entries),
        total=total,
        page=1,
        per_page=query.per_page,
        next_cursor=cursor.make(query, ORDER, entries[-1]) if more else None,
    )


def _items(entries: list[history.Entry]) -> list[s.AuditRecordOut]:
    return [
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
        for e in entries
    ]
