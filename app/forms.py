"""The base of every web form: CSRF from Flask-WTF, and text that a database can store."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import ValidationError

from app.text import has_control_characters


def no_control_characters(form: FlaskForm, field: Field) -> None:
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError(_l("Remove the invisible control characters from this field."))


class Form(FlaskForm):
    """Every text field (text areas, e-mail and password fields included) refuses control characters."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):  # type: ignore[no-untyped-def]
            field = super().bind_field(form, unbound_field, options)
            # On the bound field: the unbound one is shared by every instance of the form.
            if isinstance(field, StringField):
                field.validators = [*field.validators, no_control_characters]
            return field
