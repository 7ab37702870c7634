"""Certificates for paid educational leave (docs/rules.md, "Lesson periods", "Certificates"): issued with their figures, never changed,
corrected by a new certificate; the list of what is due; scope."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.attendance.operations import (
    update_training_enrolment,
)
from app.audit import Actor
from app.certificates.contents import periods
from app.certificates.operations import CertificateImmutable
from app.domain.cutoff import BRUSSELS
from app.errors import Refusal
from app.extensions import db
from app.models import (
    AuditRecord,
    Certificate,
    CertificateKind,
    Participant,
    Role,
    Training,
)
from tests.helpers.courses import (
    MONDAYS,
    NATIONAL_NUMBER,
    _enrolment,
    build_course,
    certificates,
    issue,
    pdf_text,
)
from tests.helpers.web import PAST, scan


@pytest.fixture
def course(app, make):  # type: ignore[no-untyped-def]
    return build_course(app, make)


@pytest.fixture
def promotor(app, make, auth):  # type: ignore[no-untyped-def]
    return auth.as_role(Role.PROMOTOR)


def test_a_diligence_certificate_stores_its_pdf_and_the_figures_it_shows(app, promotor, course):
    issue(promotor, course["training"], course["ben"])
    [certificate] = certificates(app)
    figures = certificate.figures
    assert figures["period"] == ["2026-01-05", "2026-01-26"]  # at most 3 months: one period
    assert {k: figures["hours"][k] for k in "ABCD"} == {
        "A": "12.00",  # four sessions of three hours (the break does not count)
        "B": "3.00",  # one session exempted
        "C": "0.00",  # no lessons after the (only) period: nothing left to follow
        "D": "0.00",
    }
    assert figures["attendance"] == {
        "theoretical": "12.00",
        "given": "12.00",
        "present": "3.00",
        "justified": "3.00",
        "unjustified": "3.00",
        "exempted": "3.00",
        "late_enrolment": "0.00",
        "method": "registered",  # the training's hours method, said on the certificate
    }
    text = pdf_text(certificate.pdf)
    for expected in (
        f"Attest van nauwgezetheid nr. {certificate.id}",
        "Ben Peeters",
        "algemene opleiding",
        "Erkenningsnummer",
        "ERK-2026-0042",
        "Gent",  # the organisation (branch) and its project
        "ESF-",
        "05/01/2026 tot en met 26/01/2026",
        "12,00",  # A
        "3,00",
        "maandag 09:00-12:30 (pauze 10:30-11:00)",
        "Begindatum van de opleiding 05/01/2026",
        "Einddatum van de opleiding 26/01/2026",  # no exam date: the end date
        "Aanwezigheidstabel",
        "Gewettigd afwezig",
        "Ongewettigd afwezig",
        "Datum voortijdige stopzetting niet van toepassing",
        "stempel",
        "handtekening",
    ):
        assert expected in text, expected


def test_the_participant_fields_late_enrolment_and_characters_outside_latin1(app, promotor, course):
    issue(promotor, course["training"], course["anais"])
    issue(promotor, course["training"], course["lukasz"])
    anais, lukasz = certificates(app)
    text = pdf_text(anais.pdf)
    assert "Anaïs Dubois" in text
    # The participant's own document (their proof for the employer): the number in full on
    # the PDF; the stored figures, which pages show, keep it masked.
    assert NATIONAL_NUMBER in text and "**.**.**" not in text
    assert anais.figures["participant"]["national_number"] == "**.**.**-***.28"
    assert anais.figures["attendance"]["present"] == "12.00"
    assert lukasz.figures["hours"]["D"] == "6.00" and lukasz.figures["hours"]["C"] == "0.00"
    assert lukasz.figures["participant"]["name"] == "Łukasz Nowak"  # stored as it is
    assert "Lukasz Nowak" in pdf_text(lukasz.pdf)  # printed in the core font's nearest form


def test_issuing_is_audited(app, promotor, course):
    issue(promotor, course["training"], course["ben"])
    [certificate] = certificates(app)
    with app.app_context():
        record = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "certificate.issue")
        ).one()
    assert record.object_id == certificate.id and record.user_id is not None
    assert record.after["figures"]["hours"]["A"] == "12.00"


def test_an_issued_certificate_never_changes(app, make, promotor, course):
    issue(promotor, course["training"], course["ben"])
    [before] = certificates(app)
    # Ben's last session gets registrations afterwards (the session is reopened): the figures
    # move, the issued certificate does not.
    for hour in (time(9), time(12, 30)):
        scan(
            course["api"],
            course["sessions"][3],
            make.code(course["ben"]),
            datetime.combine(MONDAYS[3], hour, tzinfo=BRUSSELS),
        )
    assert promotor.get(f"/certificates/{before.id}.pdf").data == before.pdf
    [after] = certificates(app)
    assert after.pdf == before.pdf and after.figures == before.figures
    page = issue(promotor, course["training"], course["ben"]).get_data(as_text=True)
    assert len(certificates(app)) == 1, "a second one for the same period must be a correction"
    assert "correctie" in page.lower() or "correction" in page.lower()
    with app.app_context(), pytest.raises(CertificateImmutable):
        stored = db.session.get(Certificate, before.id)
        stored.figures = {"forged": True}
        db.session.flush()


def test_a_correction_is_a_new_certificate_naming_the_old_one_and_why(app, promotor, course):
    issue(promotor, course["training"], course["ben"])
    [old] = certificates(app)
    promotor.post(f"/certificates/{old.id}/correct", data={"correct-reason": "  "})
    assert len(certificates(app)) == 1  # a reason is required
    with app.app_context():  # Ben told afterwards that he stopped on 20 January
        update_training_enrolment(
            Actor(None),
            _enrolment(course["training"], course["ben"]),
            PAST,
            True,
            MONDAYS[2] + timedelta(days=1),
        )
        db.session.commit()
    promotor.post(
        f"/certificates/{old.id}/correct", data={"correct-reason": "Stopzetting alsnog gemeld"}
    )
    old_again, new = certificates(app)
    assert old_again.pdf == old.pdf and old_again.figures == old.figures
    assert new.corrects_id == old.id and new.correction_reason == "Stopzetting alsnog gemeld"
    assert new.figures["early_termination"] == "2026-01-20"
    assert new.figures["attendance"]["unjustified"] == "0.00"  # the 26th is after he stopped
    text = pdf_text(new.pdf)
    issued_on = old.issued_at.astimezone(BRUSSELS).strftime("%d/%m/%Y")
    assert "CORRECTIE" in text
    assert (
        f"Dit attest vervangt attest nr. {old.id} van {issued_on}: Stopzetting alsnog gemeld"
        in " ".join(text.split())
    )
    assert "Datum voortijdige stopzetting 20/01/2026" in text
    # The old one was replaced: correcting it again is refused, the new one can be corrected.
    promotor.post(f"/certificates/{old.id}/correct", data={"correct-reason": "nog eens"})
    assert len(certificates(app)) == 2


def test_the_regular_enrolment_certificate(app, promotor, course):
    issue(promotor, course["training"], course["lukasz"], kind="regular_enrolment", period=None)
    [certificate] = certificates(app)
    assert certificate.period_start is None
    assert certificate.figures["enrolled_on"] == "2026-01-15"
    assert certificate.figures["late_enrolment"] is True
    text = pdf_text(certificate.pdf)
    for expected in (
        f"Attest van regelmatige inschrijving nr. {certificate.id}",
        "Lukasz Nowak",
        "regelmatig ingeschreven",
        "ERK-2026-0042",
        "Datum van inschrijving 15/01/2026",
        "na de start van de opleiding",
        "Begindatum van de opleiding 05/01/2026",
    ):
        assert expected in text, expected


def test_the_list_shows_what_is_due_overdue_issued_and_corrected(app, promotor, course):
    issue(promotor, course["training"], course["anais"])
    [issued] = certificates(app)
    promotor.post(f"/certificates/{issued.id}/correct", data={"correct-reason": "typfout"})
    page = promotor.get(f"/trainings/{course['training']}/certificates").get_data(as_text=True)
    # Anaïs: diligence issued (and corrected); regular enrolment overdue (due 25/01/2026).
    # Ben: both overdue. Łukasz has no paid leave: on request, never overdue.
    assert page.count('class="certificate-issued"') == 1
    assert page.count('class="certificate-overdue"') == 3
    # Łukasz: regular enrolment, diligence and (not on paid leave) the attendance certificate.
    assert page.count('class="certificate-optional"') == 3
    assert page.count('class="certificate-corrected"') == 1
    assert page.count('class="certificate-current"') == 1
    assert "03/02/2026" in page  # the diligence deadline: 8 days after the period
    assert "25/01/2026" in page  # regular enrolment: 20 days after the start
    # Łukasz's lines show no deadline (none binds him): late enrolment on 15/01 would put his
    # regular enrolment certificate at 23/01/2026.
    assert "23/01/2026" not in page and page.count("Geen termijn: op aanvraag") == 3
    assert f"/certificates/{issued.id}.pdf" in page and f"/certificates/{issued.id + 1}.pdf" in page


def test_the_due_states_before_and_within_the_deadline(app, make, course):
    from app.certificates.operations import due_list

    with app.app_context():
        training = db.session.get(Training, course["training"])
        during = datetime.combine(MONDAYS[1], time(14), tzinfo=BRUSSELS).astimezone(UTC)
        states = {
            (line.participant.name, line.kind.value): line.state
            for line in due_list(training, during)
        }
        assert states[("Ben Peeters", "diligence")] == "upcoming"  # the period is not over
        assert states[("Ben Peeters", "regular_enrolment")] == "due"
        after = datetime.combine(MONDAYS[3] + timedelta(days=3), time(9), tzinfo=BRUSSELS)
        states = {
            (line.participant.name, line.kind.value): line.state
            for line in due_list(training, after)
        }
        assert states[("Ben Peeters", "diligence")] == "due"  # until 3 February
        assert states[("Ben Peeters", "regular_enrolment")] == "overdue"  # since 25 January


def _refusal(app, course, participant: str, period) -> str:  # type: ignore[no-untyped-def]
    from app.certificates.operations import issue as issue_certificate

    with app.app_context():
        training = db.session.get(Training, course["training"])
        person = db.session.get(Participant, course[participant])
        with pytest.raises(Refusal) as refused:
            issue_certificate(
                Actor(None), CertificateKind.DILIGENCE, training, person, datetime.now(UTC), period
            )
        db.session.rollback()
    return refused.value.code


def test_a_period_still_running_or_incomplete_cannot_be_certified(app, make, promotor, course):
    # Ben checks in on 26 January and never out: incomplete until someone resolves it.
    scan(
        course["api"],
        course["sessions"][3],
        make.code(course["ben"]),
        datetime.combine(MONDAYS[3], time(9), tzinfo=BRUSSELS),
    )
    period = (MONDAYS[0], MONDAYS[3])
    assert _refusal(app, course, "ben", period) == "incomplete_registrations"
    assert _refusal(app, course, "ben", (MONDAYS[0], MONDAYS[2])) == "period_required"
    # One more session in the future extends the training: its last period is not over.
    with app.app_context():
        today = datetime.now(UTC).astimezone(BRUSSELS).date()
    future = make.session(
        today + timedelta(days=30), time(9), time(12), training_id=course["training"]
    )
    make.enrol(future, course["anais"])
    with app.app_context():
        last = periods(db.session.get(Training, course["training"]))[-1]
    assert _refusal(app, course, "anais", last) == "period_not_over"
    issue(promotor, course["training"], course["anais"], period=last[0])
    assert certificates(app) == []


def test_another_branch_gets_404(app, make, promotor, course, auth):
    issue(promotor, course["training"], course["ben"])
    [certificate] = certificates(app)
    other = auth.as_role(Role.PROMOTOR, branch="Brugge")
    assert other.get(f"/certificates/{certificate.id}.pdf").status_code == 404
    assert other.get(f"/trainings/{course['training']}/certificates").status_code == 404
    assert issue(other, course["training"], course["ben"]).status_code == 404
    response = other.post(f"/certificates/{certificate.id}/correct", data={"correct-reason": "x"})
    assert response.status_code == 404
    assert len(certificates(app)) == 1
    trainer = auth.as_role(Role.TRAINER)
    assert trainer.get(f"/certificates/{certificate.id}.pdf").status_code in (403, 404)


def test_no_diligence_certificate_is_due_for_periods_after_an_early_termination(app, make, course):
    from app.certificates.operations import due_list

    april = make.session(
        PAST + timedelta(days=100), time(9), time(12), training_id=course["training"]
    )
    for person in ("anais", "ben"):
        make.enrol(april, course[person])
    with app.app_context():
        update_training_enrolment(
            Actor(None), _enrolment(course["training"], course["ben"]), PAST, True, MONDAYS[2]
        )
        db.session.commit()
        training = db.session.get(Training, course["training"])
        assert periods(training) == [
            (PAST, PAST + timedelta(days=89)),  # 5 January to 4 April: three months
            (PAST + timedelta(days=90), PAST + timedelta(days=100)),
        ]
        diligence = [
            (line.participant.name, line.period[0])
            for line in due_list(training, datetime.now(UTC))
            if line.period
        ]
    assert ("Anaïs Dubois", PAST + timedelta(days=90)) in diligence
    assert ("Ben Peeters", PAST) in diligence
    assert ("Ben Peeters", PAST + timedelta(days=90)) not in diligence  # he had stopped
    assert ("Łukasz Nowak", PAST + timedelta(days=90)) not in diligence  # no lessons in it
