"""Which self-reported e-learning hours count, as the attendance figures read them.

Kept apart from the operations (it imports only the models) so ``app.attendance.figures`` can
read it as one separate input beside the registrations.

A report counts when its supervisor approved it and no approved correction took its place
(``SelfReport.voids_id``). Each counting report is time present for its day: it adds its
minutes to the hours given and to the hours present (e-learning has no planned lesson to miss,
so it is never an absence). Seed 004 makes the participant's own report, confirmed by the
supervisor ("vierde paar ogen"), the time registration of e-learning: so the approved time is
the hours given to that participant as well as the hours they were present, under both hours
methods. It is not a lesson: the exam rule's count of lessons (2/3) leaves it out. See
``docs/rules.md`` ("Hours and thresholds (figures)").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Exists, Select, exists, select
from sqlalchemy.orm import aliased, joinedload

from app.domain.thresholds import SessionAttendance
from app.extensions import db
from app.models import SelfReport, SelfReportDecision

_later = aliased(SelfReport)
_later_decision = aliased(SelfReportDecision)


def _voided_by_approved() -> Exists:
    """An approved correction takes this report's place."""
    return exists().where(
        _later.voids_id == SelfReport.id,
        _later_decision.report_id == _later.id,
        _later_decision.approved.is_(True),
    )


def counting_reports() -> Select[SelfReport]:
    """The reports whose hours count: approved, and not replaced by an approved correction."""
    return (
        select(SelfReport)
        .join(SelfReportDecision, SelfReportDecision.report_id == SelfReport.id)
        .where(SelfReportDecision.approved.is_(True), ~_voided_by_approved())
    )


@dataclass(frozen=True, slots=True)
class SelfReportLine:
    """One approved report as the figures, the paper list and the export show it."""

    report_id: int
    day: date
    start: time | None
    end: time | None
    minutes: int
    description: str
    approved_by: str  # the supervisor's name and address, or the planner's and their role
    approved_at: datetime

    @property
    def time(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    @property
    def attendance(self) -> SessionAttendance:
        """Given and present for its whole time, not a lesson (the pure rules' input)."""
        return SessionAttendance(
            planned=self.time, present=self.time, status="present", lesson=False
        )


def approved_lines(
    training_ids: Iterable[int],
    period: tuple[date, date] | None = None,
    participant_id: int | None = None,
) -> dict[tuple[int, int], list[SelfReportLine]]:
    """The counting reports by (training, participant), in time order: one query."""
    query = (
        counting_reports()
        .add_columns(SelfReportDecision)
        .options(
            joinedload(SelfReportDecision.supervisor), joinedload(SelfReportDecision.decided_by)
        )
        .where(SelfReport.training_id.in_(list(training_ids)))
    )
    if period is not None:
        query = query.where(SelfReport.day >= period[0], SelfReport.day <= period[1])
    if participant_id is not None:
        query = query.where(SelfReport.participant_id == participant_id)
    found: dict[tuple[int, int], list[SelfReportLine]] = defaultdict(list)
    for report, decision in db.session.execute(
        query.order_by(SelfReport.day, SelfReport.start, SelfReport.id)
    ):
        found[(report.training_id, report.participant_id)].append(
            SelfReportLine(
                report.id,
                report.day,
                report.start,
                report.end,
                report.minutes,
                report.description,
                decision.decider,
                decision.decided_at,
            )
        )
    return dict(found)
