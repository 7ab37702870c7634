"""Demo data for a first look: one branch, its staff, a training with today's session."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.audit import Actor
from app.auth.operations import create_user, get_or_create_branch
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import Branch, Participant, Role, Training, TrainingMode, User
from app.participants.operations.creating import create_participant
from app.participants.operations.enrolling import enrol
from app.planning.operations import create_project, create_session, create_training

DEMO_USERS = (
    ("admin@demo.example.org", Role.ADMIN, None, "Sam Support"),
    ("promotor@demo.example.org", Role.PROMOTOR, "Gent", "Petra Promotor"),
    ("trainer@demo.example.org", Role.TRAINER, "Gent", "Tom Trainer"),
    ("balie@demo.example.org", Role.FRONTDESK, "Gent", "Bart Balie"),
)

# Valid national register numbers (checksum 97 - n mod 97; a leading 2 for births from 2000).
DEMO_PARTICIPANTS = (
    ("An Peeters", "an.peeters@example.org", "85073003328"),
    ("Jan Janssens", "jan.janssens@example.org", "90021512370"),
    ("Lotte Maes", "lotte.maes@example.org", "02031512304"),
    ("Youssef El Amrani", "youssef.elamrani@example.org", None),
)


def _credentials_file() -> Path:
    return Path(current_app.instance_path) / "demo_logins.txt"


def _organisation(
    actor: Actor, branch: Branch, training: Training, people: list[Participant], now: datetime
) -> None:
    """The organisation printed on the certificates, and two participants on paid leave: one
    under each regime (Vlaams opleidingsverlof and betaald educatief verlof)."""
    from app.admin.operations import save_organisation, set_branch_address
    from app.attendance.operations import update_training_enrolment
    from app.domain.certificates import LeaveRegime
    from app.models import TrainingEnrolment

    save_organisation(
        actor,
        "Centrum voor Volwassenenonderwijs Demo vzw",
        "Voorbeeldstraat 1, 9000 Gent",
        "0403.199.702",
        "Dina Directeur",
        "directeur",
        now,
    )
    set_branch_address(actor, branch, "Kouter 10, 9000 Gent")
    for participant, regime in zip(people[:2], (LeaveRegime.VOV, LeaveRegime.BEV), strict=True):
        enrolment = db.session.scalars(
            select(TrainingEnrolment).where(
                TrainingEnrolment.training_id == training.id,
                TrainingEnrolment.participant_id == participant.id,
            )
        ).one()
        update_training_enrolment(
            actor, enrolment, enrolment.enrolled_on, True, None, leave_regime=regime
        )


def load_demo(now: datetime, password: str | None = None) -> list[str]:
    """Create the demo data once; return the lines to print (the logins)."""
    path = _credentials_file()
    if db.session.scalars(select(User.id).limit(1)).first() is not None:
        if path.exists():
            return path.read_text().splitlines()
        return ["Demo data not loaded: the database already has users."]
    password = password or secrets.token_urlsafe(9)
    actor = Actor(None)
    users = {}
    for email, role, branch, name in DEMO_USERS:
        users[role] = create_user(
            actor,
            email,
            role,
            password,
            get_or_create_branch(branch) if branch else None,
            name,
            must_change=False,  # the demo's printed logins keep working
        )
    promotor = Actor(users[Role.PROMOTOR])
    trainer = users[Role.TRAINER]
    project = create_project(
        promotor, "Digitale vaardigheden voor werkzoekenden", "ESF-2026-0042", "Gent"
    )
    training = create_training(
        promotor, project, "Excel voor beginners", "XL-101", TrainingMode.CLASSROOM, [trainer]
    )
    today = now.astimezone(BRUSSELS).date()
    sessions = [
        create_session(
            promotor,
            training,
            today,
            time(9),
            time(16),
            time(12),
            time(12, 30),
            "Lokaal 1.04",
            trainer,
        ),
        # Still running in the evening: a newcomer trying the scanner after work has a
        # session to scan into (scanning opens an hour before the start).
        create_session(
            promotor,
            training,
            today,
            time(17),
            time(23, 59),
            None,
            None,
            "Lokaal 1.04",
            trainer,
        ),
        create_session(
            promotor,
            training,
            today + timedelta(days=7),
            time(9),
            time(16),
            time(12),
            time(12, 30),
            "Lokaal 1.04",
            trainer,
        ),
    ]
    people = []
    for name, email, nrn in DEMO_PARTICIPANTS:
        participant: Participant = create_participant(promotor, project.branch, name, email, nrn)
        for session in sessions:
            enrol(promotor, session, participant, now=now)
        people.append(participant)
    _organisation(Actor(users[Role.ADMIN]), project.branch, training, people, now)
    db.session.commit()
    lines = [
        "Demo logins (password for all: " + password + "):",
        *(f"  {role.value:10} {email}" for email, role, _, _ in DEMO_USERS),
    ]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return lines
