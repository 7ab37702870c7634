"""Planners approve or reject self-reported e-learning hours through the API (issue 22), for
organisations whose CRM collects the supervisor's confirmation elsewhere; supervisors keep the
portal. Both call the operation's one rule (``app.supervision.operations.selfreports``): only
waiting reports, a reason to reject, the report's row lock, the same audit actions.
"""

from __future__ import annotations

from app.api import bp
from app.api import schemas as s
from app.api.auth import current_actor
from app.api.openapi import REFUSALS, endpoint
from app.api.routes import PLANNERS_ONLY, _user, self_report_out
from app.clock import now as _now
from app.extensions import db
from app.models import SelfReport
from app.supervision.operations import selfreports

DECIDED = {
    404: "No such report in a training the caller may plan",
    409: "Decided already, by a supervisor or a planner (already_decided), or a conflict at commit",
}


def _decide(report_id: int, approve: bool, reason: str) -> s.SelfReportOut:
    # The operation finds the report in the caller's scope (404) under its row lock.
    selfreports.decide_as_planner(current_actor(), _user(), [report_id], approve, reason, _now())
    report = db.session.get(SelfReport, report_id)
    assert report is not None
    [state] = selfreports.report_states([report])
    return self_report_out(state)


@bp.post("/self-reports/<int:report_id>/approve")
@endpoint(
    s.SelfReportOut,
    summary="Approve a waiting self-report as a planner: its hours count from now on",
    description="For organisations that collect the supervisor's confirmation elsewhere; "
    "`decided_by` then names the planner and their role.",
    refuses={**PLANNERS_ONLY, **DECIDED, 400: "Malformed request", 413: "The body is too large"},
    idempotent=False,
)
def approve_self_report(report_id: int) -> s.SelfReportOut:
    return _decide(report_id, True, "")


@bp.post("/self-reports/<int:report_id>/reject")
@endpoint(
    s.SelfReportOut,
    body=s.SelfReportReject,
    summary="Reject a waiting self-report as a planner, saying why (the participant reads it)",
    refuses={**PLANNERS_ONLY, **DECIDED, 400: REFUSALS[400] + "; the reason is required"},
)
def reject_self_report(report_id: int, body: s.SelfReportReject) -> s.SelfReportOut:
    return _decide(report_id, False, body.reason)
