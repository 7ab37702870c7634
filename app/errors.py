"""One error type for refusals: a stable code for machines and a translated message for people."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from app.domain.refusals import status_of


class Refusal(Exception):
    """An operation refused: ``code`` is stable (one of ``app.domain.refusals.Reason``, whose
    catalogue gives its status), ``message`` is shown to the user."""

    status = 400

    def __init__(self, code: str, message: Any, status: int | None = None, **details: Any):
        super().__init__(str(message))
        self.code = str(code)
        self.message = message
        self.details = details
        # An explicit status must agree with the catalogue (tests/unit/test_refusals.py).
        self.status = status if status is not None else status_of(self.code, type(self).status)

    def as_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": str(self.message), **self.details}


class NotFound(Refusal):
    status = 404

    def __init__(self, what: str = "object"):
        super().__init__("not_found", _l("Not found."), what=what)


class Forbidden(Refusal):
    status = 403

    def __init__(self, message: Any = None):
        super().__init__("forbidden", message or _l("You may not do this."))


# Werkzeug's descriptions are English; these are the ones people meet, in their language.
MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in first."),
    403: _l("You may not do this."),
    404: _l("This page or object does not exist (or is not yours to see)."),
    405: _l("This address does not take this kind of request."),
    413: _l("The upload is too large."),
    429: _l("Too many attempts in a short time. Wait a moment and try again."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    """JSON answers under /api, friendly pages elsewhere; never a bare 500 page."""

    @app.errorhandler(Refusal)
    def refusal(error: Refusal) -> ResponseReturnValue:
        if _wants_json():
            return jsonify(error.as_json()), error.status
        return render_template("error.html", message=error.message), error.status

    @app.errorhandler(IntegrityError)
    def conflict(error: IntegrityError) -> ResponseReturnValue:
        # Two requests changed the same thing at once and the database kept the first: the
        # request was rolled back (app.db.Application), nothing of it is stored.
        app.logger.warning("conflict at commit: %s", error.orig)
        return refusal(
            Refusal(
                "conflict",
                _l("Someone else changed this at the same moment. Nothing was saved; try again."),
                status=409,
            )
        )

    @app.errorhandler(OperationalError)
    def unavailable(error: OperationalError) -> ResponseReturnValue:
        app.logger.error("database unavailable: %s", error.orig)
        return refusal(
            Refusal(
                "unavailable",
                _l("The database is busy or unreachable. Nothing was saved; try again."),
                status=503,
            )
        )

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        message = _l("The form expired or was sent from elsewhere. Please try again.")
        if _wants_json():
            return jsonify({"error": "csrf", "message": str(message)}), 400
        return render_template("error.html", message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        codes = {
            400: "invalid_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            429: "rate_limited",
        }
        status = error.code or 500
        code = codes.get(status, "error")
        message = MESSAGES.get(status, error.description)
        # The headers the exception carries (Allow on a 405, Retry-After on a 429), not its body.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            return jsonify({"error": code, "message": str(message)}), status, headers
        return render_template("error.html", message=message), status, headers
