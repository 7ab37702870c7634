from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.forms import Form


class LoginForm(Form):
    email = StringField(_l("Email"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class TokenForm(Form):
    label = StringField(_l("Label (e.g. the laptop's name)"), validators=[Length(max=120)])


def _new_password() -> PasswordField:
    return PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Choose a new password.")), Length(max=200)],
        description=_l(
            "At least 12 characters. No rules about digits or capitals: a few unrelated words "
            "make a strong password that is easy to remember."
        ),
        render_kw={"autocomplete": "new-password"},
    )


def _confirm() -> PasswordField:
    return PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Type the new password again.")),
            EqualTo("password", _l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(Form):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Give your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = _new_password()
    confirm = _confirm()


class ResetPasswordForm(Form):
    password = _new_password()
    confirm = _confirm()


class ForgotPasswordForm(Form):
    email = StringField(
        _l("Email"),
        validators=[DataRequired(_l("Give your email address.")), Email(), Length(max=254)],
    )


class PairingForm(Form):
    name = StringField(
        _l("Name of the scanner (e.g. the laptop's name)"), validators=[Length(max=120)]
    )


class DigestForm(Form):
    enabled = BooleanField(
        _l("Send me the daily digest mail"),
        description=_l(
            "On working days, before 10:00: certificates due within 3 working days or overdue, "
            "participants at risk and yesterday's sessions still incomplete. No mail when "
            "nothing needs you."
        ),
    )
