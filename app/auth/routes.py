from __future__ import annotations

import base64

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.audit import Actor
from app.auth import bp
from app.auth.forms import (
    ChangePasswordForm,
    DigestForm,
    ForgotPasswordForm,
    LoginForm,
    PairingForm,
    ResetPasswordForm,
    TokenForm,
)
from app.auth.operations import change_password as change_password_
from app.auth.operations import (
    check_login,
    end_sessions,
    find_reset,
    issue_token,
    request_reset,
    revoke_token,
    set_digest,
)
from app.auth.operations import reset_password as reset_password_
from app.clock import now as clock_now
from app.devices.operations import issue_pairing, scanners_and_tokens
from app.domain.pairing import PAIRING_VALID
from app.errors import NotFound, Refusal
from app.extensions import db, limiter
from app.models import ApiToken, Role, User
from app.views import local_target, refusals_shown
from qr.images import code_png
from qr.pairing import pairing_text


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _account_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_ACCOUNT"]


def _login_account() -> str:
    """The account a login attempt is for, so guesses spread over many addresses still count."""
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed(response: Response) -> bool:
    """A successful login redirects; only the other answers count against the limits."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(
    _account_limit, methods=["POST"], key_func=_login_account, deduct_when=_failed, scope="account"
)
def login() -> ResponseReturnValue:
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
            if user.must_change_password:
                flash(
                    _("Choose your own password first: the one you were given is temporary."),
                    "warning",
                )
                return redirect(url_for("auth.change_password"))
            return redirect(local_target(request.args.get("next")) or url_for("planning.home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End this session and every other session of the user (a copied cookie included)."""
    end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
def language(code: str) -> ResponseReturnValue:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(local_target(request.form.get("next")) or url_for("planning.home"))


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
def tokens() -> ResponseReturnValue:
    form = TokenForm()
    plain = None
    if form.validate_on_submit():
        plain = issue_token(Actor(current_user), current_user, form.label.data or "")
        flash(_("Copy the token now: it is shown only once."), "warning")
    return _tokens_page(form, PairingForm(formdata=None), plain=plain)


@bp.post("/tokens/pair")
@login_required
def pair() -> ResponseReturnValue:
    """A pairing code for a scanner: shown once as a QR code, never stored in plain text."""
    pairing_form = PairingForm()
    if not pairing_form.validate_on_submit():
        return _tokens_page(TokenForm(formdata=None), pairing_form), 400
    pairing, plain = issue_pairing(
        Actor(current_user), current_user, pairing_form.name.data or "", clock_now()
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
def revoke(token_id: int) -> ResponseReturnValue:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        raise NotFound("token")
    if token.revoked_at is None:
        revoke_token(Actor(current_user), token, clock_now())
        flash(
            _("The scanner %(name)s is revoked.", name=token.device_name)
            if token.device_name
            else _("The token is revoked."),
            "success",
        )
    return redirect(url_for("auth.tokens"))


# --- Passwords --------------------------------------------------------------------------------


def _link_limit() -> str:
    return current_app.config["RATELIMIT_LINK"]


def _link_address_limit() -> str:
    return current_app.config["RATELIMIT_LINK_ADDRESS"]


def _link_address() -> str:
    """Link requests count per address too, so one address cannot be flooded with mail."""
    return "link:" + (request.form.get("email") or "").strip().lower()[:254]


# Pages a user who must choose a new password may still open.
_FIRST_LOGIN_OPEN = {"auth.change_password", "auth.logout", "auth.language", "static"}


@bp.before_app_request
def _require_own_password() -> ResponseReturnValue | None:
    """A user given an initial password chooses their own before anything else."""
    if request.blueprint == "api" or request.endpoint in _FIRST_LOGIN_OPEN:
        return None
    if getattr(current_user, "is_authenticated", False) and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Change one's own password (the current one required); other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        with refusals_shown(form, "password"):
            change_password_(Actor(user), user, form.current.data, form.password.data, clock_now())
            _log_in_again(user)
            flash(_("Your password is changed. Your other sessions have ended."), "success")
            return redirect(url_for("planning.home"))
    return _password_page(form)


def _password_page(form: ChangePasswordForm, digest_form: DigestForm | None = None) -> str:
    user = current_user._get_current_object()
    if digest_form is None:
        digest_form = DigestForm(formdata=None, enabled=user.digest_enabled)
    return render_template(
        "auth/password.html",
        form=form,
        first=user.must_change_password,
        digest_form=digest_form if user.role in DIGEST_ROLES else None,
    )


# The roles the daily digest is for (app/digest).
DIGEST_ROLES = (Role.PROMOTOR, Role.TRAINER)


@bp.post("/account/digest")
@login_required
def digest_setting() -> ResponseReturnValue:
    """Switch one's own daily digest mail on or off (on the account/password page)."""
    user = current_user._get_current_object()
    form = DigestForm()
    if user.role not in DIGEST_ROLES:
        raise NotFound("page")
    if form.validate_on_submit():
        set_digest(Actor(user), user, bool(form.enabled.data))
        flash(
            _("The daily digest is on.") if form.enabled.data else _("The daily digest is off."),
            "success",
        )
        return redirect(url_for("auth.change_password"))
    return _password_page(ChangePasswordForm(formdata=None), form), 400


def _log_in_again(user: User) -> None:
    """The password change ended every session (a new generation): this one starts again."""
    session.clear()
    login_user(user)


@bp.route("/password/forgotten", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
@limiter.limit(_link_address_limit, methods=["POST"], key_func=_link_address, scope="link")
def forgot_password() -> ResponseReturnValue:
    """Ask for a reset link. The answer is the same, and as fast, whether the address has an
    account: the page stores the request, the worker looks the address up."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_reset(form.email.data)
        return render_template("auth/link_sent.html", email=form.email.data.strip())
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password with a mailed link (once, before it expires)."""
    now = clock_now()
    try:
        reset = find_reset(token, now)
    except Refusal as refusal:
        return render_template("auth/link_refused.html", message=refusal.message), refusal.status
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with refusals_shown(form, "password"):
            user = reset_password_(token, form.password.data, now)
            _log_in_again(user)
            flash(_("Your new password is set. Every other session has ended."), "success")
            return redirect(url_for("planning.home"))
    return render_template("auth/reset.html", form=form, user=reset.user)
