"""The front desk's form for a walk-in who has no participant record yet."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.participants.forms import ParticipantForm


class WalkInForm(ParticipantForm):
    """A new participant, enrolled at once in one of today's sessions (whose branch they join).

    The same fields and checks as a promotor's form, without the branch (the session gives it)
    and the package's id (a promotor's matter)."""

    branch = None
    external_id = None
    session_id = SelectField(_l("Session"), coerce=int)
