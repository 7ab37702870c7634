"""API endpoints: parse the request, call one operation, commit, answer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import scoping
from app.api import bp, serializers, validation
from app.api.auth import current_actor, current_principal, reauthenticate
from app.api.openapi import SPEC
from app.attendance.figures import training_figures
from app.attendance.reports import rows as attendance_rows
from app.errors import Refusal
from app.extensions import db
from app.mail.messages import participant_code
from app.models import (
    Participant,
    Project,
    Registration,
    Role,
    Session,
    Training,
    TrainingMode,
    User,
)
from app.participants import operations as people
from app.planning import operations as planning
from app.scanning import service
from app.scanning.roster import roster
from app.scoping import Principal
from app.security import qr_public_key
from qr import public_key_to_pem


def _now() -> datetime:
    return datetime.now(UTC)


def _user() -> User:
    user = current_actor().user
    assert user is not None
    return user


def _trainer(email: str | None) -> User | None:
    if email is None:
        return None
    trainer = db.session.scalars(select(User).where(User.email == email.lower())).first()
    user = _user()
    if trainer is None or (user.branch_id and trainer.branch_id not in (None, user.branch_id)):
        raise validation.invalid("trainer_email", _l("There is no user with this email address."))
    return trainer


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    return jsonify(SPEC)


@bp.get("/qr/public-key")
def public_key():  # type: ignore[no-untyped-def]
    return jsonify({"algorithm": "Ed25519", "public_key_pem": public_key_to_pem(qr_public_key())})


@bp.get("/projects")
def list_projects():  # type: ignore[no-untyped-def]
    items = db.session.scalars(scoping.projects(_user()).order_by(Project.id)).all()
    return jsonify({"items": [serializers.project(p) for p in items]})


@bp.post("/projects")
def create_project():  # type: ignore[no-untyped-def]
    scoping.require_planner(_user())
    data = validation.json_body()
    project = planning.create_project(
        current_actor(),
        validation.text(data, "name"),
        validation.text(data, "number", max_length=60),
        validation.text(data, "branch", required=False, max_length=120),
    )
    db.session.commit()
    return jsonify(serializers.project(project)), 201


@bp.get("/projects/<int:project_id>")
def get_project(project_id: int):  # type: ignore[no-untyped-def]
    return jsonify(
        serializers.project(
            scoping.get_one(scoping.projects(_user()), Project, project_id, "project")
        )
    )


@bp.get("/trainings")
def list_trainings():  # type: ignore[no-untyped-def]
    items = db.session.scalars(scoping.trainings(_user()).order_by(Training.id)).all()
    return jsonify({"items": [serializers.training(t) for t in items]})


@bp.post("/trainings")
def create_training():  # type: ignore[no-untyped-def]
    user = _user()
    scoping.require_planner(user)
    data = validation.json_body()
    project_id = validation.integer(data, "project_id")
    project = scoping.get_one(scoping.projects(user), Project, project_id, "project")
    trainer_emails = data.get("trainers") or []
    if not isinstance(trainer_emails, list) or not all(isinstance(e, str) for e in trainer_emails):
        raise validation.invalid(
            "trainers", _l("The field trainers must be a list of email addresses.")
        )
    training = planning.create_training(
        current_actor(),
        project,
        validation.text(data, "name"),
        validation.text(data, "code", required=False, max_length=60) or "",
        validation.choice(data, "mode", TrainingMode, default=TrainingMode.CLASSROOM),
        [t for t in (_trainer(e) for e in trainer_emails) if t is not None],
    )
    db.session.commit()
    return jsonify(serializers.training(training)), 201


@bp.get("/trainings/<int:training_id>")
def get_training(training_id: int):  # type: ignore[no-untyped-def]
    training = scoping.get_one(scoping.trainings(_user()), Training, training_id, "training")
    return jsonify(serializers.training(training))


@bp.get("/sessions")
def list_sessions():  # type: ignore[no-untyped-def]
    query = scoping.sessions(_user())
    if "date" in request.args:
        query = query.where(Session.day == validation.day(dict(request.args), "date"))
    if "training_id" in request.args:
        try:
            query = query.where(Session.training_id == int(request.args["training_id"]))
        except ValueError as exc:
            raise validation.invalid(
                "training_id", _l("training_id must be a whole number.")
            ) from exc
    items = db.session.scalars(query.order_by(Session.day, Session.start, Session.id)).all()
    now = _now()
    return jsonify({"items": [serializers.session(s, now) for s in items]})


@bp.post("/sessions")
def create_session():  # type: ignore[no-untyped-def]
    user = _user()
    scoping.require_planner(user)
    data = validation.json_body()
    training_id = validation.integer(data, "training_id")
    training = scoping.get_one(scoping.trainings(user), Training, training_id, "training")
    session = planning.create_session(
        current_actor(),
        training,
        validation.day(data, "date"),
        validation.clock(data, "start"),
        validation.clock(data, "end"),
        validation.clock(data, "break_start", required=False),
        validation.clock(data, "break_end", required=False),
        validation.text(data, "location", required=False) or "",
        _trainer(validation.text(data, "trainer_email", required=False, max_length=254)),
    )
    db.session.commit()
    return jsonify(serializers.session(session, _now())), 201


def _session(session_id: int) -> Session:
    return scoping.get_one(scoping.sessions(_user()), Session, session_id, "session")


@bp.get("/sessions/<int:session_id>")
def get_session(session_id: int):  # type: ignore[no-untyped-def]
    return jsonify(serializers.session(_session(session_id), _now()))


@bp.get("/sessions/<int:session_id>/roster")
def session_roster(session_id: int):  # type: ignore[no-untyped-def]
    session = _session(session_id)
    entries = roster(session)
    return jsonify(
        {
            "session": serializers.session(session, _now()),
            "participants": [
                {
                    "id": e.participant.id,
                    "name": e.participant.name,
                    "key_version": e.participant.key_version,
                    "state": e.state,
                    "last_at": e.last_at.isoformat() if e.last_at else None,
                }
                for e in entries
            ],
        }
    )


@bp.get("/sessions/<int:session_id>/registrations")
def session_registrations(session_id: int):  # type: ignore[no-untyped-def]
    session = _session(session_id)
    items = db.session.scalars(
        select(Registration)
        .where(Registration.session_id == session.id)
        .order_by(Registration.at, Registration.id)
    ).all()
    return jsonify({"items": [serializers.registration(r) for r in items]})


@bp.get("/sessions/<int:session_id>/enrolments")
def session_enrolments(session_id: int):  # type: ignore[no-untyped-def]
    entries = roster(_session(session_id))
    return jsonify({"items": [serializers.participant(e.participant) for e in entries]})


@bp.post("/sessions/<int:session_id>/enrolments")
def enrol(session_id: int):  # type: ignore[no-untyped-def]
    user = _user()
    scoping.require_planner(user)
    session = _session(session_id)
    data = validation.json_body()
    participant_id = validation.integer(data, "participant_id")
    participant = scoping.get_one(
        scoping.participants(user), Participant, participant_id, "participant"
    )
    enrolment, created = people.enrol(current_actor(), session, participant)
    db.session.commit()
    body = {
        "id": enrolment.id,
        "session_id": session.id,
        "participant_id": participant.id,
        "created": created,
    }
    return jsonify(body), 201 if created else 200


@bp.get("/participants")
def list_participants():  # type: ignore[no-untyped-def]
    items = db.session.scalars(scoping.participants(_user()).order_by(Participant.name)).all()
    return jsonify({"items": [serializers.participant(p) for p in items]})


@bp.post("/participants")
def create_participant():  # type: ignore[no-untyped-def]
    user = _user()
    scoping.require_planner(user)
    data = validation.json_body()
    branch_name = validation.text(data, "branch", required=False, max_length=120)
    participant = people.create_participant(
        current_actor(),
        planning.branch_for(current_actor(), branch_name),
        validation.text(data, "name"),
        validation.text(data, "email", max_length=254),
        validation.text(data, "national_number", required=False, max_length=20),
    )
    db.session.commit()
    return jsonify(serializers.participant(participant)), 201


def _participant(participant_id: int) -> Participant:
    return scoping.get_one(
        scoping.participants(_user()), Participant, participant_id, "participant"
    )


@bp.get("/participants/<int:participant_id>")
def get_participant(participant_id: int):  # type: ignore[no-untyped-def]
    return jsonify(serializers.participant(_participant(participant_id)))


@bp.get("/participants/<int:participant_id>/code")
def participant_code_view(participant_id: int):  # type: ignore[no-untyped-def]
    user = _user()
    scoping.require_planner(user)
    participant = _participant(participant_id)
    return jsonify({"code": participant_code(participant), "key_version": participant.key_version})


@bp.post("/scans")
def scan():  # type: ignore[no-untyped-def]
    data = validation.json_body()
    request_ = service.ScanRequest(
        session_id=validation.integer(data, "session_id"),
        code=validation.text(data, "code", max_length=400),
        nonce=validation.text(data, "nonce", max_length=64),
        scanned_at=validation.moment(data, "scanned_at", required=False),
        direction=validation.text(data, "direction", required=False, max_length=4) or "auto",
    )
    if request_.direction not in ("auto", "in", "out"):
        raise validation.invalid("direction", _l("direction must be auto, in or out."))
    try:
        answer = service.scan(_scanning_principal(current_principal()), request_, _now())
    except service.CallerChanged:
        # The token was read before it was revoked, or before its user changed: read it again.
        db.session.rollback()
        principal = _scanning_principal(reauthenticate())
        answer = service.scan(principal, request_, _now())
    return jsonify(answer)


def _scanning_principal(principal: Principal) -> Principal:
    if principal.role == Role.FRONTDESK:
        raise Refusal("forbidden", _l("Front desk accounts cannot register scans."), status=403)
    return principal


@bp.get("/trainings/<int:training_id>/attendance")
def training_attendance(training_id: int):  # type: ignore[no-untyped-def]
    """The figures per participant (hours as decimal numbers with two decimals)."""
    user = _user()
    if user.role == Role.FRONTDESK:
        raise Refusal("forbidden", _l("You may not do this."), status=403)
    training = scoping.get_one(scoping.trainings(user), Training, training_id, "training")
    items = [
        {**row, **{k: float(v) for k, v in row.items() if isinstance(v, Decimal)}}
        for row in attendance_rows(training_figures(training, _now()))
    ]
    return jsonify({"training_id": training.id, "items": items})
