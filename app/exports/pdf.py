"""The paper attendance list (docs/rules.md, "Paper list"), layout only: it takes a :class:`PaperList` of plain
texts and marks, computed elsewhere from the digital registrations.

Landscape A4. At most :data:`LESSONS_PER_PAGE` lesson columns per page: a period with more
lessons continues on further pages (lessons 1-24, 25-48, ...), and a long participant list
continues on a next page with the column headings repeated. Every block of lessons ends with
the count of participants present and a row for the trainer's initials; then the hours per
participant for the period (present, justified, unjustified absent, approved e-learning hours
included), saying how the hours present were counted; the list ends with the trainer's
signature for the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.certificates.pdf import FONT, Document, day

LESSONS_PER_PAGE = 24
NAME_WIDTH = 58.0
MAX_LESSON_WIDTH = 14.0
ROW_HEIGHT = 6.5
COUNT_HEIGHT = 6.5
INITIALS_HEIGHT = 11.0
LEGEND = (
    "X = aanwezig   A = afwezig   leeg = vrijgesteld (of geen les voor deze cursist)   "
    "? = onvolledig (ingecheckt, niet uitgecheckt)   - = nog niet ingeschreven   "
    "lessen die nog moeten plaatsvinden blijven leeg"
)


@dataclass(frozen=True)
class Lesson:
    day: str  # ISO date
    start: str  # "09:00"
    trainer: str = ""


@dataclass(frozen=True)
class PaperList:
    training: str
    project: str
    organisation: str
    period: tuple[str, str]  # ISO dates
    printed_on: str  # ISO date
    lessons: list[Lesson]
    rows: list[tuple[str, list[str]]]  # participant name, one mark per lesson
    counts: list[int]  # participants present per lesson
    trainers: list[str] = field(default_factory=list)
    hours_method: str = "registered"  # app.domain.thresholds.HoursMethod
    # participant name, hours present, justified, unjustified, of which e-learning ("2,42")
    totals: list[tuple[str, str, str, str, str]] = field(default_factory=list)


METHOD_NOTES = {
    "registered": "Uren aanwezig: de geregistreerde tijd (inchecken tot uitchecken binnen de les, "
    "zonder de pauze); de rest van de les is afwezigheid.",
    "lessons": "Uren aanwezig: per les (een les waarin de cursist als aanwezig telt, telt voor al "
    "haar geplande uren; een andere les voor geen).",
}
TOTAL_WIDTHS = (NAME_WIDTH, 30.0, 34.0, 38.0, 36.0)
TOTAL_HEADINGS = (
    "Cursist", "Uren aanwezig", "Gewettigd afwezig", "Ongewettigd afwezig", "Waarvan e-learning",
)  # fmt: skip


def _fit(doc: Document, text: str, width: float) -> str:
    """``text`` cut with "..." so it fits in ``width`` mm at the current font."""
    if doc.get_string_width(text) <= width:
        return text
    while text and doc.get_string_width(text + "...") > width:
        text = text[:-1]
    return text + "..."


class _List(Document):
    def __init__(self, data: PaperList):
        super().__init__(
            footer=f"Aanwezigheidslijst {data.training} {day(data.period[0])} - "
            f"{day(data.period[1])}, afgedrukt op {day(data.printed_on)} uit de digitale "
            "registratie",
            orientation="L",
            margin=10,
        )
        self.data = data
        self.set_auto_page_break(auto=False, margin=14)

    @property
    def bottom(self) -> float:
        return self.h - 14

    def page_heading(self, first: int, last: int) -> None:
        d = self.data
        self.set_font(FONT, "B", 13)
        self.cell(0, 7, f"Aanwezigheidslijst - {d.training}", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 9)
        lessons = f"lessen {first + 1}-{last} van {len(d.lessons)}" if d.lessons else "geen lessen"
        self.cell(
            0, 5,
            f"{d.organisation} - {d.project} - periode {day(d.period[0])} tot en met "
            f"{day(d.period[1])} - {lessons}",
            new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip
        self.set_font(FONT, "", 7.5)
        self.multi_cell(0, 4, LEGEND, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def column_heading(self, block: list[Lesson], first: int, width: float) -> None:
        self.set_font(FONT, "B", 8)
        y = self.get_y()
        self.set_fill_color(232, 236, 241)
        self.cell(NAME_WIDTH, 13, "Cursist", border=1, fill=True)
        for offset, lesson in enumerate(block):
            x = self.l_margin + NAME_WIDTH + offset * width
            self.rect(x, y, width, 13, style="DF")
            self.set_xy(x, y + 0.6)
            self.set_font(FONT, "B", 7)
            self.cell(width, 3.8, str(first + offset + 1), align="C")
            self.set_xy(x, y + 4.4)
            self.set_font(FONT, "", 6.5)
            self.cell(width, 3.8, day(lesson.day)[:5], align="C")
            self.set_xy(x, y + 8.2)
            self.cell(width, 3.8, lesson.start, align="C")
        self.set_xy(self.l_margin, y + 13)

    def row(self, label: str, cells: list[str], width: float, height: float, bold: bool) -> None:
        self.set_font(FONT, "B" if bold else "", 9)
        self.cell(NAME_WIDTH, height, _fit(self, label, NAME_WIDTH - 2), border=1)
        self.set_font(FONT, "B", 10)
        for text in cells:
            self.cell(width, height, text, border=1, align="C")
        self.ln(height)

    def block(self, first: int, block: list[Lesson]) -> None:
        d = self.data
        last = first + len(block)
        width = min(MAX_LESSON_WIDTH, (self.epw - NAME_WIDTH) / max(len(block), 1))
        self.page_heading(first, last)
        self.column_heading(block, first, width)
        closing = COUNT_HEIGHT + INITIALS_HEIGHT
        for index, (name, marks) in enumerate(d.rows):
            needed = ROW_HEIGHT + (closing if index == len(d.rows) - 1 else 0)
            if self.get_y() + needed > self.bottom:
                self.add_page()
                self.page_heading(first, last)
                self.column_heading(block, first, width)
            self.row(name, marks[first:last], width, ROW_HEIGHT, bold=False)
        if self.get_y() + closing > self.bottom:
            self.add_page()
            self.page_heading(first, last)
            self.column_heading(block, first, width)
        self.row("Aantal aanwezig", [str(c) for c in d.counts[first:last]], width,
                 COUNT_HEIGHT, bold=True)  # fmt: skip
        self.row("Paraaf opleider", ["" for _ in block], width, INITIALS_HEIGHT, bold=True)

    def totals(self) -> None:
        """The hours per participant over the period, as every other page and file shows them."""
        d = self.data
        if self.get_y() + 24 > self.bottom:
            self.add_page()
        self.ln(4)
        self.set_font(FONT, "B", 10)
        self.cell(0, 6, "Uren per cursist in deze periode", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 8)
        self.multi_cell(0, 4, METHOD_NOTES.get(d.hours_method, d.hours_method),
                        new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        self.set_font(FONT, "B", 8)
        self.set_fill_color(232, 236, 241)
        for width, heading in zip(TOTAL_WIDTHS, TOTAL_HEADINGS, strict=True):
            self.cell(width, ROW_HEIGHT, heading, border=1, fill=True)
        self.ln(ROW_HEIGHT)
        self.set_font(FONT, "", 9)
        for row in d.totals:
            if self.get_y() + ROW_HEIGHT > self.bottom:
                self.add_page()
            for index, (width, text) in enumerate(zip(TOTAL_WIDTHS, row, strict=True)):
                label = _fit(self, text, width - 2) if index == 0 else text
                self.cell(width, ROW_HEIGHT, label, border=1, align="L" if index == 0 else "R")
            self.ln(ROW_HEIGHT)

    def signature(self) -> None:
        if self.get_y() + 36 > self.bottom:
            self.add_page()
        self.ln(5)
        self.set_font(FONT, "B", 10)
        self.cell(0, 6, "Handtekening van de opleider op het einde van de periode",
                  new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        self.set_font(FONT, "", 9)
        trainers = ", ".join(self.data.trainers) or "...................................."
        self.cell(120, 6, f"Naam: {trainers}")
        self.cell(0, 6, "Datum: ....../....../..........", new_x="LMARGIN", new_y="NEXT")
        self.rect(self.l_margin, self.get_y() + 1, 100, 20)
        self.set_y(self.get_y() + 22)


def paper_list_pdf(data: PaperList) -> bytes:
    doc = _List(data)
    lessons = data.lessons
    starts = range(0, len(lessons), LESSONS_PER_PAGE) if lessons else [0]
    for n, first in enumerate(starts):
        if n:
            doc.add_page()
        doc.block(first, lessons[first : first + LESSONS_PER_PAGE])
    if data.totals:
        doc.totals()
    doc.signature()
    return doc.output_bytes()
