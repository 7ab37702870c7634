"""Builders for test data: ``make.session(...)`` instead of copy-pasted setup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.audit import Actor
from app.auth.operations import create_user, get_or_create_branch, issue_token
from app.extensions import db
from app.mail.messages import participant_code
from app.models import Participant, Role, Session, TrainingMode, User
from app.participants.operations.creating import create_participant
from app.participants.operations.enrolling import enrol
from app.planning.operations import create_project, create_session, create_training

PASSWORD = "correct horse battery"


@dataclass
class Api:
    """A JSON client acting with one bearer token."""

    client: FlaskClient
    token: str

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.client.get("/api/v1" + path, headers=self._headers(), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(), **kwargs)


class Builders:
    def __init__(self, app: Flask):
        self.app = app
        self._count = 0

    def _next(self) -> int:
        self._count += 1
        return self._count

    def user(
        self,
        role: Role | str = Role.PROMOTOR,
        branch: str | None = "Gent",
        email: str | None = None,
    ) -> int:
        with self.app.app_context():
            user = create_user(
                Actor(None),
                email or f"user{self._next()}@example.org",
                Role(role),
                PASSWORD,
                get_or_create_branch(branch) if branch else None,
                must_change=False,
            )
            db.session.commit()
            return user.id

    def token(self, user_id: int) -> str:
        with self.app.app_context():
            plain = issue_token(Actor(None), db.session.get(User, user_id))
            db.session.commit()
            return plain

    def api(self, role: Role | str = Role.PROMOTOR, branch: str | None = "Gent") -> Api:
        return Api(self.app.test_client(), self.token(self.user(role, branch)))

    def session(
        self,
        day: date,
        start: time = time(9),
        end: time = time(16),
        break_start: time | None = None,
        break_end: time | None = None,
        branch: str = "Gent",
        trainer_id: int | None = None,
        training_id: int | None = None,
    ) -> int:
        with self.app.app_context():
            actor = Actor(None)
            trainer = db.session.get(User, trainer_id) if trainer_id else None
            if training_id is None:
                get_or_create_branch(branch)
                project = create_project(
                    Actor(_planner(branch)), f"Project {self._next()}", f"ESF-{self._count}", branch
                )
                training = create_training(
                    actor,
                    project,
                    "Training",
                    "T1",
                    TrainingMode.CLASSROOM,
                    [trainer] if trainer else [],
                )
            else:
                from app.models import Training

                training = db.session.get(Training, training_id)
            session = create_session(
                actor, training, day, start, end, break_start, break_end, "Room 1", trainer
            )
            db.session.commit()
            return session.id

    def participant(
        self,
        branch: str = "Gent",
        name: str | None = None,
        email: str | None = None,
        national_number: str | None = None,
    ) -> int:
        with self.app.app_context():
            n = self._next()
            participant = create_participant(
                Actor(None),
                get_or_create_branch(branch),
                name or f"Participant {n}",
                email or f"p{n}@example.org",
                national_number,
            )
            db.session.commit()
            return participant.id

    def enrol(self, session_id: int, participant_id: int) -> None:
        with self.app.app_context():
            enrol(
                Actor(None),
                db.session.get(Session, session_id),
                db.session.get(Participant, participant_id),
            )
            db.session.commit()

    def code(self, participant_id: int) -> str:
        with self.app.app_context():
            return participant_code(db.session.get(Participant, participant_id))


def _planner(branch: str) -> User:
    """A throwaway planner of ``branch`` so operations that need a branch scope get one."""
    user = db.session.query(User).filter(User.role == Role.ADMIN, User.branch_id.is_(None)).first()
    if user is None:
        user = create_user(
            Actor(None), "builder-admin@example.org", Role.ADMIN, PASSWORD, None, must_change=False
        )
        db.session.flush()
    return user


def future_monday() -> date:
    """A Monday well in the future with working days after it: the first Monday of December
    next year (no Belgian public holiday in that week), so tests with closure days (which
    may not lie in the past) keep working whatever day they run."""
    from datetime import timedelta

    first = date(date.today().year + 1, 12, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)
