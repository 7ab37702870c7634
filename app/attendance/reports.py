"""Attendance reports as rows, CSV and XLSX, from :func:`training_figures`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from app import spreadsheet, xlsx
from app.attendance.figures import TrainingFigures
from app.domain.attendance import hours
from app.web import risk_label

COLUMNS = (
    ("participant_id", _l("Participant id")),
    ("name", _l("Name")),
    ("planned_hours", _l("Hours given")),
    ("exempted_hours", _l("Hours exempted")),
    ("late_enrolment_hours", _l("Hours missed through late enrolment")),
    ("counting_hours", _l("Hours that count")),
    ("present_hours", _l("Hours present")),
    ("justified_hours", _l("Hours justified absent")),
    ("unjustified_hours", _l("Hours unjustified absent")),
    ("incomplete_hours", _l("Hours incomplete")),
    ("attendance_percent", _l("Attendance %")),
    ("exam_eligible", _l("Exam eligible")),
    ("paid_leave", _l("Paid educational leave")),
    ("keeps_paid_leave", _l("Keeps paid leave")),
    ("at_risk", _l("At risk")),
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
                "leave_regime": (
                    p.enrolment.leave_regime.value if p.paid_leave and p.enrolment else None
                ),
                "at_risk": ",".join(p.at_risk),
            }
        )
    return result


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    return "" if value is None else value


def _file_rows(report: TrainingFigures) -> list[list[Any]]:
    """The rows of the CSV and the XLSX: what is at risk in words, yes and no translated."""
    result = []
    for row in rows(report):
        risks = ", ".join(risk_label(r) for r in row["at_risk"].split(",") if r)
        result.append([_cell(risks if key == "at_risk" else row[key]) for key, _ in COLUMNS])
    return result


def to_csv(report: TrainingFigures) -> bytes:
    return spreadsheet.csv_bytes([title for _, title in COLUMNS], _file_rows(report))


def to_xlsx(report: TrainingFigures) -> bytes:
    sheet = xlsx.Sheet(
        str(_l("Attendance")),
        [[str(title) for _, title in COLUMNS], *_file_rows(report)],
        bold_heading=True,
        freeze_heading=True,
    )
    return xlsx.workbook([sheet])
