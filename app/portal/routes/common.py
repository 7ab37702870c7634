"""What several portal pages share: the clock, the signed-in person's own records and their
figures, from the one place that computes them.

Every object is looked up among the signed-in person's own records (``identity``): another
participant's session, training, certificate or report answers 404, like a guessed id.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.attendance.figures import ParticipantFigures, participant_figures
from app.domain.cutoff import BRUSSELS
from app.domain.limits import id_in_range
from app.errors import NotFound
from app.extensions import db
from app.models import (
    Enrolment,
    Participant,
    Session,
    Training,
    TrainingEnrolment,
)
from app.portal import identity
from app.portal.identity import PortalIdentity

RISK_LABELS = {"exam": "exam", "paid_leave": "paid_leave"}


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return _now().astimezone(BRUSSELS).date()


def _records(who: PortalIdentity) -> list[Participant]:
    """The person's own participant records (one per branch), by branch."""
    return list(
        db.session.scalars(
            identity.own_participants(who)
            .options(joinedload(Participant.branch))
            .order_by(Participant.branch_id, Participant.id)
        )
    )


def _record(who: PortalIdentity, participant_id: int) -> Participant:
    """One of the person's own records, or a 404."""
    if not id_in_range(participant_id):
        raise NotFound("participant")
    found = db.session.scalars(
        identity.own_participants(who).where(Participant.id == participant_id)
    ).first()
    if found is None:
        raise NotFound("participant")
    return found


def _trainings_of(records: list[Participant]) -> list[tuple[Training, Participant]]:
    """Each training a record is enrolled in (sessions or the training itself), by name."""
    ids = [p.id for p in records]
    if not ids:
        return []
    by_session = (
        select(Session.training_id, Enrolment.participant_id)
        .join(Enrolment, Enrolment.session_id == Session.id)
        .where(Enrolment.participant_id.in_(ids))
    )
    by_training = select(TrainingEnrolment.training_id, TrainingEnrolment.participant_id).where(
        TrainingEnrolment.participant_id.in_(ids)
    )
    pairs = set(db.session.execute(by_session.union(by_training)).all())
    trainings = {
        t.id: t
        for t in db.session.scalars(select(Training).where(Training.id.in_({t for t, _ in pairs})))
    }
    people = {p.id: p for p in records}
    return sorted(
        ((trainings[t], people[p]) for t, p in pairs),
        key=lambda tp: (tp[0].name, tp[0].id, tp[1].id),
    )


def _figures(
    training: Training, participant: Participant, now: datetime
) -> ParticipantFigures | None:
    """This participant's figures in the training, exactly as staff see them (computed from
    this person's rows only: ``participant_figures``)."""
    return participant_figures(training, participant, now)
