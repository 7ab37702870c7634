"""A fast writer for the plain spreadsheets the downloads are: values, a bold heading, date and
two-decimal formats, a frozen heading row and a filter; nothing else.

Why not openpyxl or XlsxWriter for writing: both spend 15-25 microseconds per cell on this
machine, so a project's export of 32,000 rows of 17 columns took 8 to 15 seconds to write. This
streams the same cells (inline strings, as openpyxl writes them too) in well under a second.
openpyxl stays for reading (the participant import), and the tests read back every file
written here with it.

Every text is a text cell (an inline string), never a formula; text a spreadsheet would take
for one (``app.spreadsheet.risky``: ``=HYPERLINK(...)``, ``+32...``) also gets the
quote-prefix style, so editing the cell keeps it text (OWASP, "CSV Injection").
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

from app.spreadsheet import risky

Format = Literal["date", "0.00"]
_EPOCH = date(1899, 12, 30)  # day 0 of Excel's 1900 date system (its leap-year bug included)
# Characters XML 1.0 cannot hold: dropped, so text that was stored never breaks a download.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# cellXfs below: 0 plain, 1 bold, 2 date (numFmt 164), 3 two decimals (built-in numFmt 2),
# 4 text with the quote prefix.
_BOLD, _STYLE, _QUOTED = 1, {"date": 2, "0.00": 3}, 4
_ROWS_PER_WRITE = 500


@dataclass
class Sheet:
    """One worksheet: ``rows`` of values (str, int, float, Decimal, bool, date or None);
    ``formats`` maps a column index to the format its numbers and dates are shown with."""

    title: str
    rows: Sequence[Sequence[Any]]
    formats: dict[int, Format] = field(default_factory=dict)
    bold_heading: bool = False  # the first row in bold
    freeze_heading: bool = False  # the first row stays in view when scrolling
    auto_filter: bool = False  # a filter on every column of the heading


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The .xlsx file holding ``sheets``, in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=5) as package:
        package.writestr("[Content_Types].xml", _content_types(len(sheets)))
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", _workbook(sheets))
        package.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        package.writestr("xl/styles.xml", _STYLES)
        for number, sheet in enumerate(sheets, start=1):
            with package.open(f"xl/worksheets/sheet{number}.xml", "w") as stream:
                for chunk in _sheet(sheet):
                    stream.write(chunk.encode("utf-8", "replace"))
    return buffer.getvalue()


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet(sheet: Sheet) -> Iterator[str]:
    width = max((len(row) for row in sheet.rows), default=0)
    letters = [column_letter(i) for i in range(max(width, 1))]
    last = f"{letters[width - 1]}{len(sheet.rows)}" if width and sheet.rows else "A1"
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{last}"/>'
    )
    if sheet.freeze_heading:
        yield (
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
            'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        )
    yield "<sheetData>"
    styles = [_STYLE[sheet.formats[i]] if i in sheet.formats else 0 for i in range(len(letters))]
    # The same value in the same style is written the same way: a column of training names,
    # times or statuses is escaped and formatted once.
    written: dict[tuple[type, Any, int], str] = {}
    chunk: list[str] = []
    for number, row in enumerate(sheet.rows, start=1):
        bold = sheet.bold_heading and number == 1
        parts = []
        for i, value in enumerate(row):
            if value is None or value == "":
                continue
            style = _BOLD if bold else styles[i]
            key = (type(value), value, style)
            body = written.get(key)
            if body is None:
                body = written[key] = _cell_body(value, style)
            parts.append(f'<c r="{letters[i]}{number}"{body}')
        cells = "".join(parts)
        chunk.append(f'<row r="{number}">{cells}</row>')
        if len(chunk) == _ROWS_PER_WRITE:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)
    yield "</sheetData>"
    if sheet.auto_filter and width:
        yield f'<autoFilter ref="A1:{last}"/>'
    yield "</worksheet>"


def _cell_body(value: Any, style: int) -> str:
    """A cell after its reference: ``<c r="B7"`` + this."""
    if isinstance(value, str):
        text = _NOT_XML.sub("", value)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        if risky(text):
            style = _QUOTED
        styled = f' s="{style}"' if style in (_BOLD, _QUOTED) else ""
        return f'{styled} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        styled = f' s="{style}"' if style else ""
        return f"{styled}><v>{value}</v></c>"
    if isinstance(value, date) and not isinstance(value, datetime):
        # A date is a number of days shown with a date format (the column's, or dd/mm/yyyy).
        return f' s="{style or _STYLE["date"]}"><v>{(value - _EPOCH).days}</v></c>'
    raise TypeError(f"cannot write {type(value).__name__} to a spreadsheet cell")


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{sheets}</Types>"
    )


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def _workbook(sheets: Sequence[Sheet]) -> str:
    entries = "".join(
        f'<sheet name={quoteattr(_title(s.title))} sheetId="{n}" r:id="rId{n}"/>'
        for n, s in enumerate(sheets, start=1)
    )
    # Excel keeps a filter's range in this hidden name; without it, it repairs the file.
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
        f"{escape(_quoted(s.title))}!$A$1:${column_letter(len(s.rows[0]) - 1)}${len(s.rows)}"
        "</definedName>"
        for n, s in enumerate(sheets)
        if s.auto_filter and s.rows and s.rows[0]
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{entries}</sheets>"
        + (f"<definedNames>{filters}</definedNames>" if filters else "")
        + "</workbook>"
    )


def _title(title: str) -> str:
    """Excel's rules for a sheet name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "_", _NOT_XML.sub("", title))[:31] or "Sheet"


def _quoted(title: str) -> str:
    return "'" + _title(title).replace("'", "''") + "'"


def _workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/'
        f'2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{sheets}<Relationship Id="rId{count + 1}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'
    )


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
