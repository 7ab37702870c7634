"""PDF layouts of the certificates (fpdf2). Layout only: each function takes the stored contents
(the JSON kept with the certificate, see :mod:`app.certificates.contents`) and nothing else, so
an issued PDF shows exactly the figures stored beside it.

The texts are the official Flemish wording, in Dutch. Core fonts (Helvetica) render on any
machine without font files; they cover Latin-1 (é, ë, ç, ...). Any other character (Ł, Ş, €,
curly quotes) is written as its nearest Latin-1 form by :func:`latin`, never refused: a
certificate must not fail over a name.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace
from fpdf.util import Padding

FONT = "Helvetica"
KINDS = {"general": "algemene opleiding", "vocational": "beroepsopleiding"}
_NEAREST = {
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Œ": "OE", "œ": "oe",
    "–": "-", "—": "-", "‐": "-", "‑": "-", "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"',
    "„": '"', "…": "...", "€": "EUR", "•": "-", "\u00a0": " ",
}  # fmt: skip


def latin(text: str) -> str:
    """``text`` with every character outside Latin-1 replaced by its nearest Latin-1 form."""
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
        elif char in _NEAREST:
            out.append(_NEAREST[char])
        else:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


def day(iso: str | None) -> str:
    """An ISO date as the Belgian dd/mm/yyyy, or a dash."""
    return date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "-"


def number(value: str | None) -> str:
    """Stored hours ("12.50") written the Flemish way ("12,50")."""
    return (value or "0.00").replace(".", ",")


class Document(FPDF):
    """A4 with the house margins, core fonts and a footer naming the document."""

    def __init__(self, footer: str = "", orientation: str = "P", margin: float = 18):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.footer_text = footer
        self.set_margins(margin, 12, margin)
        self.set_auto_page_break(auto=True, margin=14)
        self.set_creator("Aanwezig")
        self.alias_nb_pages()
        self.add_page()

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(latin(text))

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "I", 7)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.footer_text}   pagina {self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def title_line(self, text: str, size: int = 15) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")

    def subtitle(self, text: str) -> None:
        self.set_font(FONT, "", 9)
        self.multi_cell(0, 4.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(0.5)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 11)
        self.set_fill_color(232, 236, 241)
        self.cell(0, 6.5, text, fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(0.8)

    def field(self, label: str, value: str, label_width: float = 62) -> None:
        self.set_font(FONT, "", 10)
        self.cell(label_width, 5.4, label)
        self.set_font(FONT, "B", 10)
        self.multi_cell(0, 5.4, value or "-", align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 10)

    def note(self, text: str) -> None:
        self.set_font(FONT, "I", 8)
        self.multi_cell(0, 4.2, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 10)

    def grid(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]
    ) -> None:
        """A bordered table, the header bold on grey, the cells centred."""
        self.set_font(FONT, "", 9)
        with self.table(
            col_widths=tuple(widths),
            text_align="CENTER",
            line_height=5,
            headings_style=FontFace(emphasis="BOLD", fill_color=(232, 236, 241)),
            padding=1.2,
        ) as table:
            for line in [header, *rows]:
                row = table.row()
                for text in line:
                    row.cell(text)
        self.set_font(FONT, "", 10)

    def correction_notice(self, correction: dict[str, Any] | None) -> None:
        """A correction says so at the top: which certificate it replaces, of when, and why."""
        if not correction:
            return
        self.ln(1)
        self.set_draw_color(160, 0, 0)
        self.set_text_color(160, 0, 0)
        self.set_font(FONT, "B", 11)
        self.multi_cell(
            0,
            6,
            "CORRECTIE\n"
            f"Dit attest vervangt attest nr. {correction['number']} van "
            f"{day(correction['issued_on'])}: {correction['reason']}",
            border=1,
            padding=Padding.new(1.5),
            align="L",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_text_color(0, 0, 0)
        self.set_draw_color(0, 0, 0)
        self.ln(1)

    def training_block(self, c: dict[str, Any]) -> None:
        t = c["training"]
        self.heading("Gegevens van de opleiding")
        self.field("Opleiding", t["name"] + (f" ({t['code']})" if t.get("code") else ""))
        self.field("Algemene of beroepsopleiding", KINDS.get(t["kind"], t["kind"]))
        if t.get("recognition_number"):
            self.field("Erkenningsnummer", t["recognition_number"])
        elif t.get("joint_committee"):
            self.field("Paritair comité", f"nr. {t['joint_committee']}")
            self.field("Datum van de erkenning", day(t.get("joint_committee_date")))
        else:
            self.field("Identificatienummer opleiding", t.get("code") or f"ID {t['id']}")
        self.organisation_block(c["organisation"])

    def organisation_block(self, o: dict[str, Any]) -> None:
        """The organisation by its name, address and enterprise number, and the branch with its
        address; contents stored before the organisation's data existed name the branch only."""
        if o.get("name"):
            self.field("Opleidingsinstelling", o["name"])
            if o.get("address"):
                self.field("Adres", o["address"])
            if o.get("enterprise_number"):
                self.field("Ondernemingsnummer", o["enterprise_number"])
            branch = o["branch"] + (f"\n{o['branch_address']}" if o.get("branch_address") else "")
            self.field("Vestiging", branch)
        else:
            self.field("Opleidingsinstelling", o["branch"])
        self.field("Project", f"{o['project']} ({o['project_number']})")

    def participant_block(self, c: dict[str, Any]) -> None:
        p = c["participant"]
        self.heading("Cursist")
        self.field("Naam", p["name"])
        self.field("Rijksregisternummer", p.get("national_number") or "-")

    def schedule_block(self, s: dict[str, Any]) -> None:
        self.heading("Uurrooster van de opleiding")
        self.field("Lesdagen en lesuren", "\n".join(s["lesson_days"]) or "-")
        self.field("Begindatum van de opleiding", day(s["start_date"]))
        if s.get("last_exam_date"):
            self.field("Laatste examen 1ste zittijd", day(s["last_exam_date"]))
        else:
            self.field("Einddatum van de opleiding", day(s["end_date"]))
            self.note("Er worden geen examens georganiseerd: de einddatum is vermeld.")

    def signature_block(
        self,
        issued_on: str,
        organisation: dict[str, Any] | None = None,
        stamp: bytes | None = None,
    ) -> None:
        """Stamp, signature of an authorised person and the date the certificate was drawn up.

        The authorised signatory's name and function are printed in the signature box; the
        organisation's stamp image, when it has one, in the stamp box (the original signature is
        still put on by hand).
        """
        o = organisation or {}
        if self.will_page_break(42):
            self.add_page()
        self.heading("Ondertekening")
        self.field("Datum van opmaak", day(issued_on))
        self.ln(1)
        y = self.get_y()
        width = (self.epw - 8) / 2
        height = 30
        self.rect(self.l_margin, y, width, height)
        self.rect(self.l_margin + width + 8, y, width, height)
        self.set_font(FONT, "I", 8)
        self.set_xy(self.l_margin + 2, y + 1.5)
        self.cell(width - 4, 4, "Originele stempel van de opleidingsinstelling")
        if stamp:
            self.image(
                io.BytesIO(stamp), x=self.l_margin + 2, y=y + 6.5, w=width - 4, h=height - 8,
                keep_aspect_ratio=True,
            )  # fmt: skip
        self.set_xy(self.l_margin + width + 10, y + 1.5)
        self.multi_cell(
            width - 4, 4, "Naam en originele handtekening van een gemachtigde van de "
            "opleidingsinstelling", align="L", new_x="LEFT", new_y="NEXT",
        )  # fmt: skip
        if o.get("signatory_name"):
            self.set_font(FONT, "B", 9)
            self.set_x(self.l_margin + width + 10)
            function = f", {o['signatory_function']}" if o.get("signatory_function") else ""
            self.multi_cell(width - 4, 4.5, f"{o['signatory_name']}{function}", align="L")
        self.set_xy(self.l_margin, y + height + 1)
        self.set_font(FONT, "", 10)

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def _footer(kind: str, number_: int) -> str:
    return f"{kind} nr. {number_}"


def diligence_pdf(c: dict[str, Any], number_: int, stamp: bytes | None = None) -> bytes:
    """Attest (getuigschrift) van nauwgezetheid for one participant and one lesson period."""
    doc = Document(_footer("Attest van nauwgezetheid", number_))
    doc.title_line(f"Attest van nauwgezetheid nr. {number_}")
    doc.subtitle(
        "Getuigschrift van nauwgezetheid - betaald educatief verlof. Bewijs dat de cursist de "
        "opleiding nauwgezet volgt, per lesperiode."
    )
    doc.correction_notice(c.get("correction"))
    doc.training_block(c)
    doc.participant_block(c)
    doc.field("Lesperiode", f"{day(c['period'][0])} tot en met {day(c['period'][1])}")
    doc.field(
        "Datum voortijdige stopzetting",
        day(c["early_termination"]) if c.get("early_termination") else "niet van toepassing",
    )

    h = c["hours"]
    doc.heading("Tabel met lesuren")
    doc.grid(
        ["Vak", "A: theoretisch aantal lesuren op jaarbasis", "B: vrijgestelde lesuren",
         "C: nog te volgen lesuren", "D: niet gevolgd wegens latere inschrijving"],
        [[c["training"]["name"], number(h["A"]), number(h["B"]), number(h["C"]), number(h["D"])]],
        [38, 38, 29, 29, 40],
    )  # fmt: skip
    doc.note(
        "Aantallen in uren. Alleen contacturen tellen mee; stages en zelfstudie niet. "
        + (
            "C = A - B - D. "
            if c.get("schema", 1) < 2
            else "C: de geplande lesuren van de cursist na deze lesperiode, zonder vrijgestelde. "
        )
        + h.get("basis", "")
    )

    doc.schedule_block(c["schedule"])

    a = c["attendance"]
    doc.heading(
        f"Aanwezigheidstabel lesperiode {day(c['period'][0])} - {day(c['period'][1])} (in uren)"
    )
    doc.grid(
        ["Theoretisch aantal lesuren", "Aantal werkelijk gegeven lesuren", "Aanwezig",
         "Gewettigd afwezig", "Ongewettigd afwezig"],
        [[number(a["theoretical"]), number(a["given"]), number(a["present"]),
          number(a["justified"]), number(a["unjustified"])]],
        [36, 36, 34, 34, 34],
    )  # fmt: skip
    extra = [
        f"{label}: {number(a[key])} uur"
        for key, label in (
            ("exempted", "waarvan vrijgesteld"),
            ("late_enrolment", "waarvan niet gevolgd wegens latere inschrijving"),
        )
        if a.get(key) and a[key] != "0.00"
    ]
    if extra:
        doc.note("Van de gegeven lesuren: " + "; ".join(extra) + ".")
    doc.note(
        (_method_note(a) + " Alleen contacturen: zelfstudie en e-learning tellen niet mee.").strip()
    )

    doc.signature_block(c["issued_on"], c["organisation"], stamp)
    return doc.output_bytes()


def regular_enrolment_pdf(c: dict[str, Any], number_: int, stamp: bytes | None = None) -> bytes:
    """Attest van regelmatige inschrijving: the participant follows a recognised training."""
    doc = Document(_footer("Attest van regelmatige inschrijving", number_))
    doc.title_line(f"Attest van regelmatige inschrijving nr. {number_}")
    doc.subtitle("Betaald educatief verlof. Bewijs voor de werkgever dat de cursist een erkende "
                 "opleiding volgt.")  # fmt: skip
    doc.correction_notice(c.get("correction"))
    doc.set_font(FONT, "", 10)
    doc.multi_cell(
        0, 6,
        f"De opleidingsinstelling verklaart dat {c['participant']['name']} regelmatig "
        "ingeschreven is voor de hieronder vermelde opleiding.",
        align="L", new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    doc.training_block(c)
    doc.participant_block(c)
    doc.field("Datum van inschrijving", day(c["enrolled_on"]))
    if c.get("late_enrolment"):
        doc.note("De cursist schreef zich in na de start van de opleiding.")
    doc.schedule_block(c["schedule"])
    if c.get("early_termination"):
        doc.field("Datum voortijdige stopzetting", day(c["early_termination"]))
    doc.signature_block(c["issued_on"], c["organisation"], stamp)
    return doc.output_bytes()


def _statement(doc: Document, text: str) -> None:
    doc.set_font(FONT, "", 10)
    doc.multi_cell(0, 6, text, align="L", new_x="LMARGIN", new_y="NEXT")


def resit_notice_pdf(c: dict[str, Any], number_: int, stamp: bytes | None = None) -> bytes:
    """Attest van deelname 2de zittijd, 1ste attest: the participant must take part in it."""
    doc = Document(_footer("Attest van deelname 2de zittijd (1)", number_))
    doc.title_line(f"Attest van deelname 2de zittijd nr. {number_}")
    doc.subtitle(
        "1ste attest - betaald educatief verlof. De cursist moet deelnemen aan de 2de zittijd."
    )
    doc.correction_notice(c.get("correction"))
    _statement(
        doc,
        f"De opleidingsinstelling laat {c['participant']['name']} weten dat hij of zij moet "
        "deelnemen aan de 2de zittijd van de hieronder vermelde opleiding.",
    )
    doc.training_block(c)
    doc.participant_block(c)
    doc.heading("Zittijden")
    doc.field("Einde van de 1ste zittijd", day(c.get("first_sitting_end")))
    if c.get("second_sitting_end"):
        doc.field("Einde van de 2de zittijd", day(c["second_sitting_end"]))
    doc.signature_block(c["issued_on"], c["organisation"], stamp)
    return doc.output_bytes()


def resit_participation_pdf(c: dict[str, Any], number_: int, stamp: bytes | None = None) -> bytes:
    """Attest van deelname 2de zittijd, 2de attest: the participation, with the exams' dates."""
    doc = Document(_footer("Attest van deelname 2de zittijd (2)", number_))
    doc.title_line(f"Attest van deelname 2de zittijd nr. {number_}")
    doc.subtitle(
        "2de attest - betaald educatief verlof. Bevestiging van de deelname aan de 2de zittijd."
    )
    doc.correction_notice(c.get("correction"))
    _statement(
        doc,
        f"De opleidingsinstelling bevestigt dat {c['participant']['name']} heeft deelgenomen aan "
        "de 2de zittijd van de hieronder vermelde opleiding.",
    )
    doc.training_block(c)
    doc.participant_block(c)
    doc.heading("2de zittijd")
    doc.field("Einde van de 1ste zittijd", day(c.get("first_sitting_end")))
    doc.field("Einde van de 2de zittijd", day(c.get("second_sitting_end")))
    doc.field("Data van de afgelegde examens", "\n".join(day(d) for d in c["exam_dates"]))
    doc.signature_block(c["issued_on"], c["organisation"], stamp)
    return doc.output_bytes()


def attendance_pdf(c: dict[str, Any], number_: int, stamp: bytes | None = None) -> bytes:
    """Deelnameattest (aanwezigheidsattest): the hours a participant attended the training.

    For participants not on betaald educatief verlof: it names no leave regime at all.
    """
    doc = Document(_footer("Deelnameattest", number_))
    doc.title_line(f"Deelnameattest nr. {number_}")
    doc.subtitle("Attest van deelname en aanwezigheid aan de hieronder vermelde opleiding.")
    doc.correction_notice(c.get("correction"))
    _statement(
        doc,
        f"De opleidingsinstelling verklaart dat {c['participant']['name']} deelnam aan de "
        "hieronder vermelde opleiding, met de volgende aanwezigheden.",
    )
    doc.training_block(c)
    doc.participant_block(c)
    doc.schedule_block(c["schedule"])
    a = c["attendance"]
    doc.heading("Aanwezigheden (in uren)")
    doc.grid(
        ["Gegeven lesuren", "Lesuren die tellen", "Aanwezig", "Gewettigd afwezig",
         "Ongewettigd afwezig"],
        [[number(a["given"]), number(a["counting"]), number(a["present"]), number(a["justified"]),
          number(a["unjustified"])]],
        [35, 35, 34, 35, 35],
    )  # fmt: skip
    doc.note(
        f"Lessen: {c.get('lessons', 0)}. De lesuren die tellen zijn de gegeven lesuren zonder "
        f"vrijgestelde ({number(a['exempted'])}) en zonder wegens latere inschrijving niet "
        f"gevolgde ({number(a['late_enrolment'])})."
    )
    elearning = a.get("self_reported")
    doc.note(
        _method_note(a)
        + (
            f" Waarvan goedgekeurde e-learninguren: {number(elearning)}."
            if elearning and elearning != "0.00"
            else ""
        )
    )
    if c.get("early_termination"):
        doc.field("Datum voortijdige stopzetting", day(c["early_termination"]))
    doc.signature_block(c["issued_on"], c["organisation"], stamp)
    return doc.output_bytes()


def _method_note(a: dict[str, Any]) -> str:
    """How the hours present were counted (the training's hours method), said on the
    certificate as on every figure; certificates issued before the setting say nothing."""
    method = a.get("method")
    if method == "lessons":
        return "Aanwezige uren per les: een les waarin de cursist aanwezig telt, telt voor al haar geplande uren."
    if method == "registered":
        return "Aanwezige uren: de geregistreerde tijd van inchecken tot uitchecken, binnen de les en zonder de pauze."
    return ""


LAYOUTS = {
    "diligence": diligence_pdf,
    "regular_enrolment": regular_enrolment_pdf,
    "resit_notice": resit_notice_pdf,
    "resit_participation": resit_participation_pdf,
    "attendance": attendance_pdf,
}


def render(kind: str, contents: dict[str, Any], number_: int, stamp: bytes | None = None) -> bytes:
    return LAYOUTS[kind](contents, number_, stamp)
