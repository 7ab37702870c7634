from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), coerce=str)
    branch = SelectField(_l("Branch"), coerce=int)
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=10)])


class UserEditForm(FlaskForm):
    role = SelectField(_l("Role"), coerce=str)
    branch = SelectField(_l("Branch"), coerce=int)


class BranchForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])


class ClosureForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    label = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
