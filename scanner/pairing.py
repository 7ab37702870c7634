"""Pairing in one scan: the QR code on the tokens page holds the server's address and a pairing
token, which the scanner exchanges (once, within minutes) for its own token, as pretixSCAN does.
The long-lived token thus never appears on a screen."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

import requests

from qr.pairing import PairingCode, parse_pairing_text
from scanner.address import AddressProblem, check_server

TIMEOUT = 10.0
REFUSALS = {
    "pairing_used": "Deze koppelcode is al gebruikt. Maak een nieuwe op de pagina Scannertokens.",
    "pairing_expired": (
        "Deze koppelcode is verlopen (ze werkt enkele minuten). Maak een nieuwe op de pagina "
        "Scannertokens."
    ),
    "pairing_unknown": (
        "Deze koppelcode kent de server niet. Maak een nieuwe op de pagina Scannertokens."
    ),
}


class PairingFailed(Exception):
    """Pairing did not succeed; the message says why and what to do, in Dutch."""


@dataclass(frozen=True, slots=True)
class Paired:
    server: str
    token: str
    device_name: str
    user: str
    warnings: tuple[str, ...] = ()


def device_name() -> str:
    """What the scanner calls itself when the trainer gave it no name: the computer's name."""
    name = re.sub(r"[^\w.\- ]", "", socket.gethostname())[:120].strip()
    return name or "scanner"


def parse(text: str) -> PairingCode | None:
    return parse_pairing_text(text)


def exchange(code: PairingCode, http: requests.Session | None = None) -> Paired:
    """Check the address in the code, then exchange its pairing token for the scanner's token."""
    http = http or requests.Session()
    try:
        server, warnings = check_server(code.url, http)
    except AddressProblem as problem:
        raise PairingFailed(
            f"De koppelcode wijst naar {code.url}, maar: {problem} "
            "Staat de server achter een proxy, dan zet de beheerder AANWEZIG_PUBLIC_URL."
        ) from problem
    try:
        response = http.post(
            server + "/api/v1/devices/pair",
            json={"token": code.token, "device_name": device_name()},
            headers={"Accept-Language": "nl"},
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise PairingFailed(f"De server op {server} antwoordt niet: {exc}") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code != 201 or not isinstance(body.get("token"), str):
        code_ = body.get("error", "")
        raise PairingFailed(
            REFUSALS.get(code_)
            or f"Koppelen lukt niet: {body.get('message') or f'HTTP {response.status_code}'}"
        )
    user = body.get("user") or {}
    return Paired(
        server=server,
        token=body["token"],
        device_name=str(body.get("device_name") or ""),
        user=str(user.get("name") or user.get("email") or ""),
        warnings=tuple(warnings),
    )
