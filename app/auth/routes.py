from __future__ import annotations

import base64
from datetime import UTC, datetime

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.audit import Actor
from app.auth import bp
from app.auth.forms import LoginForm, PairingForm, TokenForm
from app.auth.operations import check_login, issue_token, revoke_token
from app.devices.operations import issue_pairing, scanners_and_tokens
from app.domain.pairing import PAIRING_VALID
from app.errors import NotFound
from app.extensions import db, limiter
from app.models import ApiToken
from qr.images import code_png
from qr.pairing import pairing_text


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("planning.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = check_login(form.email.data, form.password.data)
        if user is None:
            flash(_("Unknown email address or wrong password."), "error")
        else:
            session.clear()
            login_user(user)
            target = request.args.get("next", "")
            # Only local paths: an open redirect would let a link send users elsewhere.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("planning.home")
            return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
def language(code: str):  # type: ignore[no-untyped-def]
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("planning.home")
    return redirect(target)


def _server_address() -> str:
    """The address a scanner reaches this server at: configured (behind a proxy), or the one
    this page was asked on."""
    return (current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/")


def _tokens_page(form: TokenForm, pairing_form: PairingForm, **shown: object) -> str:
    scanners, tokens = scanners_and_tokens(current_user)
    return render_template(
        "auth/tokens.html",
        form=form,
        pairing_form=pairing_form,
        scanners=scanners,
        tokens=tokens,
        server=_server_address(),
        **shown,
    )


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():  # type: ignore[no-untyped-def]
    form = TokenForm()
    plain = None
    if form.validate_on_submit():
        plain = issue_token(Actor(current_user), current_user, form.label.data or "")
        flash(_("Copy the token now: it is shown only once."), "warning")
    return _tokens_page(form, PairingForm(formdata=None), plain=plain)


@bp.post("/tokens/pair")
@login_required
def pair():  # type: ignore[no-untyped-def]
    """A pairing code for a scanner: shown once as a QR code, never stored in plain text."""
    pairing_form = PairingForm()
    if not pairing_form.validate_on_submit():
        return _tokens_page(TokenForm(formdata=None), pairing_form), 400
    pairing, plain = issue_pairing(
        Actor(current_user), current_user, pairing_form.name.data or "", datetime.now(UTC)
    )
    png = code_png(pairing_text(_server_address(), plain), box_size=8)
    response = make_response(
        _tokens_page(
            TokenForm(formdata=None),
            PairingForm(formdata=None),
            pairing=pairing,
            pairing_image="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
            pairing_minutes=int(PAIRING_VALID.total_seconds() // 60),
        )
    )
    response.headers["Cache-Control"] = "no-store"  # the code is live for minutes: keep no copy
    return response


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):  # type: ignore[no-untyped-def]
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        raise NotFound("token")
    if token.revoked_at is None:
        revoke_token(Actor(current_user), token, datetime.now(UTC))
        flash(
            _("The scanner %(name)s is revoked.", name=token.device_name)
            if token.device_name
            else _("The token is revoked."),
            "success",
        )
    return redirect(url_for("auth.tokens"))
