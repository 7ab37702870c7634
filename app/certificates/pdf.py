"""PDF layouts (fpdf2, core fonts: the certificates must render on any machine). Layout only:
the figures come in as the stored contents, so an issued PDF shows exactly what was stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from fpdf import FPDF

KINDS = {"general": "algemene vorming", "vocational": "beroepsgerichte vorming"}


def _d(iso: str | None) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "-"


class _Doc(FPDF):
    def __init__(self, orientation: str = "P"):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(18, 16, 18)
        self.add_page()

    def title_line(self, text: str) -> None:
        self.set_font("Helvetica", "B", 15)
        self.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 10)

    def field(self, label: str, value: str) -> None:
        self.set_font("Helvetica", "", 10)
        self.cell(70, 6, label)
        self.multi_cell(0, 6, value or "-", new_x="LMARGIN", new_y="NEXT")

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.set_font("Helvetica", "B", 9)
        for text, width in zip(header, widths, strict=True):
            self.cell(width, 7, text, border=1, align="C")
        self.ln()
        self.set_font("Helvetica", "", 9)
        for row in rows:
            for text, width in zip(row, widths, strict=True):
                self.cell(width, 7, text, border=1, align="C")
            self.ln()

    def correction(self, correction: dict[str, Any] | None) -> None:
        if not correction:
            return
        self.set_font("Helvetica", "B", 10)
        self.set_text_color(160, 0, 0)
        self.multi_cell(
            0,
            6,
            f"CORRECTIE - Dit attest vervangt attest nr. {correction['number']} van "
            f"{_d(correction['issued_on'])}. Reden: {correction['reason']}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def training_block(self, c: dict[str, Any]) -> None:
        self.heading("Gegevens van de opleiding")
        self.field("Opleiding", f"{c['training']}" + (f" ({c['code']})" if c.get("code") else ""))
        self.field("Soort opleiding", KINDS.get(c["kind"], c["kind"]))
        if c.get("recognition_number"):
            self.field("Erkenningsnummer", c["recognition_number"])
        elif c.get("joint_committee"):
            self.field(
                "Paritair comité",
                f"nr. {c['joint_committee']}, erkend op {_d(c.get('joint_committee_date'))}",
            )
        else:
            self.field("Identificatienummer opleiding", c.get("code") or "-")
        self.field("Opleidingsinstelling", f"{c['organisation']} - {c['project']}")

    def signature(self, issued_on: str) -> None:
        self.ln(6)
        self.set_font("Helvetica", "", 10)
        self.cell(90, 6, f"Opgesteld op {_d(issued_on)}")
        self.cell(0, 6, "Naam en handtekening van de gemachtigde:", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        y = self.get_y()
        self.rect(self.l_margin, y, 70, 28)
        self.rect(self.l_margin + 90, y, 84, 28)
        self.set_xy(self.l_margin + 2, y + 2)
        self.set_font("Helvetica", "I", 8)
        self.cell(66, 5, "Stempel van de opleidingsinstelling")
        self.set_y(y + 30)


def diligence_pdf(
    c: dict[str, Any], number: int, issued_on: str, correction: dict[str, Any] | None = None
) -> bytes:
    """Getuigschrift / attest van nauwgezetheid for one participant and one lesson period."""
    doc = _Doc()
    doc.title_line(f"Attest van nauwgezetheid nr. {number}")
    doc.correction(correction)
    doc.set_font("Helvetica", "", 10)
    doc.field("Cursist", c["participant"])
    doc.field("Rijksregisternummer", c.get("national_number") or "-")
    doc.field("Lesperiode", f"{_d(c['period'][0])} tot en met {_d(c['period'][1])}")
    doc.training_block(c)
    doc.heading("Tabel met lesuren")
    h = c["hours"]
    doc.table(
        [
            "Vak",
            "A: lesuren per jaar",
            "B: vrijgesteld",
            "C: nog te volgen",
            "D: gemist (late inschrijving)",
        ],
        [
            [
                c["training"][:22],
                h["A_theoretical_per_year"],
                h["B_exempted"],
                h["C_still_to_attend"],
                h["D_missed_late_enrolment"],
            ]
        ],
        [38, 34, 30, 30, 42],
    )
    doc.set_font("Helvetica", "I", 8)
    doc.multi_cell(
        0,
        5,
        "Alleen contacturen tellen mee; stages en zelfstudie niet.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.heading("Uurrooster")
    doc.field("Lesdagen en uren", "; ".join(c["schedule"]))
    doc.field("Begindatum", _d(c["start_date"]))
    label = "Laatste examen 1ste zittijd" if c.get("last_exam") else "Einddatum van de opleiding"
    doc.field(label, _d(c["last_exam_or_end_date"]))
    doc.heading("Aanwezigheidstabel (lesperiode)")
    a = c["attendance"]
    doc.table(
        [
            "Theoretische uren",
            "Werkelijk gegeven",
            "Aanwezig",
            "Gewettigd afwezig",
            "Ongewettigd afwezig",
        ],
        [
            [
                a["theoretical_hours"],
                a["hours_given"],
                a["hours_present"],
                a["justified_absence_hours"],
                a["unjustified_absence_hours"],
            ]
        ],
        [35, 35, 35, 34, 35],
    )
    doc.heading("Voortijdige stopzetting")
    doc.field(
        "Datum stopzetting",
        _d(c.get("early_termination")) if c.get("early_termination") else "niet van toepassing",
    )
    doc.signature(issued_on)
    return bytes(doc.output())


def regular_enrolment_pdf(
    c: dict[str, Any], number: int, issued_on: str, correction: dict[str, Any] | None = None
) -> bytes:
    doc = _Doc()
    doc.title_line(f"Attest van regelmatige inschrijving nr. {number}")
    doc.correction(correction)
    doc.multi_cell(
        0, 6,
        f"De opleidingsinstelling verklaart dat {c['participant']} regelmatig ingeschreven is voor de "
        "hieronder vermelde erkende opleiding.",
        new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    doc.field("Rijksregisternummer", c.get("national_number") or "-")
    doc.field("Ingeschreven op", _d(c.get("enrolled_on")))
    doc.training_block(c)
    doc.heading("Uurrooster")
    doc.field("Lesdagen en uren", "; ".join(c["schedule"]))
    doc.field("Begindatum", _d(c.get("start_date")))
    doc.field("Einddatum", _d(c.get("end_date")))
    doc.signature(issued_on)
    return bytes(doc.output())


def paper_list_pdf(
    title: str,
    period: tuple[str, str],
    lessons: list[str],
    rows: list[tuple[str, list[str]]],
    counts: list[int],
) -> bytes:
    """The paper attendance list: X present, A absent, blank exempt; count per lesson; initials; signature."""
    doc = _Doc("L")
    doc.title_line(f"Aanwezigheidslijst - {title}")
    doc.set_font("Helvetica", "", 10)
    doc.cell(
        0,
        6,
        f"Periode {_d(period[0])} tot en met {_d(period[1])}. X = aanwezig, A = afwezig, leeg = vrijgesteld, ? = onvolledig.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(2)
    per_page = 16
    for start in range(0, max(len(lessons), 1), per_page):
        chunk = lessons[start : start + per_page]
        name_width = 60
        width = min(13.0, (doc.w - doc.l_margin - doc.r_margin - name_width) / max(len(chunk), 1))
        doc.set_font("Helvetica", "B", 8)
        doc.cell(name_width, 7, "Deelnemer", border=1)
        for lesson in chunk:
            doc.cell(width, 7, lesson, border=1, align="C")
        doc.ln()
        doc.set_font("Helvetica", "", 9)
        for name, marks in rows:
            doc.cell(name_width, 7, name[:34], border=1)
            for mark in marks[start : start + per_page]:
                doc.cell(width, 7, mark, border=1, align="C")
            doc.ln()
        doc.set_font("Helvetica", "B", 9)
        doc.cell(name_width, 7, "Aantal aanwezig", border=1)
        for count in counts[start : start + per_page]:
            doc.cell(width, 7, str(count), border=1, align="C")
        doc.ln()
        doc.cell(name_width, 9, "Paraaf opleider", border=1)
        for _ in chunk:
            doc.cell(width, 9, "", border=1)
        doc.ln(14)
    doc.set_font("Helvetica", "", 10)
    doc.cell(
        0, 6, "Handtekening opleider op het einde van de periode:", new_x="LMARGIN", new_y="NEXT"
    )
    doc.rect(doc.l_margin, doc.get_y() + 1, 90, 22)
    return bytes(doc.output())
