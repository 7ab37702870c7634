"""Support pages: users and roles, branches, closure days, the mail outbox."""

from __future__ import annotations

import email
import email.policy

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app import scoping
from app.admin import bp
from app.admin import operations as support
from app.admin.forms import BranchForm, ClosureForm, UserEditForm, UserForm
from app.auth.operations import create_user
from app.errors import NotFound
from app.extensions import db
from app.mail.outbox import retry_now, smtp_configured
from app.models import Branch, ClosureDay, OutboxMail, Participant, Role, User
from app.planning.forms import ConfirmForm
from app.views import actor, attempt, choices


def _role_choices():  # type: ignore[no-untyped-def]
    return choices((r.value, r.value) for r in Role)


def _branch_choices():  # type: ignore[no-untyped-def]
    branches = db.session.scalars(select(Branch).order_by(Branch.name))
    return choices([(0, _("(all branches)")), *((b.id, b.name) for b in branches)])


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users():  # type: ignore[no-untyped-def]
    scoping.require_admin(current_user)
    form = UserForm()
    form.role.choices = _role_choices()
    form.branch.choices = _branch_choices()
    if form.validate_on_submit():
        user = attempt(
            lambda: create_user(
                actor(),
                form.email.data,
                Role(form.role.data),
                form.password.data,
                db.session.get(Branch, form.branch.data) if form.branch.data else None,
                form.name.data or "",
            ),
            _("User created."),
            form=form,
            field="email",
        )
        if user is not None:
            return redirect(url_for("admin.users"))
    items = db.session.scalars(select(User).order_by(User.email)).all()
    edit = UserEditForm()
    edit.role.choices = form.role.choices
    edit.branch.choices = form.branch.choices
    return render_template(
        "admin/users.html", users=items, form=form, edit=edit, confirm=ConfirmForm()
    )


def _user(user_id: int) -> User:
    scoping.require_admin(current_user)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    return user


@bp.post("/users/<int:user_id>")
@login_required
def change_user(user_id: int):  # type: ignore[no-untyped-def]
    user = _user(user_id)
    form = UserEditForm()
    form.role.choices = _role_choices()
    form.branch.choices = _branch_choices()
    if form.validate_on_submit():
        branch = db.session.get(Branch, form.branch.data) if form.branch.data else None
        attempt(
            lambda: support.change_user(actor(), user, Role(form.role.data), branch),
            _("User changed."),
        )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/active/<int:active>")
@login_required
def set_active(user_id: int, active: int):  # type: ignore[no-untyped-def]
    user = _user(user_id)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: support.set_active(actor(), user, bool(active)), _("User changed."))
    return redirect(url_for("admin.users"))


@bp.route("/branches", methods=["GET", "POST"])
@login_required
def branches():  # type: ignore[no-untyped-def]
    scoping.require_admin(current_user)
    form = BranchForm()
    if form.validate_on_submit() and attempt(
        lambda: support.create_branch(actor(), form.name.data),
        _("Branch created."),
        form=form,
        field="name",
    ):
        return redirect(url_for("admin.branches"))
    items = db.session.scalars(select(Branch).order_by(Branch.name)).all()
    return render_template("admin/branches.html", branches=items, form=form)


@bp.route("/closure-days", methods=["GET", "POST"])
@login_required
def closure_days():  # type: ignore[no-untyped-def]
    scoping.require_admin(current_user)
    form = ClosureForm()
    if form.validate_on_submit() and attempt(
        lambda: support.add_closure_day(actor(), form.day.data, form.label.data),
        _("Closure day added."),
        form=form,
        field="day",
    ):
        return redirect(url_for("admin.closure_days"))
    items = db.session.scalars(select(ClosureDay).order_by(ClosureDay.day.desc())).all()
    return render_template("admin/closure_days.html", days=items, form=form)


def _outbox_query():  # type: ignore[no-untyped-def]
    query = select(OutboxMail)
    if current_user.branch_id is not None:
        query = query.join(Participant, OutboxMail.participant_id == Participant.id).where(
            Participant.branch_id == current_user.branch_id
        )
    return query


@bp.get("/outbox")
@login_required
def outbox():  # type: ignore[no-untyped-def]
    """The stored mail: what was sent, what waits; without SMTP, the demo reads mail here."""
    scoping.require_planner(current_user)
    mails = db.session.scalars(_outbox_query().order_by(OutboxMail.id.desc()).limit(200)).all()
    return render_template(
        "admin/outbox.html", mails=mails, smtp=smtp_configured(), confirm=ConfirmForm()
    )


def _mail(mail_id: int) -> OutboxMail:
    scoping.require_planner(current_user)
    mail = db.session.scalars(_outbox_query().where(OutboxMail.id == mail_id)).first()
    if mail is None:
        raise NotFound("mail")
    return mail


@bp.get("/outbox/<int:mail_id>")
@login_required
def outbox_mail(mail_id: int):  # type: ignore[no-untyped-def]
    mail = _mail(mail_id)
    message = email.message_from_bytes(mail.message, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    return render_template(
        "admin/outbox_mail.html",
        mail=mail,
        message=message,
        text=body.get_content() if body else "",
        has_image=any(p.get_content_type() == "image/png" for p in message.walk()),
    )


@bp.get("/outbox/<int:mail_id>/image.png")
@login_required
def outbox_image(mail_id: int):  # type: ignore[no-untyped-def]
    mail = _mail(mail_id)
    message = email.message_from_bytes(mail.message, policy=email.policy.default)
    part = next((p for p in message.walk() if p.get_content_type() == "image/png"), None)
    if part is None:
        raise NotFound("image")
    response = Response(part.get_content(), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/outbox/<int:mail_id>/retry")
@login_required
def outbox_retry(mail_id: int):  # type: ignore[no-untyped-def]
    mail = _mail(mail_id)
    if ConfirmForm().validate_on_submit() and mail.sent_at is None:
        from datetime import UTC, datetime

        retry_now(mail, datetime.now(UTC))
        db.session.commit()
        flash(_("The mail will be tried again."), "success")
    return redirect(url_for("admin.outbox"))
