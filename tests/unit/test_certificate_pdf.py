"""The PDF layouts on hand-made contents: every field of the certificates (docs/rules.md, "Certificates") printed, corrections
say so, any name renders, the paper list ("Paper list") keeps its shape with many lessons."""

from __future__ import annotations

from copy import deepcopy

from app.certificates.pdf import diligence_pdf, latin, regular_enrolment_pdf
from app.exports.pdf import LESSONS_PER_PAGE, Lesson, PaperList, paper_list_pdf
from tests.helpers.courses import DILIGENCE, pages


def test_the_diligence_certificate_prints_every_field_of_rule_10():
    [page] = pages(diligence_pdf(DILIGENCE, 41))
    for expected in (
        "Attest van nauwgezetheid nr. 41",
        "Boekhouding (BH-2)",
        "beroepsopleiding",
        "Paritair comité nr. 200",
        "Datum van de erkenning 30/06/2025",
        "Opleidingsinstelling Antwerpen",
        "Werk in zicht (ESF-9)",
        "Naam Zoë Maes",
        "Rijksregisternummer **.**.**-***.28",
        "Lesperiode 02/09/2025 tot en met 31/12/2025",
        "180,50 12,00 162,50 6,00",  # A B C D
        "stages en zelfstudie",
        "schooljaar 2025-2026",
        "dinsdag 18:00-21:30 (pauze 19:30-19:45)",
        "donderdag 18:00-21:00",
        "Begindatum van de opleiding 02/09/2025",
        "Laatste examen 1ste zittijd 25/06/2026",
        "60,25 57,75 48,00 3,25 6,50",  # the attendance table
        "Datum voortijdige stopzetting niet van toepassing",
        "Datum van opmaak 06/01/2026",
        "stempel",
        "handtekening van een gemachtigde",
    ):
        assert expected in page, expected
    assert "Einddatum" not in page  # there is an exam: its date, not the end date


def test_a_recognition_number_or_else_the_training_id():
    recognised = deepcopy(DILIGENCE)
    recognised["training"]["recognition_number"] = "VEK-123"
    [page] = pages(diligence_pdf(recognised, 1))
    assert "Erkenningsnummer VEK-123" in page and "Paritair" not in page
    general = deepcopy(DILIGENCE)
    general["training"].update(kind="general", joint_committee="", code="")
    [page] = pages(diligence_pdf(general, 1))
    assert "algemene opleiding" in page and "Identificatienummer opleiding ID 7" in page


def test_a_correction_says_what_it_replaces_and_why_and_still_fits_one_page():
    corrected = deepcopy(DILIGENCE)
    corrected["correction"] = {
        "number": 40,
        "issued_on": "2026-01-05",
        "reason": "Doktersattest voor 14/11 alsnog aanvaard door de ondersteuning; " * 3,
    }
    corrected["early_termination"] = "2025-12-12"
    corrected["attendance"]["exempted"] = "3.00"
    corrected["attendance"]["late_enrolment"] = "6.00"
    [page] = pages(diligence_pdf(corrected, 41))
    assert "CORRECTIE" in page
    assert "Dit attest vervangt attest nr. 40 van 05/01/2026: Doktersattest voor 14/11" in page
    assert "Datum voortijdige stopzetting 12/12/2025" in page
    assert "waarvan vrijgesteld: 3,00 uur" in page


def test_the_regular_enrolment_certificate():
    contents = {
        **{k: DILIGENCE[k] for k in ("schema", "training", "organisation", "participant")},
        "kind": "regular_enrolment",
        "schedule": {**DILIGENCE["schedule"], "last_exam_date": None},
        "issued_on": "2025-09-10",
        "correction": None,
        "enrolled_on": "2025-09-08",
        "late_enrolment": True,
        "early_termination": None,
    }
    [page] = pages(regular_enrolment_pdf(contents, 5))
    for expected in (
        "Attest van regelmatige inschrijving nr. 5",
        "Zoë Maes regelmatig ingeschreven",
        "Datum van inschrijving 08/09/2025",
        "na de start van de opleiding",
        "Einddatum van de opleiding 18/06/2026",
        "stempel",
    ):
        assert expected in page, expected


def test_names_outside_latin1_print_in_their_nearest_form():
    assert latin("Łukasz Şahin – “Ørsted” 5€") == 'Lukasz Sahin - "Ørsted" 5EUR'
    assert latin("Zoë Noël") == "Zoë Noël"
    assert latin("王") == "?"
    other = deepcopy(DILIGENCE)
    other["participant"]["name"] = "Małgorzata Işık"
    [page] = pages(diligence_pdf(other, 2))
    assert "Malgorzata Isik" in page


def _paper(lessons: int, people: int) -> PaperList:
    marks = ["X", "A", "", "?"]
    return PaperList(
        training="Lassen (L1)",
        project="Werk in zicht (ESF-9)",
        organisation="Antwerpen",
        period=("2025-09-01", "2025-12-31"),
        printed_on="2026-01-02",
        lessons=[
            Lesson(f"2025-{9 + i // 25:02d}-{1 + i % 25:02d}", "09:00") for i in range(lessons)
        ],
        rows=[
            (
                f"Deelnemer {p:02d} met een heel lange familienaam die niet past",
                [marks[(p + i) % 4] for i in range(lessons)],
            )
            for p in range(people)
        ],
        counts=[sum(1 for p in range(people) if (p + i) % 4 == 0) for i in range(lessons)],
        trainers=["Jan Janssens"],
    )


def test_the_paper_list_shows_marks_counts_initials_and_signature():
    [page] = pages(paper_list_pdf(_paper(3, 4)))
    assert "Aanwezigheidslijst - Lassen (L1)" in page
    assert "periode 01/09/2025 tot en met 31/12/2025" in page
    assert "X = aanwezig A = afwezig leeg = vrijgesteld" in page
    assert "Deelnemer 00 met een heel lange" in page and "die niet past" not in page  # cut
    assert "Aantal aanwezig 1 1 1" in page
    assert "Paraaf opleider" in page
    assert "Handtekening van de opleider op het einde van de periode" in page
    assert "Jan Janssens" in page


def test_many_lessons_and_participants_continue_on_further_pages():
    lessons, people = 2 * LESSONS_PER_PAGE + 5, 40
    texts = pages(paper_list_pdf(_paper(lessons, people)))
    assert len(texts) >= 3
    blocks = ("lessen 1-24 van 53", "lessen 25-48 van 53", "lessen 49-53 van 53")
    for block in blocks:
        assert any(block in text for text in texts), block
    assert sum(text.count("Aantal aanwezig") for text in texts) == 3  # once per lesson block
    assert sum(text.count("Paraaf opleider") for text in texts) == 3
    assert sum(text.count("Deelnemer 39") for text in texts) == 3  # every row in each block
    assert "Handtekening van de opleider" in texts[-1]
    assert all("Cursist" in text for text in texts[:-1])  # column headings on every page


def test_a_period_without_lessons_still_prints():
    [page] = pages(paper_list_pdf(_paper(0, 2)))
    assert "geen lessen" in page and "Handtekening" in page


def test_a_very_long_correction_reason_continues_on_a_second_page():
    corrected = deepcopy(DILIGENCE)
    corrected["correction"] = {"number": 40, "issued_on": "2026-01-05", "reason": "reden " * 330}
    texts = pages(diligence_pdf(corrected, 41))
    assert len(texts) == 2 and "pagina 2/2" in texts[1]
    assert "Originele stempel" in texts[-1]
