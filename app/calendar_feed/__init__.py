"""Sessions in everyone's calendar: a secret iCalendar address per trainer and per portal
address (app.domain.ical writes the feed)."""

from flask import Blueprint

bp = Blueprint("calendar_feed", __name__, template_folder="templates", url_prefix="/calendar")

from app.calendar_feed import routes  # noqa: E402,F401
