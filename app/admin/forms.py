from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    EmailField,
    Field,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from app.auth.operations import MIN_PASSWORD_LENGTH
from app.forms import Form, MultiCheckboxField
from app.models import Role

ROLE_LABELS = {
    Role.ADMIN: _l("support"),
    Role.PROMOTOR: _l("promotor"),
    Role.TRAINER: _l("trainer"),
    Role.FRONTDESK: _l("front desk"),
}


def role_label(role: Role | str | None) -> str:
    """The translated name of a role, for templates and select options."""
    if role is None:
        return ""
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return str(role)


class UserForm(Form):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Give the email address.")),
            Email(_l("This is not a valid email address.")),
            Length(max=254),
        ],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), coerce=str)
    branch = SelectField(
        _l("Branch"),
        coerce=int,
        description=_l("A user of a branch sees only that branch's projects and participants."),
    )
    # Empty (the default): the user is invited by mail and chooses their own password through
    # the reset link; nobody else ever knows it.
    password = PasswordField(
        _l("Initial password (optional)"),
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("A password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
            ),
        ],
        description=_l(
            "Leave empty to invite the user by mail: they choose their own password through "
            "the link. Only when mail cannot reach them: at least %(n)s characters, passed on "
            "in person, replaced at the first login.",
            n=MIN_PASSWORD_LENGTH,
        ),
    )


class UserEditForm(Form):
    role = SelectField(_l("Role"), coerce=str)
    branch = SelectField(_l("Branch"), coerce=int)


class BranchForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Give the branch's name.")), Length(max=120)]
    )


class ClosureForm(Form):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Give a valid date."))])
    until = DateField(
        _l("Until (optional)"),
        validators=[Optional()],
        description=_l("For a range, such as a school holiday: every day up to this one."),
    )
    label = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    # Asked only when sessions are planned on those days (the page names them first).
    planned = SelectField(
        _l("Sessions planned on these days"),
        choices=[
            SelectChoice("", _l("Choose what happens to them")),
            SelectChoice("cancel", _l("Cancel them (the enrolled participants get a mail)")),
            SelectChoice("keep", _l("Keep them as planned")),
        ],
        validators=[Optional()],
    )

    def validate_until(self, field: Field) -> None:
        if field.data and self.day.data and field.data < self.day.data:
            raise ValidationError(_l("The last day cannot come before the first."))


class UserDetailsForm(Form):
    """Everything support may change about a user (the password is theirs)."""

    email = UserForm.email
    name = UserForm.name
    role = SelectField(_l("Role"), coerce=str)
    branch = SelectField(_l("Branch"), coerce=int)
    partner = SelectField(
        _l("Employer"),
        coerce=int,
        description=_l(
            "For an external trainer: the partner organisation that employs them. They can "
            "teach only for the branches it has a work relation with."
        ),
    )


class PartnerForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Give the organisation's name.")), Length(max=200)]
    )
    branches = MultiCheckboxField(
        _l("Work relation with the branches"), coerce=int, validators=[Optional()]
    )


class OrganisationForm(Form):
    name = StringField(
        _l("Name of the organisation"),
        validators=[DataRequired(_l("Give the organisation's name.")), Length(max=200)],
    )
    address = TextAreaField(
        _l("Address (registered office)"), validators=[Optional(), Length(max=500)]
    )
    enterprise_number = StringField(
        _l("Enterprise number"),
        validators=[Optional(), Length(max=20)],
        description=_l("Ten digits, e.g. 0123.456.749; checked with its check digits."),
    )
    signatory_name = StringField(
        _l("Authorised signatory: name"), validators=[Optional(), Length(max=200)]
    )
    signatory_function = StringField(
        _l("Authorised signatory: function"), validators=[Optional(), Length(max=200)]
    )


class StampForm(Form):
    stamp = FileField(
        _l("Stamp image (PNG or JPEG, at most 1 MB)"),
        validators=[FileRequired(_l("Choose an image file."))],
    )


class BranchAddressForm(Form):
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=500)])
