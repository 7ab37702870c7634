"""The migration that makes the audit trail readable fills in, for the records kept before it,
the participant, session, training and branch their objects belong to (also for an enrolment
deleted since, from its snapshot)."""

from __future__ import annotations

import json
from datetime import date, time

from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.models import Branch, Enrolment, Participant, Project, Session, Training, TrainingMode
from tests.helpers.config import BASE_CONFIG

BEFORE = "authz01nrn"  # the revision before api_audit_context


def test_the_records_kept_before_get_their_context(tmp_path):
    from flask_migrate import upgrade

    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"},
        instance_path=str(tmp_path),
    )
    with app.app_context():
        upgrade(revision=BEFORE)
        branch = Branch(name="Gent")
        project = Project(name="P", number="ESF-1", branch=branch)
        training = Training(project=project, name="Excel", code="", mode=TrainingMode.CLASSROOM)
        session = Session(training=training, day=date(2026, 3, 2), start=time(9), end=time(12))
        person = Participant(branch=branch, name="An", email="an@example.org")
        db.session.add_all([branch, project, training, session, person])
        db.session.flush()
        enrolment = Enrolment(session_id=session.id, participant_id=person.id)
        db.session.add(enrolment)
        db.session.flush()
        ids = {
            "branch": branch.id,
            "training": training.id,
            "session": session.id,
            "person": person.id,
            "enrolment": enrolment.id,
            "project": project.id,
        }
        snapshot = json.dumps({"session_id": session.id, "participant_id": person.id})
        rows = [
            ("session.create", "sessions", ids["session"], None),
            ("participant.reveal_national_number", "participants", ids["person"], None),
            ("enrolment.delete", "enrolments", 999, snapshot),  # deleted since: its snapshot
            ("project.change", "projects", ids["project"], None),
            ("user.change", "users", 1, None),
        ]
        for action, kind, object_id, before in rows:
            db.session.execute(
                text(
                    "INSERT INTO audit_records (at, action, object_type, object_id, before) "
                    "VALUES ('2026-03-01 10:00:00', :a, :k, :o, :b)"
                ),
                {"a": action, "k": kind, "o": object_id, "b": before},
            )
        db.session.commit()
        upgrade()
        found = {
            row.action: row
            for row in db.session.execute(
                text(
                    "SELECT action, branch_id, participant_id, session_id, training_id "
                    "FROM audit_records"
                )
            )
        }
        db.session.remove()
        db.engine.dispose()
    assert tuple(found["session.create"][1:]) == (
        ids["branch"],
        None,
        ids["session"],
        ids["training"],
    )
    assert tuple(found["participant.reveal_national_number"][1:]) == (
        ids["branch"],
        ids["person"],
        None,
        None,
    )
    assert tuple(found["enrolment.delete"][1:]) == (
        ids["branch"],
        ids["person"],
        ids["session"],
        ids["training"],
    )
    assert found["project.change"].branch_id == ids["branch"]
    assert found["user.change"].branch_id is None  # central support's only
