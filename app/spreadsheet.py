"""CSV and XLSX files that a spreadsheet opens safely.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken for a
formula by Excel and LibreOffice: a participant named ``=HYPERLINK("http://evil.example/")``
would become a live link in the export (OWASP, "CSV Injection"). In CSV such text gets a
leading apostrophe, which spreadsheets read as "this is text"; in XLSX it is written as a
text cell with the quote-prefix style, so the cell shows exactly what the person typed.
Numbers and dates stay numbers and dates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def risky(value: object) -> bool:
    """Text that a spreadsheet would evaluate as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    return "'" + value if risky(value) else value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Semicolon-separated with a BOM, as Excel in Belgium opens it; text made inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([csv_cell(title) for title in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def append(sheet: Worksheet, values: Sequence[Any]) -> None:
    """Append a row; every text cell stays text, never a formula."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if risky(cell.value):
                cell.quotePrefix = True
