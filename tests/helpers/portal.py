"""The participant portal: signing in through the mailed link, e-learning trainings, self-reports, absences."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app.audit import Actor
from app.clock import clock_of
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.mail.outbox import deliver_pending
from app.models import (
    Participant,
    PortalSignIn,
    SelfReport,
    Training,
    TrainingEnrolment,
    TrainingMode,
)
from app.settings import settings_of
from app.supervision.operations import selfreports, supervisors
from tests.helpers.mail import Inbox

LINK = re.compile(r"https?://[^\s\"<>]+/portal/link/[A-Za-z0-9_.\-]+")


def deliver(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return deliver_pending(clock_of(app), settings_of(app))


def ask_link(client, email: str):  # type: ignore[no-untyped-def]
    return client.post("/portal/sign-in", data={"email": email})


def mailed_link(app, inbox: Inbox, email: str) -> str:  # type: ignore[no-untyped-def]
    inbox.messages.clear()
    deliver(app)
    found = [
        link
        for m in inbox.messages
        if m["To"] == email
        for link in LINK.findall(m.get_body(preferencelist=("plain",)).get_content())
    ]
    assert len(found) == 1, found
    return re.sub(r"^https?://[^/]+", "", found[0])


def sign_in(app, client, inbox: Inbox, email: str) -> None:  # type: ignore[no-untyped-def]
    ask_link(client, email)
    path = mailed_link(app, inbox, email)
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/")


PDF = b"%PDF-1.4\n% a doctor's note\n"


def held_session(app, make, today, days_ago: int = 2, person=None):  # type: ignore[no-untyped-def]
    from tests.helpers.web import reopen

    session_id = make.session(today - timedelta(days=days_ago), time(0, 0), time(0, 1))
    person = person or make.participant(name="An Peeters", email="an@example.org")
    make.enrol(session_id, person)
    reopen(app, session_id)
    return session_id, person


def send(client, session_id: int, data: bytes = PDF, name: str = "briefje.pdf"):  # type: ignore[no-untyped-def]
    import io

    # follow_redirects: only then does the test client close a body it spooled to a file.
    return client.post(
        "/portal/absences",
        data={
            "kind": "doctor",
            "sessions": [session_id],
            "note": "griep",
            "document": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )


MONDAY = date(2026, 1, 5)  # a working day long past: operations get their own ``now``


EVENING = datetime.combine(MONDAY, time(20), tzinfo=BRUSSELS)


def elearning_training(app, make, today, participant_ids, branch="Gent", code="EL-7") -> int:  # type: ignore[no-untyped-def]
    """An e-learning training without sessions; the participants enrolled since long ago."""
    from app.participants.operations.enrolling import enrol_in_elearning
    from app.planning.operations import create_project, create_training
    from tests.builders import _planner

    with app.app_context():
        planner = Actor(_planner(branch))
        project = create_project(planner, "E-project", f"ESF-EL-{code}", branch)
        training = create_training(planner, project, "Excel online", code, TrainingMode.ELEARNING)
        for pid in participant_ids:
            enrol_in_elearning(
                planner, training, db.session.get(Participant, pid), now=clock_of(app).now()
            )
        for enrolment in db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.training_id == training.id)
        ):
            enrolment.enrolled_on = MONDAY - timedelta(days=30)
        db.session.commit()
        return training.id


def link_supervisor(app, participant_id: int, name: str, email: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        supervisor = supervisors.set_supervisor(
            Actor(None), db.session.get(Participant, participant_id), name, email
        )
        db.session.commit()
        return supervisor.id


def report(
    app,
    training_id,
    participant_id,
    day=MONDAY,
    start=time(9),
    end=time(11),
    minutes=None,
    now=EVENING,
    replaces=None,
):  # type: ignore[no-untyped-def]
    """Report through the operation the portal calls; the refusal (if any) is raised."""
    with app.app_context():
        made = selfreports.report_hours(
            Actor(None),
            db.session.get(Training, training_id),
            db.session.get(Participant, participant_id),
            day,
            start,
            end,
            minutes,
            "Module 3: formules",
            now,
            replaces=db.session.get(SelfReport, replaces) if replaces else None,
        )
        db.session.commit()
        return made.id


def portal_client(app, email: str):  # type: ignore[no-untyped-def]
    """A client signed in to the portal as ``email`` (the mailed link is tested in test_portal)."""
    with app.app_context():
        now = datetime.now(UTC)
        sign_in = PortalSignIn(
            email=email, nonce_hash=email, requested_at=now, expires_at=now, used_at=now
        )
        db.session.add(sign_in)
        db.session.commit()
        sign_in_id = sign_in.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["portal_sign_in"] = sign_in_id
    return client
