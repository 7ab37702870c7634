"""Signing in to the portal by a one-time link by mail, signing out, and the language."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from app.clock import now as _now
from app.errors import Refusal
from app.extensions import db, limiter
from app.forms import ConfirmForm
from app.portal import bp, identity, signin
from app.portal.forms import SignInForm
from app.views import local_target


def _link_limit() -> str:
    return current_app.config["RATELIMIT_LINK"]


def _link_address_limit() -> str:
    return current_app.config["RATELIMIT_LINK_ADDRESS"]


def _link_address() -> str:
    return "portal-link:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"], scope="portal-link-client")
@limiter.limit(
    _link_address_limit, methods=["POST"], key_func=_link_address, scope="portal-link-address"
)
def sign_in() -> ResponseReturnValue:
    """Ask for a sign-in link. The answer is the same, and as fast, whether the address is
    known: the page stores the request, the worker looks the address up."""
    if identity.current_identity() is not None:
        return redirect(url_for("portal.home"))
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data.strip()
        signin.request_link(email, str(get_locale() or "nl"))
        return render_template("portal/link_sent.html", email=email)
    return render_template("portal/sign_in.html", form=form)


def _refused_link(refusal: Refusal) -> tuple[str, int]:
    return (
        render_template("portal/link_refused.html", message=refusal.message, code=refusal.code),
        refusal.status,
    )


@bp.get("/link/<token>")
def use_link(token: str) -> ResponseReturnValue:
    """The link from the mail opens a page with one button: mail scanners that follow links
    only look, so the link is still unused when the person taps the button."""
    try:
        signin.find_link(token, _now())
    except Refusal as refusal:
        return _refused_link(refusal)
    return render_template("portal/confirm.html", form=ConfirmForm(), token=token)


@bp.post("/link/<token>")
def confirm_link(token: str) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("portal.use_link", token=token))
    try:
        sign_in_ = signin.use_link(token, _now())
    except Refusal as refusal:
        db.session.rollback()
        return _refused_link(refusal)
    identity.start(sign_in_)
    return redirect(url_for("portal.home"))


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    who = identity.current_identity()
    if ConfirmForm().validate_on_submit() and who is not None:
        signin.end(who.sign_in_id, _now())
        identity.forget()
        flash(_("You are signed out."), "success")
    return redirect(url_for("portal.sign_in"))


@bp.post("/language/<code>")
def language(code: str) -> ResponseReturnValue:
    from flask import session

    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(local_target(request.form.get("next")) or url_for("portal.home"))
