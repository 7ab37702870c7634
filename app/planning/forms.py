"""Forms for planning: projects, trainings, sessions, and the session actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional


class ProjectForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    number = StringField(_l("ESF project number"), validators=[DataRequired(), Length(max=60)])
    branch = SelectField(_l("Branch"), coerce=str)


class TrainingForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    code = StringField(_l("Code"), validators=[Optional(), Length(max=60)])
    mode = SelectField(
        _l("Form"),
        choices=[
            SelectChoice("classroom", _l("Classroom")),
            SelectChoice("e-learning", _l("E-learning")),
        ],
    )
    trainers = SelectMultipleField(_l("Trainers"), coerce=int, validators=[Optional()])
    per_school_year = BooleanField(_l("Organised per school year (lesson periods are the terms)"))
    exam_date = DateField(_l("Date of the last exam of the first sitting"), validators=[Optional()])


class SessionForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    start = TimeField(_l("Start"), validators=[DataRequired()])
    end = TimeField(_l("End"), validators=[DataRequired()])
    break_start = TimeField(_l("Break from"), validators=[Optional()])
    break_end = TimeField(_l("Break until"), validators=[Optional()])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    trainer = SelectField(_l("Trainer"), coerce=int, validators=[Optional()])


class EnrolForm(FlaskForm):
    participants = SelectMultipleField(
        _l("Participants"),
        coerce=int,
        validators=[DataRequired(_l("Choose at least one participant."))],
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Give the reason.")), Length(max=2000)]
    )


class ConfirmForm(FlaskForm):
    """A bare form: only the CSRF token, for POST buttons."""
