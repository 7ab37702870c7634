"""The PDF layouts with the organisation's data, the stamp image, the second-sitting
certificates and the attendance certificate, on hand-made contents (docs/rules.md,
"Certificates")."""

from __future__ import annotations

import io
from copy import deepcopy

from PIL import Image
from pypdf import PdfReader

from app.certificates.pdf import (
    attendance_pdf,
    diligence_pdf,
    resit_notice_pdf,
    resit_participation_pdf,
)
from tests.helpers.courses import DILIGENCE, pages

ORGANISATION = {
    "branch": "Antwerpen",
    "branch_address": "Meir 1, 2000 Antwerpen",
    "project": "Werk in zicht",
    "project_number": "ESF-9",
    "name": "CVO De Leerkracht vzw",
    "address": "Kortrijksesteenweg 12, 9000 Gent",
    "enterprise_number": "0403.199.702",
    "signatory_name": "Marie Claes",
    "signatory_function": "directeur",
    "stamp": True,
}


def contents(**extra):  # type: ignore[no-untyped-def]
    c = deepcopy(DILIGENCE)
    c["schema"] = 2
    c["organisation"] = deepcopy(ORGANISATION)
    c.update(extra)
    return c


def stamp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 150), (0, 0, 150)).save(out, format="PNG")
    return out.getvalue()


def test_the_organisation_branch_and_signatory_are_printed():
    text = " ".join(pages(diligence_pdf(contents(), 5)))
    for expected in (
        "Opleidingsinstelling CVO De Leerkracht vzw",
        "Adres Kortrijksesteenweg 12, 9000 Gent",
        "Ondernemingsnummer 0403.199.702",
        "Vestiging Antwerpen Meir 1, 2000 Antwerpen",
        "Marie Claes, directeur",
    ):
        assert expected in text, expected
    assert "C: de geplande lesuren van de cursist na deze lesperiode" in text


def test_the_stamp_image_goes_in_the_stamp_box_only_when_given():
    with_stamp = PdfReader(io.BytesIO(diligence_pdf(contents(), 5, stamp())))
    without = PdfReader(io.BytesIO(diligence_pdf(contents(), 5)))
    assert sum(len(p.images) for p in with_stamp.pages) == 1
    assert sum(len(p.images) for p in without.pages) == 0


def test_old_contents_without_the_organisation_still_name_the_branch():
    text = " ".join(pages(diligence_pdf(DILIGENCE, 5)))
    assert "Opleidingsinstelling Antwerpen" in text and "C = A - B - D" in text


def test_second_sitting_certificate_1_says_the_participant_must_take_part():
    text = " ".join(
        pages(
            resit_notice_pdf(contents(first_sitting_end="2026-06-26", second_sitting_end=None), 8)
        )
    )
    assert "Attest van deelname 2de zittijd nr. 8" in text
    assert "1ste attest" in text and "moet deelnemen aan de 2de zittijd" in text
    assert "Einde van de 1ste zittijd 26/06/2026" in text


def test_second_sitting_certificate_2_lists_the_exams_taken():
    c = contents(
        first_sitting_end="2026-06-26",
        second_sitting_end="2026-09-04",
        exam_dates=["2026-08-28", "2026-09-01"],
    )
    text = " ".join(pages(resit_participation_pdf(c, 9)))
    assert "2de attest" in text and "heeft deelgenomen aan de 2de zittijd" in text
    assert "Data van de afgelegde examens 28/08/2026 01/09/2026" in text


def test_the_attendance_certificate_shows_the_hours_and_no_leave_regime():
    c = contents(
        kind="attendance",
        attendance={
            "given": "30.00",
            "exempted": "3.00",
            "late_enrolment": "0.00",
            "counting": "27.00",
            "present": "24.50",
            "justified": "1.50",
            "unjustified": "1.00",
        },
        lessons=10,
    )
    text = " ".join(pages(attendance_pdf(c, 12)))
    assert "Deelnameattest nr. 12" in text
    assert "30,00 27,00 24,50 1,50 1,00" in text
    assert "Lessen: 10" in text
    assert "educatief verlof" not in text.lower() and "opleidingsverlof" not in text.lower()
