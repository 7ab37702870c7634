from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, Field, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from app.errors import Refusal
from app.forms import Form
from app.participants.operations.creating import clean_national_number


class ParticipantForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Give the participant's name.")), Length(max=200)]
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Give the email address: the QR code is sent there.")),
            Email(_l("This is not a valid email address.")),
            Length(max=254),
        ],
    )
    national_number = StringField(
        _l("National register number"),
        validators=[Optional(), Length(max=20)],
        description=_l("YY.MM.DD-XXX.CC; optional; stored encrypted and shown masked."),
    )
    external_id = StringField(
        _l("Id in the administration package"),
        validators=[Optional(), Length(max=64)],
        description=_l("Optional: how the school administration package knows this person."),
    )
    branch = SelectField(_l("Branch"), coerce=str)

    def validate_national_number(self, field: Field) -> None:
        try:
            clean_national_number(field.data)
        except Refusal as refusal:
            raise ValidationError(str(refusal.message)) from refusal


class ParticipantEditForm(Form):
    name = ParticipantForm.name
    email = ParticipantForm.email
    national_number = StringField(
        _l("New national register number"),
        validators=[Optional(), Length(max=20)],
        description=_l("Leave empty to keep the stored number."),
    )
    external_id = ParticipantForm.external_id

    validate_national_number = ParticipantForm.validate_national_number


class MergeForm(Form):
    duplicate = SelectField(
        _l("Duplicate record to merge into this one"),
        coerce=int,
        validators=[DataRequired(_l("Choose the duplicate record."))],
    )


class ImportForm(Form):
    file = FileField(
        _l("CSV or XLSX file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Only CSV or XLSX files.")),
        ],
        description=_l(
            "Columns: name, email, national_number (a header row first). A bad row is reported "
            "by its line number; the other rows are imported."
        ),
    )
    branch = SelectField(_l("Branch"), coerce=str)
    enrol_in = SelectField(
        _l("Enrol each one in"),
        coerce=str,
        validators=[Optional()],
        description=_l("Optional: every session of a training, or one session."),
    )
