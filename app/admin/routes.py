"""Support pages: users and roles, branches, closure days, the mail outbox."""

from __future__ import annotations

import email
import email.policy
import email.utils
import secrets
from datetime import datetime
from email.message import EmailMessage

from flask import Response, after_this_request, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import Select, and_, func, or_, select, union
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app import scoping
from app.admin import bp
from app.admin import operations as support
from app.admin.forms import (
    BranchAddressForm,
    BranchForm,
    ClosureForm,
    OrganisationForm,
    PartnerForm,
    StampForm,
    UserDetailsForm,
    UserEditForm,
    UserForm,
    role_label,
)
from app.clock import now as clock_now
from app.domain.limits import id_in_range
from app.errors import NotFound, Refusal
from app.extensions import db
from app.forms import ConfirmForm
from app.mail.outbox import retry_now, smtp_configured
from app.models import (
    Branch,
    ClosureDay,
    Job,
    OutboxMail,
    Participant,
    PartnerOrganisation,
    Role,
    Session,
    Supervisor,
    User,
)
from app.planning import closures
from app.timing import forget_closure_days
from app.views import actor, choices, refusals_shown
from app.web import BRUSSELS, local_time

OUTBOX_LIMIT = 200

bp.add_app_template_global(role_label, "role_label")


# Least powerful first: a new user gets the front desk's rights unless support chooses more.
ROLES_BY_POWER = (Role.FRONTDESK, Role.TRAINER, Role.PROMOTOR, Role.ADMIN)


def _role_choices() -> list[SelectChoice]:
    return choices((r.value, role_label(r)) for r in ROLES_BY_POWER)


def _branch_choices() -> list[SelectChoice]:
    """All branches for central support; a local administrator only has their own."""
    query = select(Branch).order_by(Branch.name)
    if current_user.branch_id is not None:
        return choices(
            (b.id, b.name)
            for b in db.session.scalars(query.where(Branch.id == current_user.branch_id))
        )
    return choices(
        [(0, _("(all branches: central)")), *((b.id, b.name) for b in db.session.scalars(query))]
    )


def _branch(branch_id: int | None) -> Branch | None:
    return db.session.get(Branch, branch_id) if branch_id else None


def _users_query() -> Select[User]:
    query = select(User)
    if current_user.branch_id is not None:
        query = query.where(User.branch_id == current_user.branch_id)
    return query


def _users_page(form: UserForm) -> str:
    items = db.session.scalars(_users_query().order_by(User.active.desc(), User.email)).all()
    return render_template(
        "admin/users.html",
        users=items,
        form=form,
        role_choices=_role_choices(),
        branch_choices=_branch_choices(),
        confirm=ConfirmForm(),
    )


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users() -> ResponseReturnValue:
    scoping.require_admin(current_user)
    form = UserForm()
    form.role.choices = _role_choices()
    form.branch.choices = _branch_choices()
    if not form.is_submitted():
        form.role.data = ROLES_BY_POWER[0].value
    if form.validate_on_submit():
        with refusals_shown(form, "email"):
            invite = not form.password.data
            user = support.create_user(
                actor(),
                form.email.data,
                Role(form.role.data),
                # An invitation: a random password nobody knows until the user picks theirs.
                secrets.token_urlsafe(32) if invite else form.password.data,
                _branch(form.branch.data),
                form.name.data or "",
            )
            if invite:
                from app.auth.operations import send_reset_link

                send_reset_link(actor(), user, clock_now())
                flash(_("User created and invited by mail to choose a password."), "success")
            else:
                flash(_("User created."), "success")
            return redirect(url_for("admin.users"))
    return _users_page(form)


def _user(user_id: int) -> User:
    scoping.require_admin(current_user)
    user = db.session.scalars(_users_query().where(User.id == user_id)).first()
    if user is None:
        raise NotFound("user")
    return user


@bp.post("/users/<int:user_id>")
@login_required
def change_user(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    form = UserEditForm()
    form.role.choices = _role_choices()
    form.branch.choices = _branch_choices()
    if form.validate_on_submit():
        with refusals_shown():
            support.change_user(actor(), user, Role(form.role.data), _branch(form.branch.data))
            flash(_("%(user)s changed.", user=user.email), "success")
    else:
        for name, errors in form.errors.items():
            label = getattr(form, name).label.text if hasattr(form, name) else ""
            for error in errors:
                flash(f"{label}: {error}" if label else error, "error")
    return redirect(url_for("admin.users"))


def _partner_choices() -> list[SelectChoice]:
    partners = db.session.scalars(select(PartnerOrganisation).order_by(PartnerOrganisation.name))
    return choices(
        [(0, _("(the organisation itself: internal)")), *((p.id, p.name) for p in partners)]
    )


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int) -> ResponseReturnValue:
    """Change a user's name, email, role, branch and employer."""
    user = _user(user_id)
    form = UserDetailsForm(obj=user)
    form.role.choices = _role_choices()
    form.branch.choices = _branch_choices()
    form.partner.choices = _partner_choices()
    if not form.is_submitted():
        form.role.data, form.branch.data = user.role.value, user.branch_id or 0
        form.partner.data = user.partner_id or 0
    if form.validate_on_submit():
        partner = (
            db.session.get(PartnerOrganisation, form.partner.data) if form.partner.data else None
        )
        with refusals_shown(form, "email"):
            support.update_user(
                actor(),
                user,
                form.name.data or "",
                form.email.data,
                Role(form.role.data),
                _branch(form.branch.data),
                partner,
            )
            flash(_("%(user)s changed.", user=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_edit.html", user=user, form=form, confirm=ConfirmForm())


@bp.route("/partners", methods=["GET", "POST"])
@login_required
def partners() -> ResponseReturnValue:
    """Partner organisations (employers of external trainers) and their work relations."""
    scoping.require_admin(current_user)
    chosen = request.args.get("edit", type=int)
    partner = (
        db.session.get(PartnerOrganisation, chosen) if chosen and id_in_range(chosen) else None
    )
    form = PartnerForm(obj=partner)
    form.branches.choices = choices(
        (b.id, b.name) for b in db.session.scalars(select(Branch).order_by(Branch.name))
    )
    if partner is not None and not form.is_submitted():
        form.branches.data = [b.id for b in partner.branches]
    if form.validate_on_submit():
        branches = list(
            db.session.scalars(select(Branch).where(Branch.id.in_(form.branches.data or [])))
        )
        with refusals_shown(form, "name"):
            support.save_partner(actor(), partner, form.name.data, branches)
            flash(_("Organisation saved."), "success")
            return redirect(url_for("admin.partners"))
    items = db.session.scalars(
        select(PartnerOrganisation)
        .options(selectinload(PartnerOrganisation.branches))
        .order_by(PartnerOrganisation.name)
    ).all()
    trainers = dict(
        db.session.execute(
            select(User.partner_id, func.count())
            .where(User.partner_id.is_not(None))
            .group_by(User.partner_id)
        ).all()
    )
    return render_template(
        "admin/partners.html",
        partners=items,
        trainers=trainers,
        form=form,
        editing=partner,
        central=current_user.branch_id is None,
    )


@bp.post("/branches/<int:branch_id>")
@login_required
def rename_branch(branch_id: int) -> ResponseReturnValue:
    scoping.require_admin(current_user)
    branch = db.session.get(Branch, branch_id)
    if branch is None:
        raise NotFound("branch")
    form = BranchForm(prefix=f"branch{branch.id}")
    if form.validate_on_submit():
        with refusals_shown():
            support.rename_branch(actor(), branch, form.name.data)
            flash(_("Branch renamed."), "success")
    else:
        for error in form.name.errors:
            flash(error, "error")
    return redirect(url_for("admin.branches"))


@bp.post("/closure-days/<int:closure_id>/remove")
@login_required
def remove_closure_day(closure_id: int) -> ResponseReturnValue:
    scoping.require_admin(current_user)
    closure = db.session.get(ClosureDay, closure_id)
    if closure is None:
        raise NotFound("closure day")
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            closures.remove_closure_day(actor(), closure, clock_now().astimezone(BRUSSELS).date())
            flash(_("Closure day removed."), "success")

            @after_this_request
            def _forget(response: Response) -> Response:
                forget_closure_days()
                return response

    return redirect(url_for("admin.closure_days"))


@bp.post("/users/<int:user_id>/active/<int:active>")
@login_required
def set_active(user_id: int, active: int) -> ResponseReturnValue:
    user = _user(user_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            support.set_active(actor(), user, bool(active), clock_now())
            flash(
                _("%(user)s reactivated.", user=user.email)
                if active
                else _("%(user)s deactivated: they can no longer log in.", user=user.email),
                "success",
            )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/reset-link")
@login_required
def send_reset_link(user_id: int) -> ResponseReturnValue:
    """Support mails a user a link to choose a new password; support never sees either."""
    from app.auth.operations import send_reset_link as send

    user = _user(user_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            if send(actor(), user, clock_now()) is None:
                flash(_("%(user)s is deactivated: no link was sent.", user=user.email), "error")
            else:
                flash(
                    _("A link to choose a new password is mailed to %(user)s.", user=user.email),
                    "success",
                )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/branches", methods=["GET", "POST"])
@login_required
def branches() -> ResponseReturnValue:
    scoping.require_admin(current_user)
    form = BranchForm()
    if form.validate_on_submit():
        with refusals_shown(form, "name"):
            support.create_branch(actor(), form.name.data)
            flash(_("Branch created."), "success")
            return redirect(url_for("admin.branches"))
    items = db.session.scalars(select(Branch).order_by(Branch.name)).all()
    renames = {}
    for branch in items:
        renames[branch.id] = BranchForm(prefix=f"branch{branch.id}", formdata=None)
        renames[branch.id].name.data = branch.name
    return render_template(
        "admin/branches.html",
        branches=items,
        renames=renames,
        form=form,
        central=current_user.branch_id is None,
    )


@bp.route("/closure-days", methods=["GET", "POST"])
@login_required
def closure_days() -> ResponseReturnValue:
    scoping.require_admin(current_user)
    form = ClosureForm()
    planned: list[Session] = []
    if form.validate_on_submit():
        with refusals_shown(form, "day"):
            days = closures.closure_range(form.day.data, form.until.data)
            planned = closures.sessions_on(days)
            if planned and form.planned.data not in ("cancel", "keep"):
                # Sessions are planned on those days: name them, and let support decide.
                form.planned.errors = [
                    _("Sessions are planned on these days: cancel them or keep them.")
                ]
                return _closure_page(form, planned)
            now = clock_now().astimezone(BRUSSELS)
            added = closures.add_closure_days(
                actor(), form.day.data, form.until.data, form.label.data or "", now.date()
            )
            flash(
                ngettext("%(num)d closure day added.", "%(num)d closure days added.", len(added)),
                "success",
            )
            if planned and form.planned.data == "cancel":
                _cancel_for_closure(planned, form.label.data or _("Closure day"), now)

            # The operation forgets the cached days before the commit; a request in between
            # may have cached the old list again, so forget it once more after the commit.
            @after_this_request
            def _forget(response: Response) -> Response:
                forget_closure_days()
                return response

            return redirect(url_for("admin.closure_days"))
    return _closure_page(form, planned)


def _closure_page(form: ClosureForm, planned: list[Session]) -> str:
    items = db.session.scalars(select(ClosureDay).order_by(ClosureDay.day.desc())).all()
    return render_template(
        "admin/closure_days.html",
        days=items,
        form=form,
        planned=planned,
        central=current_user.branch_id is None,
        today=clock_now().astimezone(BRUSSELS).date(),
    )


def _cancel_for_closure(sessions: list[Session], reason: str, now: datetime) -> None:
    """Cancel the sessions on new closure days; one that cannot be (it has registrations, or
    was submitted) stays, and support is told which and why."""
    from app.planning.operations import cancel_session

    cancelled = 0
    for session in sessions:
        try:
            with db.session.begin_nested():
                cancel_session(actor(), session, reason, now)
            cancelled += 1
        except Refusal as refusal:
            flash(
                f"{session.training.name} {session.day.strftime('%d/%m/%Y')}: {refusal.message}",
                "error",
            )
    flash(
        ngettext("%(num)d session cancelled.", "%(num)d sessions cancelled.", cancelled),
        "success",
    )


# --- The organisation on the certificates ------------------------------------------------------


def _organisation_page(
    form: OrganisationForm | None = None, stamp_form: StampForm | None = None
) -> str:
    record = support.organisation()
    if form is None:
        form = OrganisationForm(formdata=None, obj=record)
    addresses = {}
    items = db.session.scalars(select(Branch).order_by(Branch.name)).all()
    for branch in items:
        addresses[branch.id] = BranchAddressForm(prefix=f"address{branch.id}", formdata=None)
        addresses[branch.id].address.data = branch.address
    return render_template(
        "admin/organisation.html",
        organisation=record,
        form=form,
        stamp_form=stamp_form or StampForm(),
        branches=items,
        addresses=addresses,
        central=current_user.branch_id is None,
        confirm=ConfirmForm(),
    )


@bp.route("/organisation", methods=["GET", "POST"])
@login_required
def organisation() -> ResponseReturnValue:
    """The organisation's data printed on every certificate: central support edits it."""
    scoping.require_admin(current_user)
    if request.method == "POST":
        scoping.require_central(actor())  # a local administrator reads, does not change
    form = OrganisationForm()
    if form.validate_on_submit():
        with refusals_shown(form, "name"):
            support.save_organisation(
                actor(),
                form.name.data or "",
                form.address.data or "",
                form.enterprise_number.data or "",
                form.signatory_name.data or "",
                form.signatory_function.data or "",
                clock_now(),
            )
            flash(_("The organisation's data is saved."), "success")
            return redirect(url_for("admin.organisation"))
    if request.method == "POST":
        return _organisation_page(form), 400
    return _organisation_page()


@bp.post("/organisation/stamp")
@login_required
def organisation_stamp() -> ResponseReturnValue:
    scoping.require_admin(current_user)
    scoping.require_central(actor())
    form = StampForm()
    if form.validate_on_submit():
        upload = form.stamp.data
        with refusals_shown(form, "stamp"):
            support.set_stamp(actor(), upload.stream.read(support.MAX_STAMP_BYTES + 1), clock_now())
            flash(_("The stamp image is saved."), "success")
            return redirect(url_for("admin.organisation"))
    return _organisation_page(stamp_form=form), 400


@bp.post("/organisation/stamp/remove")
@login_required
def organisation_stamp_remove() -> ResponseReturnValue:
    scoping.require_admin(current_user)
    scoping.require_central(actor())
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            support.set_stamp(actor(), None, clock_now())
            flash(_("The stamp image is removed."), "success")
    return redirect(url_for("admin.organisation"))


@bp.get("/organisation/stamp.png")
@login_required
def organisation_stamp_image() -> ResponseReturnValue:
    scoping.require_admin(current_user)
    record = support.organisation()
    if not record.stamp:
        raise NotFound("stamp")
    response = Response(record.stamp, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/organisation/branches/<int:branch_id>/address")
@login_required
def branch_address(branch_id: int) -> ResponseReturnValue:
    scoping.require_admin(current_user)
    scoping.require_central(actor())
    branch = db.session.get(Branch, branch_id) if id_in_range(branch_id) else None
    if branch is None:
        raise NotFound("branch")
    form = BranchAddressForm(prefix=f"address{branch.id}")
    if form.validate_on_submit():
        with refusals_shown():
            support.set_branch_address(actor(), branch, form.address.data or "")
            flash(_("The address of %(branch)s is saved.", branch=branch.name), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(f"{branch.name}: {error}", "error")
    return redirect(url_for("admin.organisation"))


# --- The outbox ---------------------------------------------------------------------------------


def _outbox_query() -> Select[OutboxMail]:
    """The mail in the user's scope (docs/security.md, "Who sees which mail"):

    - a mail about a participant: as the participant (a branch's staff: their branch's);
    - a mail about a staff account (a reset link, a digest): support for the users it manages
      (central: all; a branch's: that branch's), and the user themselves; never a promotor's
      colleague;
    - a mail to an address (a portal sign-in link, a supervisor's reminder): central staff, and
      a branch's staff when a participant or supervisor of their branch has that address.
    """
    user = current_user
    central = user.branch_id is None
    participants = scoping.participants(user).with_only_columns(Participant.id)
    seen = [OutboxMail.participant_id.in_(participants), OutboxMail.user_id == user.id]
    if user.role == Role.ADMIN:
        managed = select(User.id) if central else _users_query().with_only_columns(User.id)
        seen.append(OutboxMail.user_id.in_(managed))
    addressed = and_(OutboxMail.participant_id.is_(None), OutboxMail.user_id.is_(None))
    if central:
        seen.append(addressed)
    else:
        branch_addresses = union(
            select(func.lower(Participant.email)).where(Participant.branch_id == user.branch_id),
            select(Supervisor.email).where(Supervisor.branch_id == user.branch_id),
        )
        seen.append(and_(addressed, OutboxMail.recipient.in_(branch_addresses)))
    return select(OutboxMail).where(or_(*seen))


@bp.get("/outbox")
@login_required
def outbox() -> ResponseReturnValue:
    """The stored mail: what was sent, what waits; without SMTP, the demo reads mail here."""
    scoping.require_planner(current_user)
    mails = db.session.scalars(
        _outbox_query().order_by(OutboxMail.id.desc()).limit(OUTBOX_LIMIT)
    ).all()
    waiting = db.session.scalar(
        _outbox_query()
        .with_only_columns(func.count(OutboxMail.id))
        .where(OutboxMail.sent_at.is_(None), OutboxMail.job.has(Job.finished_at.is_(None)))
    )
    return render_template(
        "admin/outbox.html",
        mails=mails,
        waiting=waiting,
        now=clock_now(),
        smtp=smtp_configured(),
        confirm=ConfirmForm(),
        limit=OUTBOX_LIMIT,
    )


def _mail(mail_id: int) -> OutboxMail:
    scoping.require_planner(current_user)
    mail = db.session.scalars(_outbox_query().where(OutboxMail.id == mail_id)).first()
    if mail is None:
        raise NotFound("mail")
    return mail


def _parsed(mail: OutboxMail) -> EmailMessage:
    return email.message_from_bytes(mail.message, policy=email.policy.default)


def _png_part(message: EmailMessage) -> EmailMessage | None:
    """The QR image: the inline one shown in the HTML part, else any attached PNG."""
    pngs = [p for p in message.walk() if p.get_content_type() == "image/png"]
    inline = [p for p in pngs if p.get_content_disposition() == "inline"]
    found = inline or pngs
    return found[0] if found else None


HEADERS = {
    "From": _l("From"),
    "To": _l("To"),
    "Subject": _l("Subject"),
    "Date": _l("Date"),
    "Message-ID": _l("Message-ID"),
}


def _header_text(name: str, value: object) -> str:
    """A header as a person here reads it: the Date in Brussels time (07/12/2026 19:34), not
    RFC 5322's "Mon, 07 Dec 2026 18:34:03 +0000"."""
    if name == "Date":
        try:
            return local_time(email.utils.parsedate_to_datetime(str(value)))
        except (TypeError, ValueError):
            pass
    return str(value)


@bp.get("/outbox/<int:mail_id>")
@login_required
def outbox_mail(mail_id: int) -> ResponseReturnValue:
    mail = _mail(mail_id)
    if mail.personal:
        # Its one-time link is for the addressee alone: no page shows its content.
        return render_template(
            "admin/outbox_mail.html",
            mail=mail,
            now=clock_now(),
            headers=[(HEADERS["To"], mail.recipient), (HEADERS["Subject"], mail.subject)],
            text=None,
            has_image=False,
            renewable=mail.purpose in RENEWABLE,
            smtp=smtp_configured(),
            confirm=ConfirmForm(),
        )
    message = _parsed(mail)
    body = message.get_body(preferencelist=("plain",))
    return render_template(
        "admin/outbox_mail.html",
        mail=mail,
        now=clock_now(),
        headers=[
            (label, _header_text(name, message[name]))
            for name, label in HEADERS.items()
            if message[name] is not None
        ],
        text=body.get_content() if body is not None else "",
        has_image=_png_part(message) is not None,
        smtp=smtp_configured(),
        confirm=ConfirmForm(),
    )


@bp.get("/outbox/<int:mail_id>/image.png")
@login_required
def outbox_image(mail_id: int) -> ResponseReturnValue:
    mail = _mail(mail_id)
    part = None if mail.personal else _png_part(_parsed(mail))
    if part is None:
        raise NotFound("image")
    response = Response(part.get_content(), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/outbox/<int:mail_id>/retry")
@login_required
def outbox_retry(mail_id: int) -> ResponseReturnValue:
    """Make an unsent mail due now; a worker sends it within seconds."""
    mail = _mail(mail_id)
    if ConfirmForm().validate_on_submit():
        if mail.sent_at is not None:
            flash(_("This mail was already sent."), "error")
        elif not smtp_configured():
            flash(_("No mail server is configured: the mail stays in the outbox."), "error")
        else:
            retry_now(actor(), mail, clock_now())
            flash(
                _("The mail to %(to)s will be sent again in a moment.", to=mail.recipient),
                "success",
            )
    if request.form.get("back") == "list":
        return redirect(url_for("admin.outbox"))
    return redirect(url_for("admin.outbox_mail", mail_id=mail.id))


@bp.post("/outbox/<int:mail_id>/withdraw")
@login_required
def outbox_withdraw(mail_id: int) -> ResponseReturnValue:
    """Finish a waiting mail unsent (a mail to a wrong address, or one no longer needed)."""
    mail = _mail(mail_id)
    if ConfirmForm().validate_on_submit():
        if support.withdraw_mail(actor(), mail, clock_now()):
            flash(
                _("The mail to %(to)s is withdrawn: it will not be sent.", to=mail.recipient),
                "success",
            )
        else:
            flash(_("This mail can no longer be withdrawn: it is sent or being sent."), "error")
    if request.form.get("back") == "list":
        return redirect(url_for("admin.outbox"))
    return redirect(url_for("admin.outbox_mail", mail_id=mail.id))


# Personal mails whose "send again" is a new link to the addressee (never the old one again).
RENEWABLE = ("password_reset", "portal_sign_in")


@bp.post("/outbox/<int:mail_id>/renew")
@login_required
def outbox_renew(mail_id: int) -> ResponseReturnValue:
    """Send a new one-time link to the addressee of a personal mail; a waiting old one is
    withdrawn. Nobody but the addressee receives or sees the link."""
    mail = _mail(mail_id)
    if mail.purpose not in RENEWABLE:
        raise NotFound("mail")
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            if support.renew_link(actor(), mail, clock_now()):
                flash(_("A new link is mailed to %(to)s.", to=mail.recipient), "success")
            else:
                flash(
                    _("%(to)s can no longer sign in: no new link was sent.", to=mail.recipient),
                    "error",
                )
    if request.form.get("back") == "list":
        return redirect(url_for("admin.outbox"))
    return redirect(url_for("admin.outbox_mail", mail_id=mail.id))
