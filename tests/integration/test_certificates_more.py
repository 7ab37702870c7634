"""Second-sitting certificates, the organisation on every certificate (support's page), the
attendance certificate for participants not on betaald educatief verlof (promotor and portal),
the Vlaams opleidingsverlof regime, and box C over two lesson periods (docs/rules.md,
"Certificates")."""

from __future__ import annotations

import io
from datetime import date, time

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AuditRecord,
    Branch,
    CertificateKind,
    Organisation,
    Participant,
    Role,
    Session,
    Training,
    TrainingEnrolment,
)
from tests.helpers.courses import build_course, certificates, issue, pdf_text
from tests.helpers.web import reopen


@pytest.fixture
def course(app, make):  # type: ignore[no-untyped-def]
    return build_course(app, make)


@pytest.fixture
def promotor(app, make, auth):  # type: ignore[no-untyped-def]
    return auth.as_role(Role.PROMOTOR)


@pytest.fixture
def support(app, make, auth):  # type: ignore[no-untyped-def]
    return auth.as_role(Role.ADMIN, branch=None)


def enrolment(app, training_id: int, participant_id: int) -> TrainingEnrolment:  # type: ignore[no-untyped-def]
    with app.app_context():
        found = db.session.scalars(
            select(TrainingEnrolment).where(
                TrainingEnrolment.training_id == training_id,
                TrainingEnrolment.participant_id == participant_id,
            )
        ).one()
        db.session.expunge(found)
        return found


def page(client, training_id: int) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/trainings/{training_id}/certificates").get_data(as_text=True)


def png(size: tuple[int, int] = (120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 40, 160)).save(out, format="PNG")
    return out.getvalue()


ORGANISATION = {
    "name": "Centrum Volwassenenonderwijs De Leerkracht vzw",
    "address": "Kortrijksesteenweg 12, 9000 Gent",
    "enterprise_number": "BE 0403 199 702",
    "signatory_name": "Marie Claes",
    "signatory_function": "directeur",
}


def set_organisation(support) -> None:  # type: ignore[no-untyped-def]
    response = support.post("/admin/organisation", data=ORGANISATION)
    assert response.status_code == 302, response.get_data(as_text=True)


# --- Second sitting -----------------------------------------------------------------------------


def test_the_sittings_end_dates_are_checked_and_saved(app, promotor, course):
    training = course["training"]
    bad = promotor.post(
        f"/trainings/{training}/certificates/sittings",
        data={"first_sitting_end": "2026-06-26", "second_sitting_end": "2026-06-20"},
    )
    assert bad.status_code == 400
    assert "De tweede zittijd eindigt na de eerste." in bad.get_data(as_text=True)
    nonsense = promotor.post(
        f"/trainings/{training}/certificates/sittings",
        data={"first_sitting_end": "26/13/2026"},
    )
    assert nonsense.status_code == 400
    promotor.post(
        f"/trainings/{training}/certificates/sittings",
        data={"first_sitting_end": "2026-06-26", "second_sitting_end": "2026-09-04"},
    )
    with app.app_context():
        stored = db.session.get(Training, training)
        assert (stored.first_sitting_end, stored.second_sitting_end) == (
            date(2026, 6, 26),
            date(2026, 9, 4),
        )
        assert db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "training.sittings")
        ).one()


def mark(client, training: int, participant: int, takes_part: bool, dates: str = ""):  # type: ignore[no-untyped-def]
    data = {f"resit{participant}-exam_dates": dates}
    if takes_part:
        data[f"resit{participant}-takes_part"] = "y"
    return client.post(
        f"/trainings/{training}/certificates/second-sitting/{participant}",
        data=data,
        follow_redirects=True,
    )


def test_both_second_sitting_certificates_are_due_issued_and_corrected(app, promotor, course):
    training, ben = course["training"], course["ben"]
    promotor.post(
        f"/trainings/{training}/certificates/sittings",
        data={"first_sitting_end": "2026-06-26", "second_sitting_end": "2026-09-04"},
    )
    # Exam dates must lie in the second sitting; a date that is no date is a message, not a 500.
    answer = mark(promotor, training, ben, True, "20/06/2026")
    assert answer.status_code == 200
    assert "moet na het einde van de eerste zittijd vallen" in answer.get_data(as_text=True)
    answer = mark(promotor, training, ben, True, "31/02/2026")
    assert "31/02/2026" in answer.get_data(as_text=True)
    assert enrolment(app, training, ben).second_sitting is False

    overdue_before = page(promotor, training).count('class="certificate-overdue"')
    mark(promotor, training, ben, True)  # takes part; exam dates follow later
    lukasz = course["lukasz"]
    mark(promotor, training, lukasz, True)  # no paid leave: on request, never overdue
    html = page(promotor, training)
    assert html.count('class="certificate-overdue"') == overdue_before + 2
    # Ben is on betaald educatief verlof: both are long overdue (deadlines 04/07 and 12/09).
    assert "04/07/2026" in html and "12/09/2026" in html
    assert html.count("Tweede zittijd 1") >= 1
    # Certificate 2 needs the dates of the exams taken.
    refused = issue(promotor, training, ben, "resit_participation", period=None)
    assert "Geef eerst de data van de examens" in refused.get_data(as_text=True)

    issue(promotor, training, ben, "resit_notice", period=None)
    mark(promotor, training, ben, True, "01/09/2026, 28/08/2026")
    assert enrolment(app, training, ben).second_sitting_exams == ["2026-08-28", "2026-09-01"]
    issue(promotor, training, ben, "resit_participation", period=None)
    notice, participation = certificates(app)
    assert notice.kind == CertificateKind.RESIT_NOTICE
    text = pdf_text(notice.pdf)
    assert f"Attest van deelname 2de zittijd nr. {notice.id}" in text
    assert "moet" in text and "deelnemen aan de 2de zittijd" in text
    assert "26/06/2026" in text
    text = pdf_text(participation.pdf)
    assert "heeft deelgenomen aan" in text
    assert "28/08/2026" in text and "01/09/2026" in text
    assert participation.figures["exam_dates"] == ["2026-08-28", "2026-09-01"]

    promotor.post(
        f"/certificates/{participation.id}/correct",
        data={"correct-reason": "Examen van 1 september was op 2 september"},
    )
    *_, correction = certificates(app)
    assert correction.corrects_id == participation.id
    assert correction.kind == CertificateKind.RESIT_PARTICIPATION
    assert "CORRECTIE" in pdf_text(correction.pdf)
    html = page(promotor, training)
    assert f"correctie van nr. {participation.id}" in html
    assert (
        promotor.get(f"/certificates/{correction.id}.pdf")
        .headers["Content-Disposition"]
        .endswith(f'attest-2de-zittijd-2-{correction.id}.pdf"')
    )


def test_without_the_mark_no_second_sitting_certificate(app, promotor, course):
    training = course["training"]
    promotor.post(
        f"/trainings/{training}/certificates/sittings", data={"first_sitting_end": "2026-06-26"}
    )
    assert "Tweede zittijd 1" not in page(promotor, training).split("second-sitting")[0]
    answer = issue(promotor, training, course["ben"], "resit_notice", period=None)
    assert "niet aangeduid" in answer.get_data(as_text=True)
    assert certificates(app) == []


# --- The organisation ---------------------------------------------------------------------------


def test_only_support_edits_the_organisation(app, make, promotor, auth):
    assert promotor.get("/admin/organisation").status_code == 403
    assert promotor.post("/admin/organisation", data=ORGANISATION).status_code == 403
    local = auth.as_role(Role.ADMIN, branch="Gent")
    assert local.get("/admin/organisation").status_code == 200  # reads
    assert local.post("/admin/organisation", data=ORGANISATION).status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Organisation)).first() is None


def test_a_wrong_enterprise_number_is_a_clear_message(app, support):
    answer = support.post(
        "/admin/organisation", data={**ORGANISATION, "enterprise_number": "0403.199.703"}
    )
    assert answer.status_code == 400
    assert "geen geldig Belgisch ondernemingsnummer" in answer.get_data(as_text=True)
    answer = support.post("/admin/organisation", data={**ORGANISATION, "name": "  "})
    assert answer.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Organisation)).first() is None


def test_the_organisation_is_saved_normalised_and_audited(app, support):
    set_organisation(support)
    with app.app_context():
        stored = db.session.scalars(select(Organisation)).one()
        assert stored.enterprise_number == "0403.199.702"
        record = db.session.scalars(
            select(AuditRecord).where(AuditRecord.action == "organisation.change")
        ).one()
        assert record.after["signatory_name"] == "Marie Claes"
    set_organisation(support)  # a second save changes the same row
    with app.app_context():
        assert len(db.session.scalars(select(Organisation)).all()) == 1


def test_the_stamp_must_really_be_an_image(app, support):
    set_organisation(support)
    fake = support.post(
        "/admin/organisation/stamp",
        data={"stamp": (io.BytesIO(b"\x89PNG\r\n\x1a\nnot really"), "stempel.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400
    assert "PNG- of JPEG-afbeelding" in fake.get_data(as_text=True)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    answer = support.post(
        "/admin/organisation/stamp",
        data={"stamp": (io.BytesIO(gif.getvalue()), "stempel.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
    huge = support.post(
        "/admin/organisation/stamp",
        data={"stamp": (io.BytesIO(png((4000, 10))), "stempel.png")},
        content_type="multipart/form-data",
    )
    assert huge.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Organisation)).one().stamp is None


def test_the_organisation_signatory_and_stamp_are_printed_on_a_certificate(
    app, support, promotor, course
):
    set_organisation(support)
    with app.app_context():
        gent = db.session.scalars(select(Branch).where(Branch.name == "Gent")).one().id
    support.post(
        f"/admin/organisation/branches/{gent}/address",
        data={f"address{gent}-address": "Vestiging Gent, Lange Violettestraat 3, 9000 Gent"},
    )
    jpeg = io.BytesIO()
    Image.new("RGB", (200, 100), (200, 0, 0)).save(jpeg, format="JPEG")
    answer = support.post(
        "/admin/organisation/stamp",
        data={"stamp": (io.BytesIO(jpeg.getvalue()), "stempel.jpg")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    issue(promotor, course["training"], course["ben"])
    [certificate] = certificates(app)
    text = " ".join(pdf_text(certificate.pdf).split())
    for expected in (
        "Opleidingsinstelling Centrum Volwassenenonderwijs De Leerkracht vzw",
        "Kortrijksesteenweg 12, 9000 Gent",
        "Ondernemingsnummer 0403.199.702",
        "Lange Violettestraat 3",
        "Marie Claes, directeur",
    ):
        assert expected in text, expected
    assert len(PdfReader(io.BytesIO(certificate.pdf)).pages[-1].images) == 1  # the stamp
    assert certificate.figures["organisation"]["stamp"] is True
    # The organisation moves afterwards: the issued certificate keeps what it printed.
    support.post("/admin/organisation", data={**ORGANISATION, "address": "Elders 1, 1000 Brussel"})
    assert promotor.get(f"/certificates/{certificate.id}.pdf").data == certificate.pdf
    support.post("/admin/organisation/stamp/remove")
    with app.app_context():
        assert db.session.scalars(select(Organisation)).one().stamp is None
        actions = set(db.session.scalars(select(AuditRecord.action)))
    assert {"organisation.stamp", "organisation.stamp_remove", "branch.address"} <= actions


def test_without_organisation_data_the_page_says_so(promotor, course):
    assert "nog niet ingevuld" in page(promotor, course["training"])


class TestCsrf:
    @pytest.fixture
    def app_config(self) -> dict:
        return {"WTF_CSRF_ENABLED": True}

    def test_the_organisation_form_needs_its_token(self, app, make):
        client = app.test_client()
        make.user(Role.ADMIN, None, email="s@example.org")
        login = client.get("/login").get_data(as_text=True)
        token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        from tests.builders import PASSWORD

        client.post(
            "/login", data={"email": "s@example.org", "password": PASSWORD, "csrf_token": token}
        )
        assert client.post("/admin/organisation", data=ORGANISATION).status_code == 400
        with app.app_context():
            assert db.session.scalars(select(Organisation)).first() is None


# --- The attendance certificate and the regimes -------------------------------------------------


def test_a_participant_not_on_paid_leave_gets_an_attendance_certificate_with_hours(
    app, support, promotor, course
):
    set_organisation(support)
    html = page(promotor, course["training"])
    assert "Deelnameattest" in html
    issue(promotor, course["training"], course["lukasz"], "attendance", period=None)
    [certificate] = certificates(app)
    assert certificate.kind == CertificateKind.ATTENDANCE
    assert certificate.figures["attendance"]["present"] == "6.00"
    text = " ".join(pdf_text(certificate.pdf).split())
    assert f"Deelnameattest nr. {certificate.id}" in text
    assert "Lukasz Nowak" in text
    assert "6,00" in text  # present: two sessions of three hours
    assert "Centrum Volwassenenonderwijs De Leerkracht vzw" in text
    assert "betaald educatief verlof" not in text.lower()
    assert "educatief verlof" not in text.lower()


def test_vlaams_opleidingsverlof_is_set_where_paid_leave_is_and_named(app, promotor, course):
    training, anais = course["training"], course["anais"]
    answer = promotor.post(
        f"/trainings/{training}/participants/{anais}/enrolment",
        data={
            "enrolment-enrolled_on": "2026-01-05",
            "enrolment-paid_leave": "y",
            "enrolment-leave_regime": "vov",
        },
    )
    assert answer.status_code == 302, answer.status_code
    assert enrolment(app, training, anais).leave_regime.value == "vov"
    person = promotor.get(f"/trainings/{training}/participants/{anais}").get_data(as_text=True)
    assert "Vlaams opleidingsverlof" in person
    html = page(promotor, training)
    assert "registreert de organisatie de inschrijving en de aanwezigheid" in html
    assert "VOV: registreren in de Vlaamse toepassing" in html
    refused = issue(promotor, training, anais).get_data(as_text=True)
    assert "Vlaams opleidingsverlof" in refused and "in plaats van" in refused
    assert certificates(app) == []
    # Not on betaald educatief verlof: the attendance certificate is hers to get.
    issue(promotor, training, anais, "attendance", period=None)
    [certificate] = certificates(app)
    assert "educatief verlof" not in pdf_text(certificate.pdf).lower()
    # A regime that does not exist is a message, not a 500.
    answer = promotor.post(
        f"/trainings/{training}/participants/{anais}/enrolment",
        data={
            "enrolment-enrolled_on": "2026-01-05",
            "enrolment-paid_leave": "y",
            "enrolment-leave_regime": "xyz",
        },
    )
    assert answer.status_code in (200, 400)


def test_the_api_names_the_regime(app, make, course):
    with app.app_context():
        row = db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.participant_id == course["anais"])
        ).one()
        row.leave_regime = "vov"
        db.session.commit()
    items = course["api"].get(f"/trainings/{course['training']}/attendance").json["items"]
    regimes = {item["participant_id"]: item["leave_regime"] for item in items}
    assert regimes == {course["anais"]: "vov", course["ben"]: "bev", course["lukasz"]: None}


# --- Box C over two lesson periods --------------------------------------------------------------


def test_box_c_is_the_hours_of_the_lessons_after_the_period(app, make, promotor):
    """Three sessions of 3 h: 5 January, 12 January and 4 May 2026: two lesson periods (a
    training longer than three months). The first period's certificate has C = 3 h (4 May)."""
    first = make.session(date(2026, 1, 5), time(9), time(12))
    with app.app_context():
        training_id = db.session.get(Session, first).training_id
    others = [
        make.session(day, time(9), time(12), training_id=training_id)
        for day in (date(2026, 1, 12), date(2026, 5, 4))
    ]
    person = make.participant(name="Zoë Maes")
    for session_id in (first, *others):
        make.enrol(session_id, person)
    with app.app_context():
        row = db.session.scalars(
            select(TrainingEnrolment).where(TrainingEnrolment.participant_id == person)
        ).one()
        row.paid_leave = True
        row.enrolled_on = date(2026, 1, 5)
        db.session.commit()
    issue(promotor, training_id, person, period=date(2026, 1, 5))
    issue(promotor, training_id, person, period=date(2026, 4, 5))
    jan, may = certificates(app)
    assert jan.figures["hours"]["A"] == "9.00"
    assert jan.figures["hours"]["C"] == "3.00"  # the lesson of 4 May is still to follow
    assert may.figures["hours"]["C"] == "0.00"
    with app.app_context():
        assert db.session.get(Participant, person) is not None
    _ = reopen  # sessions need no registrations here: absent is a figure too


class TestPortal:
    """Seed 003: the participant downloads their attendance certificate in the portal."""

    @pytest.fixture
    def app_config(self) -> dict:
        from tests.helpers.mail import MAIL_TO_INBOX

        return MAIL_TO_INBOX

    def test_the_participant_gets_their_attendance_certificate_in_the_portal(
        self, app, course, inbox
    ):
        from tests.helpers.portal import sign_in

        with app.app_context():
            lukasz = db.session.get(Participant, course["lukasz"]).email
            ben = db.session.get(Participant, course["ben"]).email
        client = app.test_client()
        sign_in(app, client, inbox, lukasz)
        home = client.get("/portal/").get_data(as_text=True)
        assert "Deelnameattest" in home
        url = f"/portal/trainings/{course['training']}/attendance-certificate/{course['lukasz']}"
        answer = client.post(url)
        assert answer.status_code == 302
        [certificate] = certificates(app)
        assert certificate.kind == CertificateKind.ATTENDANCE
        assert answer.headers["Location"].endswith(f"/portal/certificates/{certificate.id}.pdf")
        pdf = client.get(answer.headers["Location"])
        assert pdf.data == certificate.pdf
        assert "educatief verlof" not in pdf_text(pdf.data).lower()
        client.post(url)  # asking again gives the same certificate, not a second one
        assert len(certificates(app)) == 1
        with app.app_context():
            record = db.session.scalars(
                select(AuditRecord).where(AuditRecord.action == "certificate.issue")
            ).one()
            assert record.portal_sign_in_id is not None
        # Another participant's training answers 404; Ben (betaald educatief verlof) gets his
        # certificates from the promotor, not here.
        other = app.test_client()
        sign_in(app, other, inbox, ben)
        assert "Deelnameattest" not in other.get("/portal/").get_data(as_text=True)
        mine = f"/portal/trainings/{course['training']}/attendance-certificate/{course['ben']}"
        assert other.post(mine).status_code == 404
        assert other.post(url).status_code == 404
