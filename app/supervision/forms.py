from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.forms import Form


class SupervisorForm(Form):
    supervisor_name = StringField(_l("Supervisor's name"), validators=[Optional(), Length(max=200)])
    supervisor_email = EmailField(
        _l("Supervisor's email"),
        validators=[Optional(), Email(_l("This is not a valid email address.")), Length(max=254)],
        description=_l(
            "Approves the hours this participant reports for e-learning. Empty: no supervisor."
        ),
    )


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give the reason for the rejection.")), Length(max=1000)],
    )
