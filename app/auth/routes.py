from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from app.audit import Actor
from app.auth import bp
from app.auth.forms import LoginForm, TokenForm
from app.auth.operations import check_login, issue_token, revoke_token
from app.errors import NotFound
from app.extensions import db, limiter
from app.models import ApiToken


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


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():  # type: ignore[no-untyped-def]
    form = TokenForm()
    plain = None
    if form.validate_on_submit():
        plain = issue_token(Actor(current_user), current_user, form.label.data or "")
        db.session.commit()
        flash(_("Copy the token now: it is shown only once."), "warning")
    items = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template("auth/tokens.html", form=form, tokens=items, plain=plain)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):  # type: ignore[no-untyped-def]
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        raise NotFound("token")
    if token.revoked_at is None:
        revoke_token(Actor(current_user), token, datetime.now(UTC))
        db.session.commit()
        flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.tokens"))
