"""Attendance figures and the QR key."""

from typing import Annotated, Literal

from pydantic import (
    WithJsonSchema,
)

from app.api.schemas.fields import Answer, OutDay
from app.domain.thresholds import HoursMethod


class PaidLeavePeriodOut(Answer):
    """Paid educational leave in one lesson period (the certificates' periods): at most 10%
    unjustified absence of the whole period's counting hours; ``at_risk`` when one more unjustified
    absence in the period would lose it."""

    start: OutDay
    end: OutDay
    counting_hours: float
    # The whole period's counting hours (those still to come included), the base of the
    # verdict, and the most unjustified absence it allows (10 %).
    period_hours: float
    unjustified_hours: float
    limit_hours: float
    unjustified_percent: float
    # kept, kept_so_far, provisional (above the limit only through sessions whose
    # registrations are still open) or lost; ``text`` says it in the caller's language.
    state: str
    text: str
    keeps_paid_leave: bool
    at_risk: bool


class AttendanceRowOut(Answer):
    participant_id: int
    name: str
    planned_hours: float
    exempted_hours: float
    late_enrolment_hours: float
    counting_hours: float
    present_hours: float
    justified_hours: float
    unjustified_hours: float
    incomplete_hours: float
    attendance_percent: float
    exam_eligible: bool
    paid_leave: bool
    # bev: betaald educatief verlof; vov: Vlaams opleidingsverlof; None without paid leave.
    leave_regime: Literal["bev", "vov"] | None = None
    keeps_paid_leave: bool | None
    at_risk: Annotated[
        str, WithJsonSchema({"type": "string", "description": "comma-separated: exam, paid_leave"})
    ]
    hours_method: HoursMethod
    self_reported_hours: float
    lessons_counting: int
    lessons_present: int
    # Only for a participant on paid leave (empty otherwise), one per period with lessons.
    paid_leave_periods: list[PaidLeavePeriodOut]


class AttendanceOut(Answer):
    training_id: int
    # "registered": hours present are the registered time, clipped to the session, minus the
    # break; "lessons": a lesson counted present gives its planned hours (docs/rules.md).
    hours_method: HoursMethod
    items: list[AttendanceRowOut]
    # Paged (see Paging): the participants in all pages, and this page.
    total: int = 0
    page: int = 1
    per_page: int = 0


class PublicKeyOut(Answer):
    algorithm: Literal["Ed25519"]
    public_key_pem: str
