"""A session's roll call read back: the marks ``POST /sessions/{id}/roll-call`` wrote (and the
codes an administration package sent), for those who may take the roll call: the session's
trainer, and promotors and support in scope."""

from __future__ import annotations

from sqlalchemy import func, select

from app.api import bp
from app.api import schemas as s
from app.api.openapi import endpoint
from app.api.parity import _session_to_register
from app.api.routes import NO_FRONT_DESK, _page
from app.extensions import db
from app.models import Participant, RollCallMark, User


def _names(marks: list[RollCallMark]) -> tuple[dict[int, str], dict[int, str]]:
    """The participants' names and the markers' addresses of a page (two queries)."""
    people = {m.participant_id for m in marks}
    users = {m.marked_by_id for m in marks if m.marked_by_id}
    names = (
        dict(
            db.session.execute(
                select(Participant.id, Participant.name).where(Participant.id.in_(people))
            ).all()
        )
        if people
        else {}
    )
    emails = (
        dict(db.session.execute(select(User.id, User.email).where(User.id.in_(users))).all())
        if users
        else {}
    )
    return names, emails


@bp.get("/sessions/<int:session_id>/roll-call")
@endpoint(
    s.RollCallMarkList,
    query=s.RollCallMarkFilter,
    summary="The roll call's marks: who was marked present or absent, the remark, by whom "
    "and when (every mark, or with current=true each participant's latest)",
    refuses=NO_FRONT_DESK,
)
def roll_call_marks(session_id: int, query: s.RollCallMarkFilter) -> s.RollCallMarkList:
    session = _session_to_register(session_id)
    latest = (
        select(func.max(RollCallMark.id))
        .where(RollCallMark.session_id == session.id)
        .group_by(RollCallMark.participant_id)
    )
    found = select(RollCallMark).where(RollCallMark.session_id == session.id)
    if query.current == "true":
        found = found.where(RollCallMark.id.in_(latest))
    marks, page = _page(found, query, (RollCallMark.id,))
    names = _names(marks)
    current = set(db.session.scalars(latest)) if marks else set()
    return s.RollCallMarkList(
        items=[
            s.RollCallMarkOut(
                id=mark.id,
                session_id=mark.session_id,
                participant_id=mark.participant_id,
                participant_name=names[0][mark.participant_id],
                present=mark.present,
                remark=mark.remark,
                marked_at=mark.marked_at,
                marked_by=names[1].get(mark.marked_by_id) if mark.marked_by_id else None,
                source=mark.source,
                peer=mark.peer,
                code=mark.code,
                current=mark.id in current,
            )
            for mark in marks
        ],
        **page,
    )
