"""The spreadsheet writer: what openpyxl (as a spreadsheet program would) reads back."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.xlsx import Sheet, column_letter, workbook


def read(data: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(io.BytesIO(data))


def test_values_keep_their_type_and_format():
    rows = [
        ["name", "day", "hours", "count", "ok", "empty", "none"],
        ['Anaïs <&> "Dubois"', date(2026, 1, 5), Decimal("3.25"), 7, True, "", None],
        ["  spaced  ", date(2000, 1, 1), 1.5, -2, False, "x", None],
    ]
    book = read(
        workbook(
            [
                Sheet(
                    "Registraties",
                    rows,
                    formats={1: "date", 2: "0.00"},
                    bold_heading=True,
                    freeze_heading=True,
                    auto_filter=True,
                ),
                Sheet("Info", [("from", date(2026, 1, 5)), ("rows", 2)]),
            ]
        )
    )
    assert book.sheetnames == ["Registraties", "Info"]
    sheet = book["Registraties"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == rows[0]
    assert values[1] == ['Anaïs <&> "Dubois"', datetime(2026, 1, 5), 3.25, 7, True, None, None]
    assert values[2] == ["  spaced  ", datetime(2000, 1, 1), 1.5, -2, False, "x", None]
    assert sheet["B2"].number_format == "dd/mm/yyyy" and sheet["C2"].number_format == "0.00"
    assert all(cell.font.b for cell in sheet[1]) and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:G3"
    assert book["Info"]["B1"].value == datetime(2026, 1, 5)
    assert book["Info"]["B1"].number_format == "dd/mm/yyyy"


def test_text_that_xml_cannot_hold_is_dropped_not_a_broken_file():
    book = read(workbook([Sheet("a/b:c", [["bell\x07 and\x00 nul", "lone \ud800 surrogate"]])]))
    assert book.sheetnames == ["a_b_c"]
    assert book.active["A1"].value == "bell and nul"
    assert book.active["B1"].value == "lone ? surrogate"


def test_an_empty_sheet_and_many_columns():
    assert read(workbook([Sheet("Empty", [])])).active.max_row == 1
    wide = read(workbook([Sheet("Wide", [list(range(30))])])).active
    assert wide["AD1"].value == 29
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_the_package_has_the_parts_a_spreadsheet_program_needs():
    names = set(zipfile.ZipFile(io.BytesIO(workbook([Sheet("S", [[1]])]))).namelist())
    assert names >= {
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
    }


def test_an_unknown_value_type_is_refused_loudly():
    with pytest.raises(TypeError):
        workbook([Sheet("S", [[object()]])])
