"""Cross-cutting web behaviour: security headers and template helpers."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from flask import Flask, Response, request
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.utils import secure_filename

from app.clock import now as clock_now
from app.domain.attendance import hours
from app.domain.national_number import masked
from app.domain.sessions import SessionStatus
from app.domain.thresholds import PeriodLeave, SessionAttendance
from app.reasons import reason_text

BRUSSELS = ZoneInfo("Europe/Brussels")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


STATUS_LABELS = {
    SessionStatus.PLANNED: _l("planned"),
    SessionStatus.IN_PROGRESS: _l("in progress"),
    SessionStatus.EXECUTED: _l("executed"),
    SessionStatus.SUBMITTED: _l("submitted"),
    SessionStatus.CANCELLED: _l("cancelled"),
}


ATTENDANCE_LABELS = {
    "present": _l("present"),
    "absent": _l("absent"),
    "exempt": _l("exempt"),
    "late_enrolment": _l("late enrolment"),
    "incomplete": _l("incomplete"),
    "future": _l("not yet given"),
}


RISK_LABELS = {
    "exam": _l("exam at risk"),
    "paid_leave": _l("paid educational leave at risk"),
}


HOURS_METHOD_LABELS = {
    "registered": _l("hours present: registered time"),
    "lessons": _l("hours present: whole lessons"),
}


def hours_method_label(method: str) -> str:
    """Which method the hours present follow, in words (shown with every figure)."""
    return str(HOURS_METHOD_LABELS.get(method, method))


def ratio_percent(ratio: Fraction) -> Decimal:
    """An exact ratio as a percentage with one decimal (for the ``percent`` filter)."""
    if not ratio:
        return Decimal("0.0")
    return (Decimal(ratio.numerator) * 100 / Decimal(ratio.denominator)).quantize(Decimal("0.1"))


LEAVE_REGIME_LABELS = {
    "bev": _l("Betaald educatief verlof"),
    "vov": _l("Vlaams opleidingsverlof"),
}


def leave_regime_label(regime: object) -> str:
    """The paid-leave regime by its official name (a StrEnum or its value)."""
    value = getattr(regime, "value", regime) or "bev"
    return str(LEAVE_REGIME_LABELS.get(str(value), value))


def risk_label(risk: str) -> str:
    """What is at risk, in words (a badge, a CSV cell)."""
    return str(RISK_LABELS.get(risk, risk))


LEAVE_STATE_LABELS = {
    "kept": _l("kept"),
    "kept_so_far": _l("kept so far"),
    "provisional": _l("provisional: above the limit while registrations are still open"),
    "lost": _l("lost"),
}


def short_hours(duration: timedelta) -> str:
    """Hours in a sentence, without trailing zeros: "25 u", "2,5 u", "0,75 u" in Dutch."""
    return str(_l("%(hours)s h", hours=format_decimal(hours(duration), "#,##0.##")))


def leave_line(leave: PeriodLeave) -> str:
    """Paid leave in one period in words a participant understands: the verdict, the
    unjustified hours against the whole period (lessons still to come included, the base the
    verdict uses) and where it is lost, e.g. "tot nu toe behouden: 0,75 u ongewettigd van 25 u
    in deze periode; verloren boven 2,5 u" (a ``PeriodLeave``; docs/rules.md, "Hours and
    thresholds (figures)")."""
    return leave_words(leave.state, leave.figures.unjustified, leave.total, leave.limit)


def leave_words(state: str, unjustified: timedelta, total: timedelta, limit: timedelta) -> str:
    """:func:`leave_line` from its parts (the digest keeps the parts, not the period)."""
    detail = _l(
        "%(unjustified)s unjustified of %(total)s in this period; lost above %(limit)s",
        unjustified=short_hours(unjustified),
        total=short_hours(total),
        limit=short_hours(limit),
    )
    return f"{LEAVE_STATE_LABELS.get(state, state)}: {detail}"


def attendance_label(attendance: SessionAttendance) -> str:
    label = str(ATTENDANCE_LABELS[attendance.status])
    if attendance.status == "absent":
        label += " (" + str(_l("justified") if attendance.justified else _l("unjustified")) + ")"
        if getattr(attendance, "open", False):
            # Registrations still open: not an absence yet (docs/rules.md, "Provisional until the session locks").
            label += ", " + str(_l("provisional"))
    return label


def init_web(app: Flask) -> None:
    _trust_proxies(app)
    app.after_request(_security_headers)
    app.teardown_request(_rollback_on_error)
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.filters["hhmm"] = lambda t: t.strftime("%H:%M") if t else ""
    app.jinja_env.filters["masked_nrn"] = masked
    app.jinja_env.globals["status_label"] = STATUS_LABELS.get
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["attendance_label"] = attendance_label
    app.jinja_env.globals["risk_label"] = risk_label
    app.jinja_env.globals["leave_line"] = leave_line
    app.jinja_env.filters["reason"] = reason_text
    app.jinja_env.globals["leave_words"] = leave_words
    app.jinja_env.globals["leave_state_label"] = lambda state: str(LEAVE_STATE_LABELS[state])
    app.jinja_env.globals["hours_method_label"] = hours_method_label
    app.jinja_env.globals["percent_of"] = ratio_percent
    app.jinja_env.globals["leave_regime_label"] = leave_regime_label
    app.jinja_env.filters["hours"] = hours_text
    app.jinja_env.filters["minutes_as_hours"] = lambda m: hours_text(timedelta(minutes=m or 0))
    app.jinja_env.filters["percent"] = percent_text
    app.jinja_env.filters["number"] = number_text
    app.context_processor(lambda: {"now_utc": clock_now()})
    # Browsers ask for /favicon.ico on every first visit: an icon, not a 404 in the log.
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, take the client's address, scheme and host from
    their X-Forwarded-* headers (HTTPS then counts as secure: HSTS, secure redirects). Without
    the setting those headers are ignored: anyone could send them."""
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Wrapping wsgi_app is Flask's documented way to add middleware; mypy sees a method
        # replaced on the instance.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]


def file_response(body: bytes, mimetype: str, filename: str, inline: bool = False) -> Response:
    """A download: a filename any header can carry (names and codes may hold anything), and
    private to the user who asked for it."""
    stem, dot, extension = filename.rpartition(".")
    safe = (secure_filename(stem) or "download") + (dot + secure_filename(extension) if dot else "")
    response = Response(body, mimetype=mimetype)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{safe}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def hours_text(duration: timedelta) -> str:
    """Hours the Belgian way in Dutch (3,00), the English way in English (3.00)."""
    return format_decimal(hours(duration), "#,##0.00")


def number_text(value: Decimal | float | int | None) -> str:
    """A number with two decimals, the Belgian way in Dutch (2,75)."""
    return "" if value is None else format_decimal(value, "#,##0.00")


def percent_text(value: Decimal | float | int | None) -> str:
    """A percentage as people here write it: "100 %" in Dutch, "100%" in English."""
    if value is None:
        return ""
    dutch = str(get_locale() or "nl").startswith("nl")
    return format_percent(Decimal(str(value)) / 100, "#,##0.# %" if dutch else "#,##0.#%")


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """Show a stored UTC time in Brussels time."""
    return value.astimezone(BRUSSELS).strftime(fmt) if value else ""


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _rollback_on_error(error: BaseException | None) -> None:
    if error is not None:
        from app.extensions import db

        db.session.rollback()


def _favicon() -> Response:
    from flask import current_app, send_from_directory

    response = send_from_directory(
        current_app.static_folder or "static", "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )
    response.cache_control.max_age = 86400
    response.cache_control.public = True
    return response
