"""The browser scanner's page, its service worker, decoder worker and manifest, and the one
server step it adds: the signed-in user giving the page its own scanner token."""

from __future__ import annotations

import json
from pathlib import Path

from flask import (
    Response,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from app import scoping
from app.audit import Actor
from app.clock import now
from app.errors import Refusal
from app.extensions import limiter
from app.models import Role, Session
from app.settings import settings
from app.web import CSP
from app.webscan import bp
from app.webscan.operations import issue_browser_scanner

STATIC = Path(__file__).resolve().parent.parent / "static" / "webscan"
# Compiling WebAssembly is allowed in the decoder's worker only; the page keeps the app's CSP.
WORKER_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/scan/")
def page() -> ResponseReturnValue:
    """The scanner page. Public on purpose: it holds nothing personal (the service worker keeps
    it for offline use, and a phone may have been paired by a pairing code without any login);
    what it shows comes from the API with its own token."""
    return render_template(
        "webscan/scan.html",
        repeat_seconds=settings().scan_repeat_seconds,
    )


@bp.get("/sessions/<int:session_id>/scan")
@login_required
def session_scan(session_id: int) -> ResponseReturnValue:
    """A session's own scan page: the scanner page with the session chosen. Only for a session
    the user may see (a 404 otherwise, as its page), and not for the front desk, which does not
    scan; the page's token is checked again by the API."""
    if current_user.role == Role.FRONTDESK:
        raise Refusal("forbidden", _l("Front desk accounts cannot register scans."), status=403)
    scoping.get_one(scoping.sessions(current_user), Session, session_id, "session")
    return redirect(url_for("webscan.page", session=session_id))


@bp.get("/scan/account")
def account() -> ResponseReturnValue:
    """Whether someone is signed in here, so the page can offer to confirm its token."""
    if not current_user.is_authenticated:
        return _no_store(jsonify({"signed_in": False}))
    return _no_store(
        jsonify(
            {
                "signed_in": True,
                "name": current_user.display_name,
                "may_scan": current_user.role != Role.FRONTDESK,
                "csrf_token": generate_csrf(),
            }
        )
    )


@bp.post("/scan/device")
@limiter.limit("30 per minute")
def device() -> ResponseReturnValue:
    """The page's own scanner token, confirmed by the signed-in user (CSRF-protected by the
    app's CSRFProtect through the X-CSRFToken header)."""
    if not current_user.is_authenticated:
        return _no_store(
            jsonify({"error": "unauthorized", "message": _("Please log in first.")})
        ), 401
    body = request.get_json(silent=True)
    name = body.get("device_name") if isinstance(body, dict) else None
    if name is not None and not isinstance(name, str):
        return jsonify(
            {"error": "invalid_request", "message": _("The device name is not text.")}
        ), 400
    try:
        token, plain = issue_browser_scanner(Actor(current_user), current_user, name or "", now())
    except Refusal as refusal:
        return _no_store(jsonify(refusal.as_json())), refusal.status
    return _no_store(
        jsonify(
            {
                "token": plain,
                "device_name": token.device_name,
                "user": {"name": current_user.display_name, "email": current_user.email},
            }
        )
    ), 201


@bp.get("/scan/decoder-worker.js")
def decoder_worker() -> ResponseReturnValue:
    response = send_from_directory(STATIC, "decoder-worker.js", max_age=0)
    response.headers["Content-Security-Policy"] = WORKER_CSP
    return response


@bp.get("/scan/sw.js")
def service_worker() -> ResponseReturnValue:
    """At /scan/ so that its scope is the scanner page; checked for updates on every visit."""
    response = send_from_directory(STATIC, "sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/scan/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    body = {
        "name": "Aanwezig scanner",
        "short_name": _("Scan"),
        "start_url": url_for("webscan.page"),
        "scope": url_for("webscan.page"),
        "display": "fullscreen",
        "orientation": "portrait",
        "background_color": "#111111",
        "theme_color": "#111111",
        "icons": [
            {
                "src": url_for("static", filename=f"webscan/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in (192, 512)
        ],
    }
    return Response(json.dumps(body), mimetype="application/manifest+json")
