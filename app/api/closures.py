"""Closure days through the API, as Support › Closure days offers them: the list, adding a
day or a range (naming the sessions planned on those days, and cancelling or keeping them as
support chooses), removing one that has not come yet.

Support only, as on the web; adding and removing are central support's
(``app.scoping.require_central``). Each write calls the web's operation, with its
rules and audit records.
"""

from __future__ import annotations

from datetime import UTC

from flask import Response, after_this_request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import scoping
from app.api import bp
from app.api import schemas as s
from app.api.auth import current_actor
from app.api.openapi import endpoint
from app.api.routes import _page, _user
from app.clock import now as _now
from app.db import LOCK_CLOSURE_DAYS, lock_key
from app.domain.cutoff import BRUSSELS
from app.errors import NotFound, Refusal
from app.extensions import db
from app.models import ClosureDay, Session
from app.planning import closures
from app.timing import forget_closure_days

SUPPORT_ONLY = {403: "Only support manages closure days"}
CENTRAL_ONLY = {403: "Only central support adds or removes closure days"}


def _out(closure: ClosureDay) -> s.ClosureDayOut:
    return s.ClosureDayOut(id=closure.id, date=closure.day, label=closure.label)


def _planned_out(session: Session) -> s.PlannedSessionOut:
    return s.PlannedSessionOut(
        id=session.id,
        training_id=session.training_id,
        training_name=session.training.name,
        date=session.day,
        start=session.start,
        end=session.end,
    )


def _forget_after_the_commit() -> None:
    # The operation forgets the cached days before the commit; a request in between may have
    # cached the old list again, so forget it once more after the commit (as the web does).
    @after_this_request
    def _forget(response: Response) -> Response:
        forget_closure_days()
        return response


@bp.get("/closure-days")
@endpoint(
    s.ClosureDayList,
    query=s.CursorPaging,
    summary="The closure days, latest first, paged",
    refuses=SUPPORT_ONLY,
)
def list_closure_days(query: s.CursorPaging) -> s.ClosureDayList:
    scoping.require_admin(_user())
    found = select(ClosureDay)
    if query.updated_since is not None:
        from app.api.routes import _changed_since

        found = found.where(_changed_since(ClosureDay, query.updated_since))
    items, page = _page(found, query, (ClosureDay.day.desc(), ClosureDay.id.desc()))
    return s.ClosureDayList(items=[_out(c) for c in items], **page)


@bp.post("/closure-days")
@endpoint(
    s.ClosureCreated,
    status=201,
    body=s.ClosureCreate,
    summary="Add a closure day, or every day of a range",
    description="Sessions planned on those days (every branch's) are named: without "
    "``planned`` nothing is added and the answer is 409 sessions_planned with ``sessions``; "
    "``planned: cancel`` cancels them (one with registrations stays, named in "
    "``not_cancelled``), ``keep`` keeps them.",
    refuses={
        **CENTRAL_ONLY,
        400: "Malformed; a day in the past (closure_in_past), already a closure day "
        "(duplicate_closure), or a range backwards or over 120 days (closure_range)",
        409: "Sessions are planned on those days: say what happens to them "
        "(sessions_planned, with ``sessions``)",
    },
)
def create_closure_days(body: s.ClosureCreate) -> s.ClosureCreated:
    scoping.require_admin(_user())
    actor = current_actor()
    scoping.require_central(actor)
    # The lock add_closure_days takes, taken before the planned sessions are read: two
    # requests adding overlapping days at once see each other's days and sessions.
    lock_key(LOCK_CLOSURE_DAYS, "closure_days")
    days = closures.closure_range(body.day, body.until)
    planned = closures.sessions_on(days)
    if planned and body.planned is None:
        raise Refusal(
            "sessions_planned",
            _l("Sessions are planned on these days: cancel them or keep them."),
            status=409,
            field="planned",
            sessions=[_planned_out(p).model_dump(mode="json") for p in planned],
        )
    now = _now().astimezone(BRUSSELS)
    added = closures.add_closure_days(actor, body.day, body.until, body.label, now.date())
    cancelled: list[int] = []
    not_cancelled: list[s.SessionNotCancelled] = []
    if planned and body.planned == "cancel":
        from app.planning.operations import cancel_session

        reason = body.label or _("Closure day")
        for session in planned:
            try:
                with db.session.begin_nested():
                    cancel_session(actor, session, reason, now.astimezone(UTC))
                cancelled.append(session.id)
            except Refusal as refusal:
                not_cancelled.append(
                    s.SessionNotCancelled(
                        session_id=session.id, error=refusal.code, message=str(refusal.message)
                    )
                )
    _forget_after_the_commit()
    return s.ClosureCreated(
        items=[_out(c) for c in added],
        sessions=[_planned_out(p) for p in planned],
        cancelled=cancelled,
        not_cancelled=not_cancelled,
    )


@bp.delete("/closure-days/<int:closure_id>")
@endpoint(
    s.ClosureDayOut,
    summary="Remove a closure day that has not come yet",
    refuses={
        **CENTRAL_ONLY,
        400: "The day has passed: it moved deadlines that already passed (closure_in_past)",
    },
)
def delete_closure_day(closure_id: int) -> s.ClosureDayOut:
    scoping.require_admin(_user())
    actor = current_actor()
    scoping.require_central(actor)
    closure = db.session.get(ClosureDay, closure_id)
    if closure is None:
        raise NotFound("closure day")
    answer = _out(closure)
    closures.remove_closure_day(actor, closure, _now().astimezone(BRUSSELS).date())
    _forget_after_the_commit()
    return answer
