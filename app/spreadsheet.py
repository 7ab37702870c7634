"""CSV files that a spreadsheet opens safely and reads the Belgian way.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken for a
formula by Excel and LibreOffice: a participant named ``=HYPERLINK("http://evil.example/")``
would become a live link in the export (OWASP, "CSV Injection"). In CSV such text gets a
leading apostrophe, which spreadsheets read as "this is text"; the XLSX writer (``app.xlsx``)
writes it as a text cell with the quote-prefix style, so the cell shows what the person typed.

For a Belgian Excel the CSV is separated by semicolons, its numbers have a decimal comma and
its dates read dd/mm/yyyy (in the Dutch interface; the English one writes 3.00 and ISO dates).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import get_locale

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def risky(value: object) -> bool:
    """Text that a spreadsheet would evaluate as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _dutch() -> bool:
    return str(get_locale() or "nl").startswith("nl")


def dutch() -> bool:
    """Whether the files are written the Belgian Dutch way (the current language)."""
    return _dutch()


def csv_cell(value: Any, dutch: bool = True) -> Any:
    """One cell as the CSV holds it: inert text, numbers and dates as a Belgian reads them."""
    if isinstance(value, str):
        return "'" + value if risky(value) else value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal | float):
        text = f"{value:.2f}"
        return text.replace(".", ",") if dutch else text
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if dutch else value.isoformat()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y") if dutch else value.isoformat()
    return value


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """Semicolon-separated with a BOM, as Excel in Belgium opens it; text made inert."""
    dutch = _dutch()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([csv_cell(str(title), dutch) for title in header])
    writer.writerows([csv_cell(value, dutch) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
