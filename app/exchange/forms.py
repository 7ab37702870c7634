"""Support's forms for the exchange."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from app.domain.exchange import EVENT_KINDS
from app.forms import Form, MultiCheckboxField, day_in_limits
from app.views import choices

EVENT_LABELS = {
    "registration": _l("Registrations and their corrections"),
    "mark": _l("Roll-call marks"),
    "justification": _l("Justified absences"),
    "exemption": _l("Exemptions"),
}
IDENTIFIER_LABELS = {
    "email": _l("Email address"),
    "external_id": _l("External id"),
    "national_number": _l("National register number"),
}


class ConnectionForm(Form):
    branch = SelectField(_l("Branch"), coerce=int)
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give a name.")), Length(max=200)])
    url = StringField(
        _l("Peer address"),
        validators=[DataRequired(_l("Give the peer's address.")), Length(max=500)],
        description=_l("Where the events are posted, e.g. https://informat.example/aanwezig."),
    )
    secret = StringField(
        _l("Shared secret"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "Leave empty to keep the secret (or, for a new connection, to generate one); type "
            "'generate' for a new one. It is shown once, then only its last four characters."
        ),
    )
    events = MultiCheckboxField(
        _l("Events that go out"), choices=choices((k, EVENT_LABELS[k]) for k in EVENT_KINDS)
    )
    identifier = SelectField(
        _l("Participant identifier"), choices=choices(IDENTIFIER_LABELS.items())
    )
    national_number_allowed = BooleanField(
        _l("This connection may send the national register number (only over https://)")
    )
    split_at = TimeField(
        _l("Afternoon starts at"),
        validators=[DataRequired(_l("Give a time."))],
        description=_l("A session starting before this time is a morning one for the peer."),
    )
    mapping = TextAreaField(
        _l("Codes mapping"),
        validators=[DataRequired(_l("Give the codes mapping."))],
        description=_l("One line per state: state = the peer's code."),
        render_kw={"rows": 10},
    )


class PushForm(Form):
    date_from = DateField(
        _l("From"), validators=[DataRequired(_l("Give a valid date.")), day_in_limits]
    )
    date_to = DateField(
        _l("To"), validators=[DataRequired(_l("Give a valid date.")), day_in_limits]
    )
