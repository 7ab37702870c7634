"""Changing what was planned, through the API as on the web: ``PATCH`` a project, training or
session (a JSON merge patch, RFC 7396, with ``If-Match``), cancel and restore a session.

Each endpoint reads the patch, takes the stored values for what is left out, and calls the
same operation the web's form calls (``app.planning.operations``): the same rules, refusal
codes and audit records. ``app.api.editing`` makes the version check and the write one step.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l

from app import scoping
from app.api import bp
from app.api import schemas as s
from app.api.auth import current_actor
from app.api.editing import locked, require_version
from app.api.openapi import REFUSALS, endpoint
from app.api.routes import PLANNERS_ONLY, _session, _session_out, _trainers, _user
from app.clock import now as _now
from app.errors import Refusal
from app.models import Participant, Project, Training
from app.participants.operations import codes as codes_ops
from app.participants.operations import editing
from app.planning import operations as planning
from app.settings import settings

EDIT_REFUSALS = {
    **PLANNERS_ONLY,
    409: "Refused by a planning rule (the code says which), or a conflict at commit",
    412: "Stale: the resource changed since the version sent (stale, with the current version)",
    428: "No If-Match header and no version field (precondition_required)",
}


T = TypeVar("T")


def _given(body: Any, *required: str) -> set[str]:
    """The fields the patch names; a field that cannot be emptied given as null is a 400."""
    given = set(body.model_fields_set) - {"version"}
    for name in required:
        if name in given and getattr(body, name) is None:
            raise s.invalid(name, s.MESSAGES["required"](field=name))
    return given


def _kept(value: T | None, current: T) -> T:
    """A field ``_given`` requires: the patch's value, or the current one when it is not given
    (left out it is None, the default; given as null it was refused)."""
    return current if value is None else value


@bp.patch("/projects/<int:project_id>")
@endpoint(
    s.ProjectOut,
    body=s.ProjectPatch,
    summary="Change a project (JSON merge patch, If-Match)",
    refuses={**EDIT_REFUSALS, 400: REFUSALS[400] + "; or an unknown branch (unknown_branch)"},
)
def patch_project(project_id: int, body: s.ProjectPatch) -> s.ProjectOut:
    user = _user()
    scoping.require_planner(user)
    project = locked(scoping.get_one(scoping.projects(user), Project, project_id, "project"))
    require_version(project, body.version)
    given = _given(body, "name", "number")
    planning.update_project(
        current_actor(),
        project,
        _kept(body.name, project.name),
        _kept(body.number, project.number),
        body.branch if "branch" in given and body.branch else None,
    )
    return s.ProjectOut.of(project)


@bp.patch("/trainings/<int:training_id>")
@endpoint(
    s.TrainingOut,
    body=s.TrainingPatch,
    summary="Change a training (JSON merge patch, If-Match)",
    refuses={**EDIT_REFUSALS, 404: "No such training in scope"},
)
def patch_training(training_id: int, body: s.TrainingPatch) -> s.TrainingOut:
    user = _user()
    scoping.require_planner(user)
    training = locked(scoping.get_one(scoping.trainings(user), Training, training_id, "training"))
    require_version(training, body.version)
    given = _given(body, "name", "mode", "hours_method")
    actor = current_actor()
    if given & {"name", "code", "mode", "trainers"}:
        planning.update_training(
            actor,
            training,
            _kept(body.name, training.name),
            (body.code or "") if "code" in given else training.code,
            _kept(body.mode, training.mode),
            _trainers(body.trainers, "trainers") if "trainers" in given else training.trainers,
        )
    if "hours_method" in given and body.hours_method != training.hours_method:
        planning.set_training_details(actor, training, hours_method=body.hours_method)
    return s.TrainingOut.of(training)


@bp.patch("/sessions/<int:session_id>")
@endpoint(
    s.SessionOut,
    body=s.SessionPatch,
    summary="Change a session's date, times, break, place or trainer (JSON merge patch, If-Match)",
    description="The rules of the web's form: an overlap within the training (409 overlap), "
    "registrations that would fall outside (409 registrations_outside, unless support gives a "
    "reason), a cancelled or submitted session (409), a trainer booked elsewhere at that time "
    "(409 trainer_busy, unless confirm_trainer).",
    refuses={**EDIT_REFUSALS, 400: REFUSALS[400] + "; or impossible times"},
)
def patch_session(session_id: int, body: s.SessionPatch) -> s.SessionOut:
    user = _user()
    scoping.require_planner(user)
    session = locked(_session(session_id))
    require_version(session, body.version)
    given = _given(body, "date", "start", "end")
    trainer = session.trainer
    if "trainer_email" in given:
        trainer = (
            _trainers([body.trainer_email], "trainer_email")[0] if body.trainer_email else None
        )
    day = _kept(body.date, session.day)
    start = _kept(body.start, session.start)
    end = _kept(body.end, session.end)
    if trainer is not None and not body.confirm_trainer:
        clashes = planning.trainer_clashes(trainer, day, start, end, session.id)
        if clashes:
            raise Refusal(
                "trainer_busy",
                _l("This trainer teaches another session at that time."),
                status=409,
                session_id=clashes[0].id,
            )
    planning.update_session(
        current_actor(),
        session,
        day,
        start,
        end,
        body.break_start if "break_start" in given else session.break_start,
        body.break_end if "break_end" in given else session.break_end,
        (body.location or "") if "location" in given else session.location,
        trainer,
        _now(),
        reason=body.reason,
        early_minutes=settings().scan_early_minutes,
    )
    return _session_out(session)


@bp.post("/sessions/<int:session_id>/cancel")
@endpoint(
    s.SessionOut,
    body=s.SessionCancel,
    summary="Cancel a session nobody was registered in (the enrolled are told by mail)",
    refuses={
        **PLANNERS_ONLY,
        409: "Already cancelled, submitted, or has registrations (has_registrations)",
        412: EDIT_REFUSALS[412],
    },
)
def cancel_session(session_id: int, body: s.SessionCancel) -> s.SessionOut:
    scoping.require_planner(_user())
    session = locked(_session(session_id))
    if body.version is not None or _if_match():
        require_version(session, body.version)
    planning.cancel_session(current_actor(), session, body.reason or "", _now())
    return _session_out(session)


@bp.post("/sessions/<int:session_id>/restore")
@endpoint(
    s.SessionOut,
    body=s.SessionRestore,
    summary="Undo a session's cancellation",
    refuses={
        **PLANNERS_ONLY,
        409: "Not cancelled (not_cancelled), past its deadline (locked), or its time is now "
        "taken by another session of the training (overlap)",
        412: EDIT_REFUSALS[412],
    },
)
def restore_session(session_id: int, body: s.SessionRestore) -> s.SessionOut:
    scoping.require_planner(_user())
    session = locked(_session(session_id))
    if body.version is not None or _if_match():
        require_version(session, body.version)
    planning.restore_session(current_actor(), session, _now())
    return _session_out(session)


def _if_match() -> bool:
    from flask import request

    return bool(request.headers.get("If-Match"))


@bp.patch("/participants/<int:participant_id>")
@endpoint(
    s.ParticipantOut,
    body=s.ParticipantPatch,
    summary="Correct a participant's name, email, national register number or external id "
    "(JSON merge patch, If-Match)",
    refuses={
        **EDIT_REFUSALS,
        400: REFUSALS[400] + "; or an invalid email (invalid_email) or national register "
        "number (invalid_national_number)",
        409: "The email, national register number or external id is another record's "
        "(with its participant_id)",
    },
)
def patch_participant(participant_id: int, body: s.ParticipantPatch) -> s.ParticipantOut:
    user = _user()
    scoping.require_planner(user)
    participant = locked(
        scoping.get_one(scoping.participants(user), Participant, participant_id, "participant")
    )
    require_version(participant, body.version)
    given = _given(body, "name", "email")
    actor = current_actor()
    changed = editing.update_participant(
        actor,
        participant,
        _kept(body.name, participant.name),
        _kept(body.email, participant.email),
        body.national_number if "national_number" in given else None,
        (body.external_id or "") if "external_id" in given else None,
        now=_now(),
    )
    if changed and body.send_code:
        codes_ops.resend_code(actor, participant, _now())
    return s.ParticipantOut.of(participant)
