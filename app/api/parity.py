"""What a promotor or trainer does on the attendance and participant pages, through the API:
late arrivals, early departures, closing a session, taking a participant off a session or a
training, enrolling in a whole training, revoking and reissuing a code.

Each endpoint finds its objects in the caller's scope and calls the operation the web's view
calls (``app.attendance.operations``, ``app.participants.operations``): the same rules,
refusal codes and audit records, never a second implementation.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import scoping
from app.api import bp
from app.api import schemas as s
from app.api.auth import current_actor
from app.api.editing import locked
from app.api.openapi import endpoint
from app.api.routes import NO_FRONT_DESK, PLANNERS_ONLY, _participant, _session, _user
from app.attendance import operations as attendance
from app.clock import now as _now
from app.domain.sessions import local_datetime
from app.errors import Forbidden, NotFound, Refusal
from app.extensions import db
from app.models import (
    Enrolment,
    Exemption,
    Participant,
    Role,
    Session,
    Training,
    TrainingEnrolment,
    TrainingMode,
)
from app.participants.operations import codes as codes_ops
from app.participants.operations import enrolling as enrolling_ops
from app.participants.operations import unenrolling
from app.settings import settings

REFUSALS_400_EXEMPTION = "Malformed, or neither or both of a session and minutes (exemption_kind)"
REGISTERING = {
    **NO_FRONT_DESK,
    400: "Malformed, or a time outside the session (outside_session) or before the check-in "
    "(before_check_in)",
    409: "Already registered, not checked in, not ended yet, or the session is closed",
    422: "Refused by a rule: not enrolled (not_enrolled), in the future (future_time), too "
    "early or locked",
}


def _early_minutes() -> int:
    return settings().scan_early_minutes


def _session_to_register(session_id: int) -> Session:
    """A session the caller may register in by hand: a trainer's own or a planner's."""
    if _user().role == Role.FRONTDESK:
        raise Forbidden()
    return _session(session_id)


def _enrolled_participant(participant_id: int) -> Participant:
    return _participant(participant_id)


@bp.post("/sessions/<int:session_id>/late-arrivals")
@endpoint(
    s.RegistrationsWritten,
    status=201,
    body=s.ParticipantAtTime,
    summary="A late arrival: a check-in at the arrival time (a roll call's check-in corrected)",
    refuses=REGISTERING,
)
def late_arrival(session_id: int, body: s.ParticipantAtTime) -> s.RegistrationsWritten:
    session = _session_to_register(session_id)
    participant = _enrolled_participant(body.participant_id)
    ids = attendance.late_arrival(
        current_actor(),
        session,
        participant,
        local_datetime(session.day, body.time),
        _now(),
        early_minutes=_early_minutes(),
    )
    return s.RegistrationsWritten(registration_ids=ids)


@bp.post("/sessions/<int:session_id>/early-departures")
@endpoint(
    s.RegistrationsWritten,
    status=201,
    body=s.ParticipantAtTime,
    summary="An early departure: a check-out at the time the participant left",
    refuses=REGISTERING,
)
def early_departure(session_id: int, body: s.ParticipantAtTime) -> s.RegistrationsWritten:
    session = _session_to_register(session_id)
    participant = _enrolled_participant(body.participant_id)
    registration = attendance.left_early(
        current_actor(),
        session,
        participant,
        local_datetime(session.day, body.time),
        _now(),
        early_minutes=_early_minutes(),
    )
    return s.RegistrationsWritten(registration_ids=[registration])


@bp.post("/sessions/<int:session_id>/corrections")
@endpoint(
    s.RegistrationsWritten,
    status=201,
    body=s.IncompleteResolve,
    summary="Correct an incomplete registration: a check-out (source correction, with the "
    "reason) for a participant still checked in",
    refuses={**REGISTERING, 409: "No open check-in (not_incomplete), or the session is closed"},
)
def resolve_incomplete(session_id: int, body: s.IncompleteResolve) -> s.RegistrationsWritten:
    session = _session_to_register(session_id)
    participant = _enrolled_participant(body.participant_id)
    registration = attendance.resolve_incomplete(
        current_actor(),
        session,
        participant,
        local_datetime(session.day, body.time),
        body.reason,
        _now(),
        early_minutes=_early_minutes(),
    )
    return s.RegistrationsWritten(registration_ids=[registration])


@bp.post("/sessions/<int:session_id>/close")
@endpoint(
    s.CountOut,
    body=s.SessionClose,
    summary="After the end: everyone still checked in left at the end (or at the time given)",
    refuses=REGISTERING,
)
def close_session(session_id: int, body: s.SessionClose) -> s.CountOut:
    session = _session_to_register(session_id)
    left_at = local_datetime(session.day, body.time) if body.time else None
    count = attendance.close_session(
        current_actor(), session, _now(), left_at, early_minutes=_early_minutes()
    )
    return s.CountOut(count=count)


@bp.post("/sessions/<int:session_id>/roll-call")
@endpoint(
    s.CountOut,
    body=s.RollCallIn,
    summary="Confirm the roll call: marks and remarks kept, a check-in for each participant "
    "present without a registration yet; ``count``: the check-ins written",
    refuses=REGISTERING,
    idempotent=False,
)
def roll_call(session_id: int, body: s.RollCallIn) -> s.CountOut:
    session = _session_to_register(session_id)
    lines = [
        attendance.RollCallLine(m.participant_id, m.present, m.remark or "") for m in body.marks
    ]
    count = attendance.confirm_roll_call(
        current_actor(),
        session,
        lines,
        _now(),
        check_in_at_start=body.check_in_at_start,
        early_minutes=_early_minutes(),
    )
    return s.CountOut(count=count)


@bp.delete("/sessions/<int:session_id>/enrolments/<int:participant_id>")
@endpoint(
    s.CountOut,
    summary="Take a participant off a session (while nothing is registered for them there)",
    refuses={
        **PLANNERS_ONLY,
        409: "Registrations exist for them there (has_registrations)",
        422: "Not enrolled in this session (not_enrolled)",
    },
)
def unenrol_session(session_id: int, participant_id: int) -> s.CountOut:
    scoping.require_planner(_user())
    session = _session(session_id)
    unenrolling.unenrol(current_actor(), session, _participant(participant_id))
    return s.CountOut(count=1)


def _training(training_id: int) -> Training:
    return scoping.get_one(scoping.trainings(_user()), Training, training_id, "training")


@bp.post("/trainings/<int:training_id>/enrolments")
@endpoint(
    {
        201: (s.TrainingEnrolmentOut, "Enrolled in every session of the training"),
        200: (s.TrainingEnrolmentOut, "Already enrolled in every session"),
    },
    body=s.ParticipantRef,
    summary="Enrol a participant in every session of a training (an e-learning training "
    "without sessions: in the training); cancelled sessions are left out and listed in "
    "skipped_session_ids",
    refuses={**PLANNERS_ONLY, 409: "The training has no sessions yet (no_sessions)"},
)
def enrol_training(training_id: int, body: s.ParticipantRef) -> tuple[s.TrainingEnrolmentOut, int]:
    scoping.require_planner(_user())
    training = _training(training_id)
    participant = _participant(body.participant_id)
    sessions = list(training.sessions)
    skipped: tuple[Session, ...] = ()
    if not sessions and training.mode == TrainingMode.ELEARNING:
        created = int(
            enrolling_ops.enrol_in_elearning(current_actor(), training, participant, now=_now())
        )
    elif not sessions:
        raise Refusal(
            "no_sessions",
            _l("Plan a session first: this training has no sessions yet."),
            status=409,
        )
    else:
        enrolled = enrolling_ops.enrol_all(current_actor(), sessions, [participant], now=_now())
        created, skipped = enrolled.created, enrolled.skipped
    answer = s.TrainingEnrolmentOut(
        training_id=training.id,
        participant_id=participant.id,
        sessions=len(sessions),
        created=created,
        skipped_session_ids=[session.id for session in skipped],
    )
    return answer, 201 if created else 200


@bp.delete("/trainings/<int:training_id>/enrolments/<int:participant_id>")
@endpoint(
    s.CountOut,
    summary="Take a participant off a training: every session of it (while nothing is "
    "registered, certified, exempted or justified for them there); ``count``: the sessions",
    refuses={
        **PLANNERS_ONLY,
        409: "Registrations (has_registrations), or certificates, exemptions or justified "
        "absences (has_history) exist for them in the training",
    },
)
def unenrol_training(training_id: int, participant_id: int) -> s.CountOut:
    scoping.require_planner(_user())
    training = _training(training_id)
    count = unenrolling.unenrol_training(current_actor(), training, _participant(participant_id))
    return s.CountOut(count=count)


@bp.post("/participants/<int:participant_id>/code/reissue")
@endpoint(
    s.CodeOut,
    summary="Revoke the participant's QR code and mail a new one (waiting mails with the old "
    "code are withdrawn)",
    refuses={
        **PLANNERS_ONLY,
        400: "Malformed request",
        409: "Changed by another request at the same moment (conflict)",
        413: "The request body is too large",
    },
    idempotent=False,
)
def reissue_code(participant_id: int) -> s.CodeOut:
    from app.mail.messages import participant_code

    scoping.require_planner(_user())
    participant = _participant(participant_id)
    codes_ops.reissue_code(current_actor(), participant, _now())
    return s.CodeOut(code=participant_code(participant), key_version=participant.key_version)


@bp.post("/participants/<int:participant_id>/code/resend")
@endpoint(
    s.CodeOut,
    summary="Mail the participant's current QR code again",
    refuses={
        **PLANNERS_ONLY,
        400: "Malformed request",
        409: "Changed by another request at the same moment (conflict)",
        413: "The request body is too large",
    },
    idempotent=False,
)
def resend_code(participant_id: int) -> s.CodeOut:
    from app.mail.messages import participant_code

    scoping.require_planner(_user())
    participant = _participant(participant_id)
    codes_ops.resend_code(current_actor(), participant, _now())
    return s.CodeOut(code=participant_code(participant), key_version=participant.key_version)


def _exemption_out(exemption: Exemption) -> s.ExemptionOut:
    return s.ExemptionOut(
        id=exemption.id,
        training_id=exemption.training_id,
        participant_id=exemption.participant_id,
        session_id=exemption.session_id,
        minutes=exemption.minutes,
        reason=exemption.reason,
        created_at=exemption.created_at,
        revoked_at=exemption.revoked_at,
    )


@bp.post("/trainings/<int:training_id>/exemptions")
@endpoint(
    s.ExemptionOut,
    status=201,
    body=s.ExemptionCreate,
    summary="Exempt a participant from one session of the training or for a number of minutes",
    refuses={
        **PLANNERS_ONLY,
        400: REFUSALS_400_EXEMPTION,
        404: "No such training, participant enrolled in it, or session of theirs in it",
    },
)
def create_exemption(training_id: int, body: s.ExemptionCreate) -> s.ExemptionOut:
    scoping.require_planner(_user())
    training = _training(training_id)
    participant = _participant(body.participant_id)
    enrolment = db.session.scalars(
        select(TrainingEnrolment).where(
            TrainingEnrolment.training_id == training.id,
            TrainingEnrolment.participant_id == participant.id,
        )
    ).first()
    if enrolment is None:
        raise NotFound("participant")
    session = None
    if body.session_id is not None:
        session = db.session.scalars(
            select(Session)
            .join(Enrolment, Enrolment.session_id == Session.id)
            .where(
                Session.id == body.session_id,
                Session.training_id == training.id,
                Enrolment.participant_id == participant.id,
            )
        ).first()
        if session is None:
            raise NotFound("session")
    exemption = attendance.add_exemption(
        current_actor(), enrolment, session, body.minutes, body.reason or ""
    )
    return _exemption_out(exemption)


@bp.post("/exemptions/<int:exemption_id>/revoke")
@endpoint(
    s.ExemptionOut,
    summary="Revoke an exemption (kept, with the time it was revoked)",
    refuses={
        **PLANNERS_ONLY,
        400: "Malformed request",
        409: "Already revoked (already_revoked), or a conflict at commit",
        413: "The request body is too large",
    },
    idempotent=False,
)
def revoke_exemption(exemption_id: int) -> s.ExemptionOut:
    scoping.require_planner(_user())
    exemption = db.session.get(Exemption, exemption_id)
    if exemption is None:
        raise NotFound("exemption")
    _training(exemption.training_id)  # in the caller's scope, or 404
    # Two revocations at once: the second waits for the first and finds it revoked.
    exemption = locked(exemption)
    if exemption.revoked_at is not None:
        raise Refusal("already_revoked", _l("This exemption was revoked already."), status=409)
    attendance.revoke_exemption(current_actor(), exemption, _now())
    return _exemption_out(exemption)
