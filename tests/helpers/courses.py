"""A held course with certificates, and reading the PDFs the app produces."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from app.attendance.operations import (
    add_exemption,
    record_justification,
    update_training_enrolment,
)
from app.audit import Actor
from app.domain.cutoff import BRUSSELS
from app.extensions import db
from app.models import (
    Certificate,
    JustificationKind,
    Participant,
    Session,
    Training,
    TrainingEnrolment,
    TrainingKind,
)
from tests.helpers.web import PAST, reopen, scan

NATIONAL_NUMBER = "85.07.30-033.28"


MONDAYS = [PAST + timedelta(days=7 * week) for week in range(4)]  # 5, 12, 19 and 26 January 2026


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _enrolment(training_id: int, participant_id: int) -> TrainingEnrolment:
    return db.session.scalars(
        select(TrainingEnrolment).where(
            TrainingEnrolment.training_id == training_id,
            TrainingEnrolment.participant_id == participant_id,
        )
    ).one()


def build_course(app, make) -> dict:  # type: ignore[no-untyped-def]
    """Four Monday sessions in January 2026, 09:00-12:30 with a break 10:30-11:00 (3 hours).

    - Anaïs (paid leave) attends all four.
    - Ben (paid leave) attends the first; the second is a justified absence (doctor's note),
      the third is exempted, the fourth an unjustified absence.
    - Łukasz enrolled late (15 January): the first two are missed through late enrolment; he
      attends the other two.
    """
    first = make.session(MONDAYS[0], time(9), time(12, 30), time(10, 30), time(11))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    sessions = [first] + [
        make.session(day, time(9), time(12, 30), time(10, 30), time(11), training_id=training_id)
        for day in MONDAYS[1:]
    ]
    anais = make.participant(name="Anaïs Dubois", national_number=NATIONAL_NUMBER)
    ben = make.participant(name="Ben Peeters")
    lukasz = make.participant(name="Łukasz Nowak")
    for session_id in sessions:
        for person in (anais, ben, lukasz):
            make.enrol(session_id, person)
        reopen(app, session_id)  # long locked: support reopens so the test can register
    with app.app_context():
        training = db.session.get(Training, training_id)
        # Certificate data of the training (set on the model: test data, not a rule).
        training.kind = TrainingKind.GENERAL
        training.recognition_number = "ERK-2026-0042"
        actor = Actor(None)
        for person, enrolled_on, paid in (
            (anais, PAST, True),
            (ben, PAST, True),
            (lukasz, PAST + timedelta(days=10), False),
        ):
            update_training_enrolment(
                actor, _enrolment(training_id, person), enrolled_on, paid, None
            )
        ben_row = db.session.get(Participant, ben)
        record_justification(
            actor,
            ben_row,
            [db.session.get(Session, sessions[1])],
            JustificationKind.DOCTOR,
            MONDAYS[1] + timedelta(days=2),
            "griep",
            None,
            None,
        )
        add_exemption(
            actor, _enrolment(training_id, ben), db.session.get(Session, sessions[2]), None, "EVC"
        )
        db.session.commit()
    api = make.api()
    attended = {anais: range(4), ben: [0], lukasz: [2, 3]}
    for person, weeks in attended.items():
        for week in weeks:
            for hour in (time(9), time(12, 30)):
                scan(
                    api,
                    sessions[week],
                    make.code(person),
                    datetime.combine(MONDAYS[week], hour, tzinfo=BRUSSELS),
                )
    return {
        "training": training_id,
        "sessions": sessions,
        "anais": anais,
        "ben": ben,
        "lukasz": lukasz,
        "api": api,
    }


def issue(client, training: int, participant: int, kind: str = "diligence", period=PAST):  # type: ignore[no-untyped-def]
    data = {"participant_id": participant, "kind": kind}
    if period:
        data["period_start"] = period.isoformat()
    return client.post(f"/trainings/{training}/certificates", data=data, follow_redirects=True)


def certificates(app) -> list[Certificate]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(select(Certificate).order_by(Certificate.id)))


def pages(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


DILIGENCE = {
    "schema": 1,
    "kind": "diligence",
    "training": {
        "id": 7,
        "name": "Boekhouding",
        "code": "BH-2",
        "kind": "vocational",
        "recognition_number": "",
        "joint_committee": "200",
        "joint_committee_date": "2025-06-30",
        "per_school_year": True,
    },
    "organisation": {"branch": "Antwerpen", "project": "Werk in zicht", "project_number": "ESF-9"},
    "participant": {"id": 3, "name": "Zoë Maes", "national_number": "**.**.**-***.28"},
    "schedule": {
        "lesson_days": ["dinsdag 18:00-21:30 (pauze 19:30-19:45)", "donderdag 18:00-21:00"],
        "start_date": "2025-09-02",
        "end_date": "2026-06-18",
        "last_exam_date": "2026-06-25",
    },
    "issued_on": "2026-01-06",
    "correction": None,
    "period": ["2025-09-02", "2025-12-31"],
    "hours": {
        "A": "180.50",
        "B": "12.00",
        "C": "162.50",
        "D": "6.00",
        "span": ["2025-09-02", "2026-06-18"],
        "basis": "A omvat de lesuren van het schooljaar 2025-2026.",
    },
    "attendance": {
        "theoretical": "60.25",
        "given": "57.75",
        "present": "48.00",
        "justified": "3.25",
        "unjustified": "6.50",
        "exempted": "0.00",
        "late_enrolment": "0.00",
    },
    "early_termination": None,
}
