"""Support's changes to users, branches and the organisation; each audited. They flush; the caller commits.

An administrator registered at a branch (the local access administrator) manages only the users
of that branch; branches and closure days concern the whole organisation and are for central
support (an administrator without a branch).
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

from flask_babel import lazy_gettext as _l
from PIL import Image
from sqlalchemy import select

from app import audit, checks
from app.audit import Actor
from app.auth import operations as accounts
from app.certificates.organisation import current as current_organisation
from app.domain.certificates import InvalidEnterpriseNumber
from app.domain.certificates import enterprise_number as valid_enterprise_number
from app.errors import Forbidden, NotFound, Refusal
from app.extensions import db
from app.mail import outbox
from app.models import (
    Branch,
    Organisation,
    OutboxMail,
    PartnerOrganisation,
    Role,
    User,
)
from app.scoping import require_central

USER_FIELDS = ("email", "name", "role", "branch_id", "active")


def _local_branch(actor: Actor) -> int | None:
    """The branch a local administrator is limited to; None for central support."""
    return actor.user.branch_id if actor.user is not None else None


def _check_branch(actor: Actor, branch: Branch | None) -> None:
    local = _local_branch(actor)
    if local is not None and (branch is None or branch.id != local):
        raise Forbidden(_l("You can only manage users of your own branch."))


def _check_user(actor: Actor, user: User) -> None:
    local = _local_branch(actor)
    if local is not None and user.branch_id != local:
        raise NotFound("user")


def create_user(
    actor: Actor, email: str, role: Role, password: str, branch: Branch | None, name: str = ""
) -> User:
    _check_branch(actor, branch)
    name = checks.text((name or "").strip(), "name")
    return accounts.create_user(actor, email, role, password, branch, name)


def change_user(actor: Actor, user: User, role: Role, branch: Branch | None) -> None:
    _check_user(actor, user)
    _check_branch(actor, branch)
    if actor.user is not None and user.id == actor.user.id:
        if role != Role.ADMIN:
            raise Refusal("own_role", _l("You cannot take away your own admin role."))
        if branch is not None and branch.id != user.branch_id:
            raise Refusal("own_branch", _l("You cannot limit your own account to a branch."))
    before = audit.snapshot(user, USER_FIELDS)
    user.role = role
    user.branch = branch
    db.session.flush()
    audit.record(actor, "user.change", user, before, audit.snapshot(user, USER_FIELDS))


def set_active(actor: Actor, user: User, active: bool, now: datetime) -> None:
    _check_user(actor, user)
    if actor.user is not None and user.id == actor.user.id:
        raise Refusal("own_account", _l("You cannot deactivate your own account."))
    if user.active == active:
        return
    before = audit.snapshot(user, USER_FIELDS)
    user.active = active
    if not active:
        accounts.end_sessions(user)
        # A reset link mailed before must not work after a later reactivation (nor be sent).
        accounts.void_reset_links(user, now)
        outbox.withdraw_account_mails(actor, user.id, now)
    db.session.flush()
    audit.record(
        actor,
        "user.activate" if active else "user.deactivate",
        user,
        before,
        audit.snapshot(user, USER_FIELDS),
    )


def create_branch(actor: Actor, name: str) -> Branch:
    require_central(actor)
    name = checks.text((name or "").strip(), "name")
    if not name:
        raise Refusal("name_required", _l("Give the branch's name."))
    if db.session.scalars(select(Branch).where(Branch.name == name)).first():
        raise Refusal("duplicate_branch", _l("A branch with this name already exists."))
    branch = Branch(name=name)
    db.session.add(branch)
    db.session.flush()
    audit.record(actor, "branch.create", branch, after={"name": name})
    return branch


def update_user(
    actor: Actor,
    user: User,
    name: str,
    email: str,
    role: Role,
    branch: Branch | None,
    partner: PartnerOrganisation | None,
) -> None:
    """Change a user's name, email, role, branch or partner organisation; audited."""
    change_user(actor, user, role, branch)
    email = accounts.clean_email(email)
    holder = accounts.find_user(email)
    if holder is not None and holder.id != user.id:
        raise Refusal(
            "duplicate_email",
            _l("A user with this email address already exists."),
            status=409,
            field="email",
        )
    before = audit.snapshot(user, (*USER_FIELDS, "partner_id"))
    user.name = checks.text((name or "").strip(), "name")
    if email != user.email:
        accounts.end_sessions(user)  # the old address no longer logs in anywhere
    user.email = email
    user.partner = partner
    db.session.flush()
    audit.record(
        actor, "user.change", user, before, audit.snapshot(user, (*USER_FIELDS, "partner_id"))
    )


def rename_branch(actor: Actor, branch: Branch, name: str) -> None:
    require_central(actor)
    name = checks.text((name or "").strip(), "name")
    if not name:
        raise Refusal("name_required", _l("Give the branch's name."), field="name")
    other = db.session.scalars(select(Branch.id).where(Branch.name == name)).first()
    if other is not None and other != branch.id:
        raise Refusal(
            "duplicate_branch", _l("A branch with this name already exists."), field="name"
        )
    before = {"name": branch.name}
    branch.name = name
    db.session.flush()
    audit.record(actor, "branch.change", branch, before, {"name": name})


def save_partner(
    actor: Actor, partner: PartnerOrganisation | None, name: str, branches: list[Branch]
) -> PartnerOrganisation:
    """Create a partner organisation or change it; its branches are its work relations."""
    require_central(actor)
    name = checks.text((name or "").strip(), "name")
    if not name:
        raise Refusal("name_required", _l("Give the organisation's name."), field="name")
    other = db.session.scalars(
        select(PartnerOrganisation.id).where(PartnerOrganisation.name == name)
    ).first()
    if other is not None and (partner is None or other != partner.id):
        raise Refusal(
            "duplicate_partner", _l("An organisation with this name already exists."), field="name"
        )
    before = None
    if partner is None:
        partner = PartnerOrganisation(name=name)
        db.session.add(partner)
    else:
        before = {"name": partner.name, "branches": sorted(b.id for b in partner.branches)}
    partner.name = name
    partner.branches = list(branches)
    db.session.flush()
    after = {"name": partner.name, "branches": sorted(b.id for b in partner.branches)}
    audit.record(
        actor, "partner.create" if before is None else "partner.change", partner, before, after
    )
    return partner


# --- The organisation on the certificates -------------------------------------------------------

ORGANISATION_FIELDS = (
    "name", "address", "enterprise_number", "signatory_name", "signatory_function", "stamp_type",
)  # fmt: skip
MAX_STAMP_BYTES = 1024 * 1024
MAX_STAMP_SIDE = 3000  # pixels: a stamp scanned at 600 dpi is far smaller


def organisation() -> Organisation:
    """The organisation's row, made empty the first time support opens it (not flushed)."""
    found = current_organisation()
    if found is None:
        found = Organisation(
            name="", address="", enterprise_number="", signatory_name="", signatory_function=""
        )
    return found


def save_organisation(
    actor: Actor,
    name: str,
    address: str,
    enterprise_number: str,
    signatory_name: str,
    signatory_function: str,
    now: datetime,
) -> Organisation:
    """The organisation's name, address, enterprise number and authorised signatory."""
    require_central(actor)
    name = checks.text((name or "").strip(), "name")
    if not name:
        raise Refusal("name_required", _l("Give the organisation's name."), field="name")
    address = checks.text((address or "").strip(), "address", one_line=False)
    number = (enterprise_number or "").strip()
    if number:
        try:
            number = valid_enterprise_number(number)
        except InvalidEnterpriseNumber as exc:
            raise Refusal(
                "bad_enterprise_number",
                _l(
                    "This is not a valid Belgian enterprise number: ten digits starting with 0 "
                    "or 1, e.g. 0123.456.749, whose last two are 97 minus the first eight "
                    "modulo 97."
                ),
                field="enterprise_number",
            ) from exc
    signatory_name = checks.text((signatory_name or "").strip(), "signatory_name")
    signatory_function = checks.text((signatory_function or "").strip(), "signatory_function")
    record = organisation()
    before = audit.snapshot(record, ORGANISATION_FIELDS) if record.id else None
    record.name = name
    record.address = address
    record.enterprise_number = number
    record.signatory_name = signatory_name
    record.signatory_function = signatory_function
    record.updated_at = now
    db.session.add(record)
    db.session.flush()
    audit.record(
        actor, "organisation.change", record, before, audit.snapshot(record, ORGANISATION_FIELDS)
    )
    return record


def stamp_png(data: bytes) -> bytes:
    """The uploaded stamp as a PNG, after really opening it: a PNG or JPEG of at most 1 MB and
    3000 pixels a side. Re-encoding drops whatever else the file carried (metadata, trailing
    bytes)."""
    refused = Refusal(
        "bad_stamp",
        _l("The stamp must be a PNG or JPEG image of at most 1 MB and 3000 pixels a side."),
        field="stamp",
    )
    if not data or len(data) > MAX_STAMP_BYTES:
        raise refused
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("PNG", "JPEG"):
                raise refused
            if max(probe.size) > MAX_STAMP_SIDE:
                raise refused
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            converted = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            out = io.BytesIO()
            converted.save(out, format="PNG")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise refused from exc
    return out.getvalue()


def set_stamp(actor: Actor, data: bytes | None, now: datetime) -> Organisation:
    """Upload (``data``) or remove (``None``) the stamp image printed in the stamp box."""
    require_central(actor)
    record = current_organisation()
    if record is None or not record.name:
        raise Refusal(
            "organisation_required", _l("Fill in the organisation's data first."), field="stamp"
        )
    before = _stamp_audit(record)
    record.stamp = stamp_png(data) if data is not None else None
    record.stamp_type = "image/png" if record.stamp else None
    record.updated_at = now
    db.session.flush()
    audit.record(
        actor,
        "organisation.stamp" if record.stamp else "organisation.stamp_remove",
        record,
        before,
        _stamp_audit(record),
    )
    return record


def _stamp_audit(record: Organisation) -> dict[str, object]:
    """The stamp in the audit: its fingerprint, never the image."""
    return {"stamp_sha256": hashlib.sha256(record.stamp).hexdigest() if record.stamp else None}


def set_branch_address(actor: Actor, branch: Branch, address: str) -> None:
    """The branch's address, printed on its trainings' certificates."""
    require_central(actor)
    address = checks.text((address or "").strip(), "address", one_line=False)
    before = audit.snapshot(branch, ("name", "address"))
    branch.address = address
    db.session.flush()
    audit.record(
        actor, "branch.address", branch, before, audit.snapshot(branch, ("name", "address"))
    )


def withdraw_mail(actor: Actor, mail: OutboxMail, now: datetime) -> bool:
    """Withdraw a waiting mail by hand. False when it is sent or being sent (the worker holds
    it: that one cannot be stopped). The row is locked first, so a withdrawal and the worker
    claiming the mail at the same moment cannot both win."""
    db.session.flush()
    db.session.refresh(mail.job, with_for_update=True)
    return outbox.withdraw(actor, mail, outbox.BY_HAND, now)


def renew_link(actor: Actor, mail: OutboxMail, now: datetime) -> bool:
    """ "Send again" for a mail with a one-time link: a new link goes to the addressee (the old
    one is never sent again; a waiting one is withdrawn). False when the addressee can no
    longer have one (a deactivated user, an address no longer known)."""
    from flask import current_app

    from app.portal import signin

    outbox.withdraw(actor, mail, outbox.REPLACED, now)
    audit.record(actor, "mail.renew", mail, None, {"purpose": mail.purpose})
    if mail.purpose == accounts.RESET_MAIL:
        user = db.session.get(User, mail.user_id) if mail.user_id else None
        return user is not None and accounts.send_reset_link(actor, user, now) is not None
    if mail.purpose == signin.MAIL:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
        return signin.send_link(mail.recipient, now, language) is not None
    raise Refusal("not_renewable", _l("This mail holds no link to renew."))
