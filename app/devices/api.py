"""``POST /api/v1/devices/pair``: a scanner exchanges a pairing token for its own token.

Outside the API blueprint on purpose: that one authenticates every request by an API token,
while here the pairing token in the body is the only credential (as pretix's
``/api/v1/device/initialize``). Its schemas are declared like every API route's, so the
OpenAPI description (``app.api.openapi``) includes it.
"""

from __future__ import annotations

from typing import Annotated

from flask import after_this_request
from flask.wrappers import Response

from app.api import schemas as s
from app.api.openapi import REFUSALS, endpoint
from app.clock import now as clock_now
from app.devices import bp
from app.devices.operations import exchange_pairing
from app.extensions import limiter
from app.models import ApiToken


class PairingRequest(s.Request):
    token: Annotated[str, s.Text(200)]
    device_name: Annotated[str, s.Text(ApiToken.device_name, required=False, default="")] = ""


class PairedUser(s.Answer):
    name: str
    email: str


class PairingResult(s.Answer):
    token: str
    device_name: str
    user: PairedUser


@bp.post("/pair")
@limiter.limit("30 per minute")
@endpoint(
    PairingResult,
    status=201,
    body=PairingRequest,
    public=True,
    summary="Exchange a pairing token (the QR code on the tokens page) for the scanner's own "
    "API token",
    description="Authenticated by the pairing token in the body; it works once and for a few "
    "minutes. Refusal codes: pairing_unknown, pairing_used, pairing_expired.",
    refuses={
        401: "The pairing token is unknown, used or expired",
        429: "Too many attempts",
        503: REFUSALS[503],
    },
)
def pair(body: PairingRequest) -> PairingResult:
    exchanged = exchange_pairing(body.token, body.device_name, clock_now())

    @after_this_request
    def _private(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"  # the answer holds a secret
        return response

    user = exchanged.token.user
    return PairingResult(
        token=exchanged.secret,
        device_name=exchanged.device_name,
        user=PairedUser(name=user.display_name, email=user.email),
    )
