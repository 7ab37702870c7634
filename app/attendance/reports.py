"""Attendance reports as rows, CSV and XLSX, from :func:`training_figures`.

Every row says which hours method its hours present follow (``hours_method``), and for a
participant on paid leave the 10% rule per lesson period (``paid_leave_periods``).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l

from app import spreadsheet, xlsx
from app.attendance.figures import ParticipantFigures, TrainingFigures
from app.domain.attendance import hours
from app.web import LEAVE_STATE_LABELS, hours_method_label, leave_line, risk_label

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
    ("self_reported_hours", _l("Of which approved e-learning hours")),
    ("attendance_percent", _l("Attendance %")),
    ("lessons_present", _l("Lessons present")),
    ("lessons_counting", _l("Lessons that count")),
    ("exam_eligible", _l("Exam eligible")),
    ("paid_leave", _l("Paid educational leave")),
    ("keeps_paid_leave", _l("Keeps paid leave")),
    ("paid_leave_periods", _l("Paid leave per lesson period")),
    ("at_risk", _l("At risk")),
    ("hours_method", _l("Hours present counted as")),
)
PERIOD_COLUMNS = (
    ("participant_id", _l("Participant id")),
    ("name", _l("Name")),
    ("start", _l("From")),
    ("end", _l("Until")),
    ("counting_hours", _l("Hours that count")),
    ("period_hours", _l("Hours in the whole period")),
    ("unjustified_hours", _l("Hours unjustified absent")),
    ("limit_hours", _l("Lost above (hours)")),
    ("unjustified_percent", _l("Unjustified, percent of the whole period")),
    ("state", _l("Paid leave")),
    ("keeps_paid_leave", _l("Keeps paid leave")),
    ("at_risk", _l("At risk")),
)


_TICK = timedelta(microseconds=1)


def percent(ratio: Any) -> Decimal:
    return (
        (Decimal(ratio.numerator) * 100 / Decimal(ratio.denominator)).quantize(Decimal("0.1"))
        if ratio
        else Decimal("0.0")
    )


def leave_periods(p: ParticipantFigures) -> list[dict[str, Any]]:
    """The 10% rule per lesson period (empty for someone not on paid leave)."""
    return [
        {
            "start": leave.period[0],
            "end": leave.period[1],
            "counting_hours": hours(leave.figures.counting),
            "period_hours": hours(leave.total),
            "unjustified_hours": hours(leave.figures.unjustified),
            "limit_hours": hours(leave.limit),
            # Against the whole period, the base of the verdict: never a share of the hours
            # given so far beside a verdict over the period (docs/rules.md).
            "unjustified_percent": percent(
                Fraction(leave.figures.unjustified // _TICK, leave.total // _TICK)
                if leave.total
                else 0
            ),
            "state": leave.state,
            "text": leave_line(leave),
            "keeps_paid_leave": leave.keeps,
            "at_risk": leave.at_risk,
        }
        for leave in (p.leave_periods if p.paid_leave else [])
    ]


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
                "hours_method": p.method,
                "self_reported_hours": hours(p.self_reported),
                "lessons_counting": f.lessons,
                "lessons_present": f.lessons_present,
                "paid_leave_periods": leave_periods(p),
            }
        )
    return result


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    return "" if value is None else value


def _day(value: Any) -> str:
    return value.strftime("%d/%m/%Y")


def periods_text(periods: list[dict[str, Any]]) -> str:
    """The periods in one cell: "01/09/2026-30/11/2026 kept so far: 0,75 h unjustified of 25 h
    in this period; lost above 2,5 h; ...", at risk said so."""
    parts = []
    for period in periods:
        text = f"{_day(period['start'])}-{_day(period['end'])} {period['text']}"
        if period["at_risk"]:
            text += f" {risk_label('paid_leave')}"
        parts.append(text)
    return "; ".join(parts)


def _file_rows(report: TrainingFigures) -> list[list[Any]]:
    """The rows of the CSV and the XLSX: what is at risk in words, yes and no translated."""
    result = []
    for row in rows(report):
        words = {
            "at_risk": ", ".join(risk_label(r) for r in row["at_risk"].split(",") if r),
            "hours_method": hours_method_label(row["hours_method"]),
            "paid_leave_periods": periods_text(row["paid_leave_periods"]),
        }
        result.append([_cell(words.get(key, row[key])) for key, _ in COLUMNS])
    return result


def _period_rows(report: TrainingFigures) -> list[list[Any]]:
    result = []
    for row in rows(report):
        for period in row["paid_leave_periods"]:
            values = {
                **row,
                **period,
                "at_risk": period["at_risk"],
                "state": str(LEAVE_STATE_LABELS[period["state"]]),
            }
            result.append([_cell(values[key]) for key, _ in PERIOD_COLUMNS])
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
    periods = xlsx.Sheet(
        str(_l("Paid leave per period")),
        [[str(title) for _, title in PERIOD_COLUMNS], *_period_rows(report)],
        formats={2: "date", 3: "date"},
        bold_heading=True,
        freeze_heading=True,
    )
    return xlsx.workbook([sheet, periods])
