"""The base of every web form: CSRF from Flask-WTF, and input the database and a reader can take.

Every field gets the checks of ``app.domain.limits`` without each form repeating them: text
without control characters (one-line fields also without line breaks), dates in the range the
product takes, numbers that fit the database.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    Field,
    FloatField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import (
    Form as BaseForm,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.domain.limits import (
    EARLIEST_DAY,
    LATEST_DAY,
    MAX_ID,
    day_in_range,
    has_control_characters,
    has_line_breaks,
)


def no_control_characters(form: FlaskForm, field: Field) -> None:
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError(_l("Remove the invisible control characters from this field."))


def one_line(form: FlaskForm, field: Field) -> None:
    if isinstance(field.data, str) and has_line_breaks(field.data):
        raise ValidationError(_l("This field takes a single line (no line breaks or tabs)."))


def day_in_limits(form: FlaskForm, field: Field) -> None:
    if field.data is not None and not day_in_range(field.data):
        raise ValidationError(
            _l(
                "Give a date between %(first)s and %(last)s.",
                first=format_date(EARLIEST_DAY, "dd/MM/yyyy"),
                last=format_date(LATEST_DAY, "dd/MM/yyyy"),
            )
        )


def number_in_limits(form: FlaskForm, field: Field) -> None:
    """A number the database and the field's own checks can take, or stop here.

    It runs before the field's own validators and ends the chain: WTForms' ``NumberRange``
    turns the number into a float (``math.isnan``), which raises ``OverflowError`` for a
    number of a few hundred digits and ``ValueError`` for a signalling NaN.
    """
    value = field.data
    if value is None:
        return
    if (isinstance(value, Decimal) and value.is_nan()) or (
        isinstance(value, float) and math.isnan(value)
    ):
        raise StopValidation(_l("This is not a number."))
    if not -MAX_ID <= value <= MAX_ID:
        raise StopValidation(_l("This number is too large."))


class Form(FlaskForm):
    """Every form derives from this one (see the module's doc)."""

    class Meta(FlaskForm.Meta):
        def bind_field(
            self, form: BaseForm, unbound_field: UnboundField, options: dict[str, Any]
        ) -> Field:
            field = super().bind_field(form, unbound_field, options)
            # On the bound field: the unbound one is shared by every instance of the form.
            extra = []
            if isinstance(field, StringField):
                extra.append(no_control_characters)
                if not isinstance(field, TextAreaField | PasswordField):
                    extra.append(one_line)
            elif isinstance(field, DateField):
                extra.append(day_in_limits)
            elif isinstance(field, IntegerField | DecimalField | FloatField):
                # First, so that no validator of the field's own sees an absurd number.
                field.validators = [number_in_limits, *field.validators]
            field.validators = [*field.validators, *extra]
            return field


# Shared by every area's pages (an area never imports another area's forms).


class MultiCheckboxField(SelectMultipleField):
    """A multi-select shown as a list of checkboxes (the ``field`` macro adds a filter box)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReasonForm(Form):
    """A mandatory reason (also used by the certificates' corrections)."""

    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(_l("Give the reason.")), Length(max=2000)]
    )


class ConfirmForm(Form):
    """A bare form: only the CSRF token, for POST buttons."""
