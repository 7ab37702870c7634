"""Forms of the certificates page: the sittings' end dates and who takes part in the second."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import Length, Optional, ValidationError

from app.forms import Form

_SPLIT = re.compile(r"[\s,;]+")


def parse_days(text: str) -> list[date]:
    """Dates written dd/mm/yyyy (or yyyy-mm-dd), separated by commas, semicolons or spaces."""
    days = []
    for part in _SPLIT.split((text or "").strip()):
        if not part:
            continue
        for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
            try:
                days.append(datetime.strptime(part, pattern).date())
                break
            except ValueError:
                continue
        else:
            raise ValueError(part)
    return days


class SittingsForm(Form):
    first_sitting_end = DateField(_l("End of the first sitting"), validators=[Optional()])
    second_sitting_end = DateField(_l("End of the second sitting"), validators=[Optional()])


class SecondSittingForm(Form):
    takes_part = BooleanField(_l("Takes part in the second sitting"))
    exam_dates = StringField(
        _l("Dates of the exams taken (dd/mm/yyyy, separated by commas)"),
        validators=[Optional(), Length(max=400)],
    )

    def validate_exam_dates(self, field: StringField) -> None:
        try:
            parse_days(field.data or "")
        except ValueError as exc:
            raise ValidationError(
                _l("%(value)s is not a date: write it as dd/mm/yyyy.", value=str(exc))
            ) from exc

    @property
    def days(self) -> list[date]:
        """The exam dates typed (call after validation)."""
        return parse_days(self.exam_dates.data or "")
