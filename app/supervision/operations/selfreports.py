"""The hours participants report for e-learning (docs/rules.md, "E-learning self-reports"): what
stands and what counts, reporting them, and the supervisor deciding on them.

A self-report is never changed. Its state follows from its decision and its successors:
*waiting* (no decision yet), *approved* or *rejected*; an approved report stops counting once
a correction of it is approved (``voids_id``). Only approved reports that no approved
correction voids count (:func:`counting_reports`).

Nothing here commits: the request does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import joinedload

from app import audit, checks, scoping
from app.attendance.selfreported import _later, _later_decision, counting_reports
from app.audit import Actor
from app.db import LOCK_PERSON_ADDRESS, lock_key
from app.domain import selfreports as rules
from app.errors import Refusal
from app.extensions import db
from app.models import (
    Participant,
    SelfReport,
    SelfReportDecision,
    Supervisor,
    Training,
    TrainingEnrolment,
    TrainingMode,
    User,
)

MAX_DESCRIPTION = 2000


MAX_REASON = 1000


def _standing(participant_ids: Iterable[int], day: date) -> list[SelfReport]:
    """The person's reports of ``day`` that stand: waiting, or counting."""
    ids = list(participant_ids)
    waiting = select(SelfReport).where(
        SelfReport.participant_id.in_(ids),
        SelfReport.day == day,
        ~exists().where(SelfReportDecision.report_id == SelfReport.id),
    )
    counting = counting_reports().where(SelfReport.participant_id.in_(ids), SelfReport.day == day)
    return [*db.session.scalars(waiting), *db.session.scalars(counting)]


Standing = Literal["waiting", "approved", "rejected", "replaced"]


@dataclass(frozen=True)
class ReportState:
    """What a report's reader needs: its state, and its decision and successor if any."""

    report: SelfReport
    state: Standing  # replaced: an approved correction took its place
    decision: SelfReportDecision | None
    successor: SelfReport | None

    @property
    def correctable(self) -> bool:
        """A rejected report, or an approved one, with no correction sent yet."""
        return self.successor is None and self.state in ("approved", "rejected")


def report_states(reports: Sequence[SelfReport]) -> list[ReportState]:
    """The state of each report, in two queries whatever their number."""
    ids = [r.id for r in reports]
    if not ids:
        return []
    decisions = {
        d.report_id: d
        for d in db.session.scalars(
            select(SelfReportDecision)
            .options(
                joinedload(SelfReportDecision.supervisor),
                joinedload(SelfReportDecision.decided_by),
            )
            .where(SelfReportDecision.report_id.in_(ids))
        )
    }
    successors = {
        r.replaces_id: r
        for r in db.session.scalars(select(SelfReport).where(SelfReport.replaces_id.in_(ids)))
    }
    voided = set(
        db.session.scalars(
            select(_later.voids_id)
            .join(_later_decision, _later_decision.report_id == _later.id)
            .where(_later.voids_id.in_(ids), _later_decision.approved.is_(True))
        )
    )
    states = []
    for report in reports:
        decision = decisions.get(report.id)
        state: Standing
        if decision is None:
            state = "waiting"
        elif not decision.approved:
            state = "rejected"
        elif report.id in voided:
            state = "replaced"
        else:
            state = "approved"
        states.append(ReportState(report, state, decision, successors.get(report.id)))
    return states


PROBLEMS = {
    "no_time": _l("Give a start and end time, or a duration."),
    "end_before_start": _l("The end time must come after the start time."),
    "duration_range": _l("A report holds between 1 minute and 24 hours."),
    "future": _l("You cannot report hours that have not passed yet."),
    "registration_closed": _l(
        "Too late: hours for a day can be reported until 10:00 on the next working day."
    ),
    "before_enrolment": _l("You were not enrolled in this training yet on that day."),
    "after_termination": _l("Your enrolment in this training had ended on that day."),
    "overlap": _l("These hours overlap hours you reported already (%(when)s)."),
    "over_24_hours": _l("Your reports of that day would add up to more than 24 hours."),
}


def elearning_enrolment(training: Training, participant: Participant) -> TrainingEnrolment:
    """The participant's enrolment in an e-learning training: only then can they report."""
    if training.mode != TrainingMode.ELEARNING:
        raise Refusal(
            "not_elearning", _l("Hours are reported only for e-learning trainings."), status=409
        )
    enrolment = db.session.scalars(
        select(TrainingEnrolment).where(
            TrainingEnrolment.training_id == training.id,
            TrainingEnrolment.participant_id == participant.id,
        )
    ).first()
    if enrolment is None or participant.ended_at is not None:
        raise Refusal("not_enrolled", _l("You are not enrolled in this training."))
    return enrolment


def _closures(day: date) -> list[date]:
    from app.timing import closure_days

    return closure_days(day)


def _describe(report: SelfReport) -> str:
    when = report.day.strftime("%d/%m/%Y")
    if report.start and report.end:
        when += f" {report.start:%H:%M}-{report.end:%H:%M}"
    return when


def report_hours(
    actor: Actor,
    training: Training,
    participant: Participant,
    day: date,
    start: time | None,
    end: time | None,
    minutes: int | None,
    description: str,
    now: datetime,
    replaces: SelfReport | None = None,
) -> SelfReport:
    """Store a report (or a correction of ``replaces``) once the rules accept it.

    ``start``/``end`` are times of day (``datetime.time``); without them ``minutes`` is the
    duration. The overlap and 24-hour rules look at every report of the person (the records of
    every branch with their address: one person) that still stands.
    """
    checks.day(day, "day")
    description = checks.text((description or "").strip(), "description", one_line=False)
    if not description:
        raise Refusal(
            "description_required", _l("Say what you did in these hours."), field="description"
        )
    if len(description) > MAX_DESCRIPTION:
        raise Refusal(
            "description_too_long",
            _l("Describe it in at most %(n)s characters.", n=MAX_DESCRIPTION),
            field="description",
        )
    # The overlap and 24-hour rules hold over rows that two posts at once would both add: one
    # person's reports are checked and written one request at a time. (A correction sent twice
    # at once is also refused by the unique replaces_id.)
    lock_key(LOCK_PERSON_ADDRESS, participant.email.lower())
    enrolment = elearning_enrolment(training, participant)
    if replaces is not None:
        _check_correctable(replaces, participant, training)
    duration = timedelta(minutes=minutes) if minutes is not None and start is None else None
    reported = rules.Reported(day, start, end, duration)
    same_person = select(Participant.id).where(
        func.lower(Participant.email) == participant.email.lower()
    )
    left_out = {replaces.id, replaces.voids_id} if replaces is not None else set()
    others = [
        rules.Reported(r.day, r.start, r.end, timedelta(minutes=r.minutes), r.id)
        for r in _standing(db.session.scalars(same_person), day)
        if r.id not in left_out
    ]
    problem = rules.self_report_problem(
        reported,
        others,
        now=now,
        closures=_closures(day),
        enrolled_on=enrolment.enrolled_on,
        terminated_on=enrolment.terminated_on,
        correcting_day=replaces.day if replaces is not None else None,
    )
    if problem is not None:
        raise _refusal(problem)
    voids = None
    if replaces is not None:
        decision = replaces.decision
        voids = replaces.id if decision is not None and decision.approved else replaces.voids_id
    report = SelfReport(
        training_id=training.id,
        participant_id=participant.id,
        day=day,
        start=start,
        end=end,
        minutes=int(rules.reported_time(reported) // timedelta(minutes=1)),
        description=description,
        replaces_id=replaces.id if replaces is not None else None,
        voids_id=voids,
        created_at=now,
        sign_in_id=actor.sign_in_id,
    )
    db.session.add(report)
    db.session.flush()
    audit.record(actor, "self_report.create", report, after=audit.snapshot(report))
    return report


def _refusal(problem: rules.Problem) -> Refusal:
    field = {
        "no_time": "start",
        "end_before_start": "end",
        "duration_range": "minutes",
        "future": "day",
        "registration_closed": "day",
        "before_enrolment": "day",
        "after_termination": "day",
        "overlap": "start",
        "over_24_hours": "minutes",
    }[problem.code]
    message = PROBLEMS[problem.code]
    details: dict[str, Any] = {"field": field}
    if problem.code == "overlap" and problem.other_id is not None:
        other = db.session.get(SelfReport, problem.other_id)
        message = _l(
            "These hours overlap hours you reported already (%(when)s).",
            when=_describe(other) if other else "",
        )
        details["report_id"] = problem.other_id
    return Refusal(problem.code, message, **details)


def _check_correctable(report: SelfReport, participant: Participant, training: Training) -> None:
    if report.participant_id != participant.id or report.training_id != training.id:
        raise Refusal("not_found", _l("Not found."), status=404)
    [state] = report_states([report])
    if not state.correctable:
        raise Refusal(
            "not_correctable",
            _l("Only a rejected or an approved report can be corrected, and only once."),
            status=409,
        )


def supervised_reports(email: str) -> Select[SelfReport]:
    """The reports of the participants whose supervisor has this address (any branch)."""
    return (
        select(SelfReport)
        .join(Participant, Participant.id == SelfReport.participant_id)
        .join(Supervisor, Supervisor.id == Participant.supervisor_id)
        .where(Supervisor.email == email.lower(), Participant.ended_at.is_(None))
    )


def _checked_reason(approve: bool, reason: str) -> str:
    reason = checks.text((reason or "").strip(), "reason", one_line=False)[:MAX_REASON]
    if not approve and not reason:
        raise Refusal("reason_required", _l("Give the reason for the rejection."), field="reason")
    return reason


def _chosen(report_ids: Sequence[object]) -> list[int]:
    ids = sorted({i for i in report_ids if isinstance(i, int) and 0 < i < 2**31})
    if not ids:
        raise Refusal("nothing_chosen", _l("Choose the reports first."))
    return ids


def _decide_locked(
    actor: Actor,
    rows: Sequence[tuple[SelfReport, int | None, int | None]],
    ids: Sequence[int],
    approve: bool,
    reason: str,
    now: datetime,
) -> int:
    """The rule both deciders share, on rows already locked: every chosen report found (else
    404) and waiting (else 409), then one decision each, by (supervisor id, planner's user id).

    The caller selected the reports ``FOR UPDATE``: a supervisor and a planner deciding the same
    report at once queue on that lock, and the second finds it decided.
    """
    if len(rows) != len(ids):
        raise Refusal("not_found", _l("Not found."), status=404)
    states = report_states([row[0] for row in rows])
    if any(s.state != "waiting" for s in states):
        raise Refusal(
            "already_decided",
            _l("One of these reports was decided already: open the list again."),
            status=409,
        )
    for report, supervisor_id, decided_by_id in rows:
        db.session.add(
            SelfReportDecision(
                report_id=report.id,
                approved=approve,
                reason=reason,
                decided_at=now,
                supervisor_id=supervisor_id,
                decided_by_id=decided_by_id,
                sign_in_id=actor.sign_in_id,
            )
        )
        db.session.flush()
        decider = (
            {"supervisor_id": supervisor_id}
            if supervisor_id is not None
            else {"decided_by_id": decided_by_id}
        )
        audit.record(
            actor,
            "self_report.approve" if approve else "self_report.reject",
            report,
            after={"approved": approve, "reason": reason, **decider},
        )
    return len(rows)


def decide(
    actor: Actor,
    email: str,
    report_ids: Sequence[object],  # as sent: the ones that are not ids are left out
    approve: bool,
    reason: str,
    now: datetime,
) -> int:
    """The supervisor with ``email`` approves or rejects waiting reports of their participants
    (several at once); a reason is required to reject. Returns how many were decided.

    A report of someone else's participant is a 404; one decided already is refused.
    """
    reason = _checked_reason(approve, reason)
    ids = _chosen(report_ids)
    rows = db.session.execute(
        supervised_reports(email)
        .add_columns(Supervisor.id)
        .where(SelfReport.id.in_(ids))
        .with_for_update(of=SelfReport)
    ).all()
    return _decide_locked(
        actor,
        [(report, supervisor_id, None) for report, supervisor_id in rows],
        ids,
        approve,
        reason,
        now,
    )


def decide_as_planner(
    actor: Actor,
    user: User,
    report_ids: Sequence[object],
    approve: bool,
    reason: str,
    now: datetime,
) -> int:
    """A planner (a promotor of the training's branch, or support) approves or rejects waiting
    reports of trainings they may plan, for organisations that collect the supervisor's word
    elsewhere; the decision records the planner. The rules are the supervisor's (:func:`decide`).

    A report of a training out of the planner's scope is a 404.
    """
    scoping.require_planner(user)
    reason = _checked_reason(approve, reason)
    ids = _chosen(report_ids)
    reports = db.session.scalars(
        select(SelfReport)
        .where(
            SelfReport.id.in_(ids),
            SelfReport.training_id.in_(scoping.trainings(user).with_only_columns(Training.id)),
        )
        .with_for_update(of=SelfReport)
    ).all()
    return _decide_locked(
        actor, [(report, None, user.id) for report in reports], ids, approve, reason, now
    )
