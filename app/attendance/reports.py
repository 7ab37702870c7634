"""Attendance reports as rows, CSV and XLSX, from :func:`training_figures`."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from app import xlsx
from app.attendance.figures import TrainingFigures
from app.domain.attendance import hours

COLUMNS = (
    ("participant_id", "Participant id"),
    ("name", "Name"),
    ("planned_hours", "Hours given"),
    ("exempted_hours", "Hours exempted"),
    ("late_enrolment_hours", "Hours missed through late enrolment"),
    ("counting_hours", "Hours that count"),
    ("present_hours", "Hours present"),
    ("justified_hours", "Hours justified absent"),
    ("unjustified_hours", "Hours unjustified absent"),
    ("incomplete_hours", "Hours incomplete"),
    ("attendance_percent", "Attendance %"),
    ("exam_eligible", "Exam eligible"),
    ("paid_leave", "Paid educational leave"),
    ("keeps_paid_leave", "Keeps paid leave"),
    ("at_risk", "At risk"),
)


def percent(ratio: Any) -> Decimal:
    return (
        (Decimal(ratio.numerator) * 100 / Decimal(ratio.denominator)).quantize(Decimal("0.1"))
        if ratio
        else Decimal("0.0")
    )


def rows(report: TrainingFigures) -> list[dict[str, Any]]:
    """One row per participant with the figures of the training (or the period)."""
    result = []
    for p in report.participants:
        f = p.figures
        result.append(
            {
                "participant_id": p.participant.id,
                "name": p.participant.name,
                "planned_hours": hours(f.planned),
                "exempted_hours": hours(f.exempted),
                "late_enrolment_hours": hours(f.late_enrolment),
                "counting_hours": hours(f.counting),
                "present_hours": hours(f.present),
                "justified_hours": hours(f.justified),
                "unjustified_hours": hours(f.unjustified),
                "incomplete_hours": hours(f.incomplete),
                "attendance_percent": percent(f.attendance_ratio),
                "exam_eligible": p.exam_eligible,
                "paid_leave": p.paid_leave,
                "keeps_paid_leave": p.keeps_paid_leave if p.paid_leave else None,
                "at_risk": ",".join(p.at_risk),
            }
        )
    return result


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else value


def to_csv(report: TrainingFigures) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([title for _, title in COLUMNS])
    for row in rows(report):
        writer.writerow([_cell(row[key]) for key, _ in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def to_xlsx(report: TrainingFigures) -> bytes:
    sheet = xlsx.Sheet(
        "Attendance",
        [
            [title for _, title in COLUMNS],
            *([_cell(row[key]) for key, _ in COLUMNS] for row in rows(report)),
        ],
    )
    return xlsx.workbook([sheet])
