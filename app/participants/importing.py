"""Importing participants from a CSV or XLSX file: a bad row is reported by line, good rows kept."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from app.audit import Actor
from app.errors import Refusal
from app.extensions import db
from app.models import Branch
from app.participants.operations import create_participant

COLUMNS = ("name", "email", "national_number")


@dataclass
class ImportResult:
    created: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def parse_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, {column: text}); the first row names the columns."""
    if filename.lower().endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise Refusal("bad_file", _l("This is not a readable XLSX file.")) from exc
        rows = [
            ["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t") if text.strip() else csv.excel
        rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise Refusal("empty_file", _l("The file is empty."))
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    missing = [c for c in ("name", "email") if c not in header]
    if missing:
        raise Refusal(
            "bad_header", _l("The first row must name the columns name, email and national_number.")
        )
    result = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        result.append((number, {c: values.get(c, "") for c in COLUMNS}))
    return result


def import_participants(actor: Actor, branch: Branch, filename: str, data: bytes) -> ImportResult:
    """Create a participant per good row; each row in its own savepoint so a bad one loses nothing."""
    result = ImportResult()
    for number, row in parse_rows(filename, data):
        try:
            with db.session.begin_nested():
                create_participant(
                    actor, branch, row["name"], row["email"], row["national_number"] or None
                )
        except Refusal as refusal:
            result.problems.append((number, str(refusal.message)))
        else:
            result.created += 1
    return result
