"""Importing participants from a CSV or XLSX file: a bad row is reported by line, good rows kept.

``parse_rows`` is pure (bytes in, rows out); ``import_participants`` is the operation: each row
is created in its own savepoint, so a refused row is rolled back alone. It flushes; the caller
commits once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.models import Branch, Session, Training
from app.participants.operations.creating import create_participant
from app.participants.operations.enrolling import enrol_in_training

COLUMNS = ("name", "email", "national_number")
# Header names as people type them (English and Dutch); compared lower-case, "_" for spaces.
ALIASES = {
    "name": ("name", "naam", "full_name", "volledige_naam"),
    "email": ("email", "e_mail", "mail", "emailadres", "e_mailadres"),
    "national_number": (
        "national_number",
        "national_register_number",
        "rijksregisternummer",
        "rrn",
        "nrn",
    ),
}
MAX_ROWS = 5000


@dataclass
class ImportResult:
    created: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def _header_name(text: str) -> str:
    key = text.strip().lower().replace(" ", "_").replace("-", "_").replace(".", "")
    for column, names in ALIASES.items():
        if key in names:
            return column
    return key


def _cell(value: object) -> str:
    """An XLSX cell as text (numbers without a trailing .0, dates as dd/mm/yyyy)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise Refusal("bad_file", _l("This is not a readable XLSX file.")) from exc
    try:
        sheet = book.active
        if sheet is None:
            raise Refusal("bad_file", _l("This is not a readable XLSX file."))
        return [[_cell(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    if "\x00" in text:
        raise Refusal("bad_file", _l("This is not a readable CSV file."))
    first_line = text.split("\n", 1)[0]
    # Excel in Belgium writes ";"; others "," or a tab: the header line tells which.
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise Refusal("bad_file", _l("This is not a readable CSV file.")) from exc


def _national_number(text: str) -> str:
    """A number typed into a spreadsheet loses its leading zero (born 2000-2009): put it back."""
    text = text.strip()
    if text.isdigit() and len(text) == 10:
        return "0" + text
    return text


def parse_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, {column: text}); the first row names the columns.

    Raises a Refusal for a file that cannot be read at all; a bad row is left to the operation.
    """
    rows = _xlsx_rows(data) if filename.lower().endswith(".xlsx") else _csv_rows(data)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise Refusal("empty_file", _l("The file is empty."))
    header = [_header_name(h) for h in rows[0]]
    if "name" not in header or "email" not in header:
        raise Refusal(
            "bad_header",
            _l("The first row must name the columns: name, email and national_number."),
        )
    if len(rows) - 1 > MAX_ROWS:
        raise Refusal(
            "too_many_rows", _l("At most %(n)s participants per file.", n=MAX_ROWS), status=413
        )
    result = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values: dict[str, str] = {}
        for i, name in enumerate(header):
            if name in COLUMNS and name not in values:
                values[name] = row[i].strip() if i < len(row) else ""
        values["national_number"] = _national_number(values.get("national_number", ""))
        result.append((number, {c: values.get(c, "") for c in COLUMNS}))
    return result


def import_participants(
    actor: Actor,
    branch: Branch,
    filename: str,
    data: bytes,
    enrol_in: Training | Session | None = None,
) -> ImportResult:
    """Create a participant per good row, and enrol them in ``enrol_in`` (every session of a
    training, or one session) in the same step; each row in its own savepoint so a bad one
    loses nothing and is reported by its line."""
    rows = parse_rows(filename, data)
    if not rows:
        raise Refusal("empty_file", _l("The file has no participants below the header row."))
    if enrol_in is not None and _branch_of(enrol_in) != branch.id:
        raise Refusal("other_branch", _l("Choose a training or session of this branch."))
    sessions = (
        [s for s in enrol_in.sessions if not s.cancelled]
        if isinstance(enrol_in, Training)
        else [enrol_in]
        if enrol_in is not None
        else []
    )
    result = ImportResult()
    for number, row in rows:
        try:
            with db.session.begin_nested():
                person = create_participant(
                    actor, branch, row["name"], row["email"], row["national_number"] or None
                )
                if sessions:
                    enrol_in_training(actor, sessions, person)
        except Refusal as refusal:
            result.problems.append((number, str(refusal.message)))
        else:
            result.created += 1
    return result


def _branch_of(target: Training | Session) -> int:
    training = target if isinstance(target, Training) else target.training
    return training.project.branch_id
