from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.forms import Form


class LateArrivalForm(Form):
    participant = SelectField(_l("Participant"), coerce=int)
    arrived = TimeField(_l("Arrived at"), validators=[DataRequired()])


class LeftEarlyForm(Form):
    participant = SelectField(_l("Participant"), coerce=int)
    left_at = TimeField(_l("Left at"), validators=[DataRequired()])


class CloseSessionForm(Form):
    left_at = TimeField(
        _l("They left at"),
        validators=[Optional()],
        description=_l("Empty: at the end of the session."),
    )


class ResolveForm(Form):
    participant = SelectField(_l("Participant"), coerce=int)
    left_at = TimeField(_l("Left at"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ExemptionForm(Form):
    session = SelectField(_l("Session"), coerce=int, validators=[Optional()])
    minutes = IntegerField(
        _l("or a number of minutes"), validators=[Optional(), NumberRange(min=1, max=100000)]
    )
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class EnrolmentForm(Form):
    enrolled_on = DateField(_l("Enrolled on"), validators=[DataRequired()])
    paid_leave = BooleanField(_l("Paid educational leave"))
    leave_regime = SelectField(
        _l("Regime of the paid leave"),
        choices=[
            SelectChoice(
                "vov", _l("Vlaams opleidingsverlof (establishment in the Flemish Region)")
            ),
            SelectChoice("bev", _l("Betaald educatief verlof (working in Brussels or Wallonia)")),
        ],
        description=_l(
            "Since 1 September 2019 employees of an establishment in the Flemish Region take "
            "Vlaams opleidingsverlof; those working in the Brussels-Capital or Walloon Region "
            "keep betaald educatief verlof."
        ),
    )
    terminated_on = DateField(_l("Early termination on"), validators=[Optional()])


class JustificationForm(Form):
    kind = SelectField(_l("Kind"))
    sessions = SelectMultipleField(
        _l("Sessions"),
        coerce=int,
        validators=[DataRequired(_l("Choose the sessions the absence concerns."))],
    )
    handed_in = DateField(_l("Handed in on"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    document = FileField(_l("Document (PDF, PNG or JPEG, at most 5 MB)"))
    override_reason = TextAreaField(
        _l("Support: reason to accept it late"), validators=[Optional(), Length(max=2000)]
    )
