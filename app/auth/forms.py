from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from app.forms import Form


class LoginForm(Form):
    email = StringField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class TokenForm(Form):
    label = StringField(_l("Label (e.g. the laptop's name)"), validators=[Length(max=120)])


class PairingForm(Form):
    name = StringField(
        _l("Name of the scanner (e.g. the laptop's name)"), validators=[Length(max=120)]
    )
