"""Supervisors and self-reported e-learning hours."""

from typing import Annotated, Literal

from app.api.schemas.fields import Answer, IdList, OutClock, OutDay, OutMoment, Request, Text
from app.models import (
    Branch,
    Supervisor,
)


class SupervisorCreate(Request):
    name: Annotated[str, Text(Supervisor.name)]
    email: Annotated[str, Text(Supervisor.email)]
    branch: Annotated[str | None, Text(Branch.name, required=False)] = None
    participant_ids: Annotated[list[int], IdList()] = []


class SupervisorLink(Request):
    """Participants (of the supervisor's branch) whose supervisor this one becomes."""

    participant_ids: Annotated[list[int], IdList()] = []


class SupervisorOut(Answer):
    id: int
    name: str
    email: str
    branch: str
    participant_ids: list[int]


class SelfReportOut(Answer):
    """A report and its state: ``waiting``, ``approved``, ``rejected``, or ``replaced`` (an
    approved correction took its place). Only ``approved`` ones count."""

    id: int
    training_id: int
    participant_id: int
    date: OutDay
    start: OutClock | None
    end: OutClock | None
    minutes: int
    hours: float
    description: str
    state: Literal["waiting", "approved", "rejected", "replaced"]
    replaces_id: int | None
    sent_at: OutMoment
    decided_at: OutMoment | None
    decided_by: str | None  # the supervisor's name and address, or the planner's and role
    reason: str | None


class SelfReportReject(Request):
    """Why the hours are refused: the participant reads it in the portal."""

    # The portal keeps a rejection's first 1000 characters; the API refuses more.
    reason: Annotated[str, Text(1000, one_line=False)]
