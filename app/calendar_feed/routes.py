"""The calendar pages: a trainer's (and any staff user's) and a portal address's secret feed
address, made or renewed on request and shown once; and the feed itself, public by its token."""

from __future__ import annotations

from flask import Response, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app.calendar_feed import bp
from app.calendar_feed import operations as feeds
from app.clock import now as _now
from app.errors import NotFound
from app.forms import ConfirmForm
from app.links import external_url
from app.portal import bp as portal_bp
from app.portal.identity import PortalIdentity, portal_required
from app.views import actor


@bp.route("/", methods=["GET", "POST"])
@login_required
def mine() -> ResponseReturnValue:
    form = ConfirmForm()
    address = None
    if form.validate_on_submit():
        address = external_url(
            "calendar_feed.feed", token=feeds.renew(actor(), _now(), user=current_user)
        )
    return render_template(
        "calendar_feed/mine.html",
        form=form,
        feed=feeds.feed_of_user(current_user),
        address=address,
        base="base.html",
        action="calendar_feed.mine",
    )


# On the portal's blueprint: its pages share the portal's frame and identity.
@portal_bp.route("/calendar", methods=["GET", "POST"])
@portal_required
def portal_calendar(who: PortalIdentity) -> ResponseReturnValue:
    form = ConfirmForm()
    address = None
    if form.validate_on_submit():
        address = external_url(
            "calendar_feed.feed", token=feeds.renew(who.actor, _now(), email=who.email)
        )
    return render_template(
        "calendar_feed/mine.html",
        form=form,
        feed=feeds.feed_of_email(who.email),
        address=address,
        base="portal/base.html",
        action="portal.portal_calendar",
    )


@bp.get("/<token>.ics")
def feed(token: str) -> Response:
    """The feed, for calendar apps: no sign-in, the token in the address is the credential.
    An unknown or renewed token is a plain 404 that says nothing about any feed."""
    found = feeds.by_token(token)
    if found is None:
        raise NotFound("calendar")
    now = _now()
    feeds.mark_read(found, now)
    return Response(
        feeds.feed_text(found, now),
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'inline; filename="aanwezig.ics"',
            # A personal feed: never kept by a shared cache, nor sent on as a referrer.
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
