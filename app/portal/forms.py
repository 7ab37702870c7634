"""The portal's forms (CSRF from ``app.forms.Form``, like every form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from app.forms import Form, MultiCheckboxField


class SignInForm(Form):
    email = EmailField(
        _l("Your email address"),
        validators=[
            DataRequired(_l("Give your email address.")),
            Email(_l("This is not a valid email address.")),
            Length(max=254),
        ],
        description=_l("The address your training organisation knows you by."),
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


class HoursForm(Form):
    training = SelectField(_l("Training"), coerce=int)
    day = DateField(_l("Day"), validators=[DataRequired(_l("Give the day."))])
    start = TimeField(_l("From"), validators=[Optional()])
    end = TimeField(_l("Until"), validators=[Optional()])
    minutes = IntegerField(
        _l("or a duration in minutes"),
        validators=[
            Optional(),
            NumberRange(min=1, max=1440, message=_l("From 1 to 1440 minutes.")),
        ],
    )
    description = TextAreaField(
        _l("What did you do?"),
        validators=[DataRequired(_l("Say what you did in these hours.")), Length(max=2000)],
    )


class JustificationUploadForm(Form):
    kind = SelectField(_l("Kind of document"))
    sessions = MultiCheckboxField(
        _l("For the absence on"),
        coerce=int,
        validators=[DataRequired(_l("Choose the sessions the absence concerns."))],
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])
    document = FileField(_l("Document (PDF, PNG or JPEG, at most 5 MB)"))


class DecisionForm(Form):
    reports = MultiCheckboxField(_l("Reports"), coerce=int)
    reason = TextAreaField(
        _l("Reason (required to reject)"), validators=[Optional(), Length(max=1000)]
    )
