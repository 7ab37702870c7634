"""Heavy pages, downloads and lists run a fixed number of queries: the same for 2 rows as for
20 (participants, sessions, trainings, trainers, days and projects all grow), counted with a
``before_cursor_execute`` listener on the engine around one request. Enrolling a set of
participants in a whole training is a fixed number of statements too.

The figures of one participant, computed from their own rows, equal their figures in the
training-wide computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import event, func, select

from app.attendance.figures import participant_figures, training_figures
from app.auth.operations import get_or_create_branch
from app.domain.cutoff import BRUSSELS
from app.domain.sessions import local_datetime
from app.extensions import db
from app.models import (
    AuditRecord,
    Branch,
    Certificate,
    CertificateKind,
    Enrolment,
    Exemption,
    Justification,
    JustificationKind,
    Kind,
    OutboxMail,
    Participant,
    Project,
    Registration,
    Role,
    Session,
    Source,
    Training,
    TrainingEnrolment,
    TrainingMode,
    User,
)
from tests.helpers.queries import queries

PAST = date(2026, 1, 5)


@dataclass
class World:
    """One independent set of data of size ``n``, in the promotor's branch (Gent)."""

    project: int
    training: int
    session: int
    participant: int
    first_day: date
    last_day: date


def build_world(app, n: int, tag: str) -> World:  # type: ignore[no-untyped-def]
    """A project whose main training has ``n`` past sessions (one a day, each with its own
    trainer) and ``n`` participants enrolled in all of them, checked in and out except one
    absence each; a justification, an exemption, a correction, late enrolment, paid leave and an
    issued certificate; ``n - 1`` more trainings with a session in the past, one today and one
    to come; ``n - 1`` more projects."""
    today = datetime.now(UTC).astimezone(BRUSSELS).date()
    with app.app_context():
        branch = get_or_create_branch("Gent")
        project = Project(name=f"Project {tag}", number=f"ESF-{tag}", branch=branch)
        trainers = [
            User(
                email=f"trainer-{tag}-{i}@example.org",
                name=f"Trainer {tag} {i}",
                role=Role.TRAINER,
                branch=branch,
                password_hash="-",
            )
            for i in range(n)
        ]
        main = Training(project=project, name=f"Main {tag}", code=tag, mode=TrainingMode.CLASSROOM)
        main.trainers = trainers[:2]
        days = [PAST + timedelta(days=i) for i in range(n)]
        sessions = [
            Session(
                training=main, day=day, start=time(9), end=time(12, 30), break_start=time(10, 30),
                break_end=time(11), location="Room", trainer=trainers[i],
            )
            for i, day in enumerate(days)
        ]  # fmt: skip
        people = [
            Participant(branch=branch, name=f"Person {tag} {i:02d}", email=f"{tag}-{i}@example.org")
            for i in range(n)
        ]
        db.session.add_all([project, main, *trainers, *sessions, *people])
        db.session.flush()
        nonce = 0
        for p_index, person in enumerate(people):
            late = p_index == 1
            db.session.add(
                TrainingEnrolment(
                    training=main,
                    participant=person,
                    enrolled_on=days[min(1, n - 1)] if late else PAST - timedelta(days=7),
                    paid_leave=p_index % 2 == 0,
                    terminated_on=days[-1] - timedelta(days=1) if p_index == 2 else None,
                )
            )
            for s_index, session in enumerate(sessions):
                db.session.add(Enrolment(session=session, participant=person))
                if s_index == p_index % n:
                    continue  # absent once
                for kind, at in ((Kind.IN, time(8, 55)), (Kind.OUT, time(12, 30))):
                    nonce += 1
                    db.session.add(
                        Registration(
                            session=session, participant=person, kind=kind,
                            at=local_datetime(session.day, at), source=Source.SCAN,
                            nonce=f"{tag}-{nonce}",
                        )
                    )  # fmt: skip
        db.session.flush()
        # A roll-call check-in corrected to a later arrival, for the first person.
        ticked = db.session.scalars(
            select(Registration).where(
                Registration.participant_id == people[0].id,
                Registration.session_id == sessions[-1].id,
                Registration.kind == Kind.IN,
            )
        ).first()
        if ticked is not None:
            db.session.add(
                Registration(
                    session=sessions[-1], participant=people[0], kind=Kind.IN,
                    at=local_datetime(sessions[-1].day, time(9, 20)), source=Source.CORRECTION,
                    nonce=f"{tag}-correction", voids_id=ticked.id, reason="late arrival",
                )
            )  # fmt: skip
        justification = Justification(
            participant=people[0], kind=JustificationKind.DOCTOR, handed_in_on=days[0]
        )
        justification.sessions = [sessions[0]]
        db.session.add(justification)
        db.session.add(
            Exemption(
                training_id=main.id, participant=people[-1], session=sessions[0], reason="EVC"
            )
        )
        db.session.add(
            Exemption(training_id=main.id, participant=people[0], minutes=30, reason="EVC")
        )
        db.session.add(
            Certificate(
                kind=CertificateKind.REGULAR_ENROLMENT, training=main, participant=people[0],
                figures={}, pdf=b"%PDF", issued_at=datetime.now(UTC),
            )
        )  # fmt: skip
        for i in range(1, n):
            other = Training(
                project=project, name=f"Other {tag} {i:02d}", mode=TrainingMode.CLASSROOM
            )
            for day in (days[i], today, today + timedelta(days=i)):
                session = Session(
                    training=other, day=day, start=time(0, 5), end=time(23, 55),
                    location="Room", trainer=trainers[i],
                )  # fmt: skip
                db.session.add(session)
                db.session.add(Enrolment(session=session, participant=people[i]))
            db.session.add(
                Project(name=f"Extra {tag} {i:02d}", number=f"X-{tag}-{i}", branch=branch)
            )
        db.session.commit()
        return World(project.id, main.id, sessions[0].id, people[0].id, days[0], days[-1])


def heavy(world: World) -> list[str]:
    t, p = world.training, world.project
    span = f"start={world.first_day}&end={world.last_day + timedelta(days=400)}"
    return [
        f"/trainings/{t}/attendance",
        f"/trainings/{t}/attendance.csv",
        f"/trainings/{t}/attendance.xlsx",
        f"/trainings/{t}/certificates",
        f"/trainings/{t}/paper-list/0.pdf",
        f"/trainings/{t}/participants/{world.participant}",
        f"/projects/{p}/submission?{span}",
        f"/projects/{p}/submission.csv?{span}",
        f"/projects/{p}/submission.xlsx?{span}",
    ]


def lists(world: World) -> list[str]:
    return [
        "/",
        "/archive",
        "/archive?filter=unsubmitted",
        "/projects",
        f"/projects/{world.project}",
        "/participants/",
        f"/trainings/{world.training}",
        f"/sessions/{world.session}",
        f"/trainings/{world.training}/certificates",
        "/frontdesk",
        f"/?month={world.first_day:%Y-%m}",
        f"/sessions/{world.session}/roll-call",
        f"/sessions/{world.session}/edit",
        f"/participants/{world.participant}",
        f"/trainings/{world.training}/series",
    ]


@pytest.fixture
def promotor(app, make, auth):  # type: ignore[no-untyped-def]
    return auth.as_role(Role.PROMOTOR)


def test_heavy_pages_and_downloads_run_the_same_queries_for_2_and_for_20_rows(app, promotor):
    small = build_world(app, 2, "s")
    counted = {i: queries(app, promotor, path) for i, path in enumerate(heavy(small))}
    large = build_world(app, 20, "l")
    grown = {i: queries(app, promotor, path) for i, path in enumerate(heavy(large))}
    paths = heavy(large)
    assert {paths[i]: n for i, n in grown.items()} == {paths[i]: n for i, n in counted.items()}


def test_lists_run_the_same_queries_for_2_and_for_20_rows(app, promotor):
    small = build_world(app, 2, "s")
    counted = {i: queries(app, promotor, path) for i, path in enumerate(lists(small))}
    large = build_world(app, 20, "l")  # the lists now show 22 rows: both worlds
    grown = {i: queries(app, promotor, path) for i, path in enumerate(lists(large))}
    paths = lists(large)
    assert {paths[i]: n for i, n in grown.items()} == {paths[i]: n for i, n in counted.items()}


def test_one_participants_figures_are_their_figures_in_the_whole_training(app):
    world = build_world(app, 6, "w")
    with app.app_context():
        training = db.session.get(Training, world.training)
        statuses = set()
        # Some lessons still to come, so the early warning looks at remaining lessons too.
        for moment in (world.first_day + timedelta(days=2), world.last_day + timedelta(days=1)):
            now = datetime.combine(moment, time(12), tzinfo=BRUSSELS)
            for period in (None, (world.first_day, world.first_day + timedelta(days=3))):
                whole = training_figures(training, now, period).participants
                assert len(whole) == 6
                for person in whole:
                    alone = participant_figures(training, person.participant, now, period)
                    assert alone == person, person.participant.name
                statuses |= {line.attendance.status for p in whole for line in p.sessions}
        assert {"present", "absent", "exempt", "late_enrolment", "future"} <= statuses


def enrol_statements(app, client, training: int, people: list[int]) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        engine = db.engine
    count = 0

    def seen(*_args) -> None:  # type: ignore[no-untyped-def]
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = client.post(
            f"/trainings/{training}/enrol", data={"enrol-participants": [str(p) for p in people]}
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == 302
    return count


def new_training(app, sessions: int, tag: str) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    """A future training with ``sessions`` sessions and as many new participants (never
    enrolled, so each gets their first QR mail)."""
    today = datetime.now(UTC).astimezone(BRUSSELS).date()
    with app.app_context():
        branch = db.session.scalars(select(Branch).where(Branch.name == "Gent")).one()
        project = Project(name=f"Enrol {tag}", number=f"E-{tag}", branch=branch)
        training = Training(project=project, name=f"Enrol {tag}", mode=TrainingMode.CLASSROOM)
        db.session.add_all(
            [
                project,
                training,
                *(
                    Session(training=training, day=today + timedelta(days=7 + i), start=time(9),
                            end=time(12), location="Room")
                    for i in range(sessions)
                ),
            ]
        )  # fmt: skip
        people = [
            Participant(branch=branch, name=f"New {tag} {i}", email=f"new-{tag}-{i}@example.org")
            for i in range(sessions)
        ]
        db.session.add_all(people)
        db.session.commit()
        return training.id, [p.id for p in people]


def test_enrolling_people_in_a_whole_training_is_a_fixed_number_of_statements(app, promotor):
    small, small_people = new_training(app, 2, "s")
    large, large_people = new_training(app, 20, "l")
    assert enrol_statements(app, promotor, small, small_people) == enrol_statements(
        app, promotor, large, large_people
    )
    with app.app_context():
        # Every enrolment and training enrolment is there and audited; each person got one mail.
        enrolments = db.session.scalar(select(func.count()).select_from(Enrolment))
        assert enrolments == 2 * 2 + 20 * 20
        audited = db.session.execute(
            select(AuditRecord.action, func.count()).group_by(AuditRecord.action)
        ).all()
        assert dict(audited)["enrolment.create"] == enrolments
        assert dict(audited)["training_enrolment.create"] == 22
        mails = db.session.scalars(select(OutboxMail.participant_id)).all()
        assert sorted(mails) == sorted(small_people + large_people)
        assert all(
            p.code_sent_at is not None
            for p in db.session.scalars(select(Participant).where(Participant.id.in_(mails)))
        )
