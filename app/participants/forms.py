from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional


class ParticipantForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    national_number = StringField(
        _l("National register number"),
        validators=[Optional(), Length(max=20)],
        description=_l("YY.MM.DD-XXX.CC; optional; stored encrypted and shown masked."),
    )
    branch = SelectField(_l("Branch"), coerce=str)


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV or XLSX file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Only CSV or XLSX files.")),
        ],
        description=_l("Columns: name, email, national_number (a header row first)."),
    )
    branch = SelectField(_l("Branch"), coerce=str)
