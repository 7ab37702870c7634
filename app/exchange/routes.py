"""Support's pages for the exchange: connections, their deliveries, the one-time push.

Only support (the admin role) manages connections; a support user of a branch sees and manages
only that branch's connections. Views parse a form, call one operation, render.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Select, case, func, select
from wtforms.fields.choices import SelectChoice

from app import scoping
from app.clock import now as _now
from app.domain import exchange as rules
from app.errors import NotFound, Refusal
from app.exchange import operations as ops
from app.exchange.forms import EVENT_LABELS, IDENTIFIER_LABELS, ConnectionForm, PushForm
from app.extensions import db
from app.forms import ConfirmForm
from app.links import external_url
from app.models import Branch, ExchangeConnection, ExchangeEvent, ExchangePush, Participant
from app.settings import settings
from app.views import actor, choices, refusals_shown
from app.web import BRUSSELS

bp = Blueprint("exchange", __name__, template_folder="templates", url_prefix="/admin/exchange")
EVENTS_SHOWN = 200


def _scoped() -> Select[ExchangeConnection]:
    query = select(ExchangeConnection)
    if current_user.branch_id is not None:
        query = query.where(ExchangeConnection.branch_id == current_user.branch_id)
    return query


def _connection(connection_id: int) -> ExchangeConnection:
    scoping.require_admin(current_user)
    found = db.session.scalars(_scoped().where(ExchangeConnection.id == connection_id)).first()
    if found is None:
        raise NotFound("connection")
    return found


def _branch_choices() -> list[SelectChoice]:
    query = select(Branch).order_by(Branch.name)
    if current_user.branch_id is not None:
        query = query.where(Branch.id == current_user.branch_id)
    return choices((b.id, b.name) for b in db.session.scalars(query))


def _input(form: ConnectionForm) -> ops.ConnectionInput:
    try:
        mapping = rules.parse_mapping(form.mapping.data or "")
    except ValueError as exc:
        raise Refusal(
            "bad_mapping",
            _("Write each line as: state = code (not: %(line)s)", line=str(exc)),
            field="mapping",
        ) from None
    return ops.ConnectionInput(
        name=(form.name.data or "").strip(),
        url=(form.url.data or "").strip(),
        events=list(form.events.data or []),
        identifier=form.identifier.data or "email",
        national_number_allowed=bool(form.national_number_allowed.data),
        mapping=mapping,
        split_at=form.split_at.data,
        secret=(form.secret.data or "").strip() or None,
    )


@bp.get("/")
@login_required
def connections() -> ResponseReturnValue:
    scoping.require_admin(current_user)
    items = db.session.scalars(_scoped().order_by(ExchangeConnection.name)).all()
    counts = _counts([c.id for c in items])
    return render_template(
        "exchange/connections.html", connections=items, counts=counts, branches=_branch_names()
    )


def _branch_names() -> dict[int, str]:
    return {bid: name for bid, name in db.session.execute(select(Branch.id, Branch.name))}


def _counts(connection_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per connection: outgoing events delivered, waiting, failed (one query)."""
    if not connection_ids:
        return {}
    state = case(
        (ExchangeEvent.delivered_at.is_not(None), "delivered"),
        (ExchangeEvent.failed_at.is_not(None), "failed"),
        else_="waiting",
    )
    found: dict[int, dict[str, int]] = {i: {} for i in connection_ids}
    for cid, name, n in db.session.execute(
        select(ExchangeEvent.connection_id, state, func.count())
        .where(ExchangeEvent.connection_id.in_(connection_ids), ExchangeEvent.direction == "out")
        .group_by(ExchangeEvent.connection_id, state)
    ):
        found[cid][name] = n
    return found


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_connection() -> ResponseReturnValue:
    scoping.require_admin(current_user)
    form = ConnectionForm()
    form.branch.choices = _branch_choices()
    if request.method == "GET":
        form.mapping.data = rules.format_mapping(rules.DEFAULT_MAPPING, _state_names())
        form.events.data = list(rules.EVENT_KINDS)
        form.split_at.data = rules.DEFAULT_SPLIT
    if form.validate_on_submit():
        with refusals_shown(form, "name"):
            branch = db.session.get(Branch, form.branch.data)
            if branch is None or (
                current_user.branch_id is not None and branch.id != current_user.branch_id
            ):
                raise Refusal("unknown_branch", _("Choose a branch."), field="branch")
            connection, secret = ops.create_connection(
                actor(), branch, _input(form), allowed=settings().exchange_allowance
            )
            return render_template("exchange/secret.html", connection=connection, secret=secret)
    return render_template("exchange/connection_form.html", form=form, connection=None)


@bp.route("/<int:connection_id>", methods=["GET", "POST"])
@login_required
def connection(connection_id: int) -> ResponseReturnValue:
    found = _connection(connection_id)
    form = ConnectionForm(obj=None if request.method == "POST" else found)
    form.branch.choices = choices([(found.branch_id, _branch_names().get(found.branch_id, ""))])
    if request.method == "GET":
        form.branch.data = found.branch_id
        form.mapping.data = rules.format_mapping(found.mapping, _state_names())
        form.secret.data = ""
    elif form.validate_on_submit():
        with refusals_shown(form, "name"):
            secret = ops.update_connection(
                actor(), found, _input(form), allowed=settings().exchange_allowance
            )
            if secret:
                return render_template("exchange/secret.html", connection=found, secret=secret)
            flash(_("Saved."), "success")
            return redirect(url_for("exchange.connection", connection_id=found.id))
    return _page(found, form, PushForm(formdata=None))


def _page(found: ExchangeConnection, form: ConnectionForm, push_form: PushForm) -> str:
    today = _now().astimezone(BRUSSELS).date()
    if push_form.date_from.data is None:
        push_form.date_from.data, push_form.date_to.data = ops.school_year(today)
    events = db.session.execute(
        select(ExchangeEvent, Participant.name)
        .join(Participant, Participant.id == ExchangeEvent.participant_id)
        .where(ExchangeEvent.connection_id == found.id)
        .order_by(ExchangeEvent.id.desc())
        .limit(EVENTS_SHOWN)
    ).all()
    pushes = db.session.execute(
        select(
            ExchangePush,
            func.count(ExchangeEvent.id),
            func.count(ExchangeEvent.delivered_at),
            func.count(ExchangeEvent.failed_at),
        )
        .outerjoin(ExchangeEvent, ExchangeEvent.push_id == ExchangePush.id)
        .where(ExchangePush.connection_id == found.id)
        .group_by(ExchangePush.id)
        .order_by(ExchangePush.id.desc())
    ).all()
    return render_template(
        "exchange/connection.html",
        connection=found,
        form=form,
        push_form=push_form,
        confirm=ConfirmForm(),
        events=events,
        pushes=pushes,
        counts=_counts([found.id]).get(found.id, {}),
        event_labels=EVENT_LABELS,
        identifier_labels=IDENTIFIER_LABELS,
        limit=EVENTS_SHOWN,
        # The address the package must use: the configured one, not the one this page was
        # asked on.
        events_url=external_url("api.exchange_events", connection_id=found.id),
    )


@bp.post("/<int:connection_id>/switch")
@login_required
def switch(connection_id: int) -> ResponseReturnValue:
    found = _connection(connection_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        on = request.form.get("on") == "1"
        with refusals_shown():
            ops.switch(actor(), found, on, _now())
            flash(_("Switched on.") if on else _("Paused."), "success")
    return redirect(url_for("exchange.connection", connection_id=found.id))


@bp.post("/<int:connection_id>/push")
@login_required
def push(connection_id: int) -> ResponseReturnValue:
    found = _connection(connection_id)
    push_form = PushForm()
    if push_form.validate_on_submit():
        with refusals_shown(push_form, "date_from"):
            today = _now().astimezone(BRUSSELS).date()
            record = ops.push(
                actor(), found, push_form.date_from.data, push_form.date_to.data, today
            )
            flash(
                _(
                    "%(queued)s events queued, %(skipped)s already sent or nothing to send.",
                    queued=record.queued,
                    skipped=record.skipped,
                ),
                "success",
            )
            return redirect(url_for("exchange.connection", connection_id=found.id))
    form = ConnectionForm(obj=found, formdata=None)
    form.branch.choices = choices([(found.branch_id, "")])
    form.mapping.data = rules.format_mapping(found.mapping, _state_names())
    form.secret.data = ""
    return _page(found, form, push_form)


@bp.post("/events/<int:event_id>/retry")
@login_required
def retry(event_id: int) -> ResponseReturnValue:
    scoping.require_admin(current_user)
    event = db.session.get(ExchangeEvent, event_id)
    if event is None:
        raise NotFound("event")
    found = _connection(event.connection_id)
    if ConfirmForm().validate_on_submit():
        with refusals_shown():
            ops.retry(actor(), event, _now())
            flash(_("The delivery is tried again now."), "success")
    return redirect(url_for("exchange.connection", connection_id=found.id))


def _state_names() -> dict[str, str] | None:
    """The states by their Dutch names on a Dutch page (``aanwezig = |``); parsing takes both."""
    return rules.DUTCH_STATE_NAMES if str(get_locale() or "nl").startswith("nl") else None
