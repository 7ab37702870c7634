"""Checking a server address before it is saved: a scheme added when it is missing, the server
tried, and what is wrong said in plain Dutch (a saved typo would make every later start fail)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

import requests

TIMEOUT = 5.0


class AddressProblem(Exception):
    """An address that does not lead to an Aanwezig server, with what to do about it."""


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def candidates(text: str) -> list[str]:
    """The base URLs worth trying for what was typed, most likely first."""
    text = text.strip()
    if not text:
        raise AddressProblem(
            "Geef het adres van de Aanwezig-server, bijvoorbeeld https://aanwezig.example.org."
        )
    if any(character.isspace() for character in text):
        raise AddressProblem(f"Het adres '{text}' bevat een spatie: typ het zonder spaties.")
    has_scheme = "://" in text
    parts = urlsplit(text if has_scheme else "//" + text)
    scheme = parts.scheme.lower()
    if has_scheme and scheme not in ("http", "https"):
        raise AddressProblem(
            f"Het adres moet met https:// (of http://) beginnen, niet met {scheme}://."
        )
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise AddressProblem(f"In '{text}' staat geen geldig poortnummer.") from None
    if not host:
        raise AddressProblem(f"In '{text}' staat geen servernaam.")
    if parts.username or parts.password:
        raise AddressProblem("Zet geen gebruikersnaam of wachtwoord in het adres.")
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host:  # an IPv6 address
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    path = parts.path.rstrip("/")
    # A pasted page address (…/tokens, …/login) still finds the server at its root.
    paths = [path, ""] if path else [""]
    if has_scheme:
        schemes = [scheme]
    else:
        schemes = ["http", "https"] if _is_local(host) else ["https", "http"]
    return [urlunsplit((s, netloc, p, "", "")) for s in schemes for p in paths]


def _problem(base: str, exc: requests.RequestException) -> str:
    host = urlsplit(base).hostname or base
    if isinstance(exc, requests.exceptions.SSLError):
        return (
            f"Het beveiligingscertificaat van {host} wordt niet aanvaard. Klopt het adres? "
            "Vraag anders de beheerder van de server om een geldig certificaat."
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return f"{host} antwoordt niet binnen {TIMEOUT:.0f} seconden. Controleer het netwerk en het adres."
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return f"{base} stuurt eindeloos door naar een ander adres."
    return (
        f"Op {base} antwoordt niets. Draait de server, en klopt het poortnummer? "
        "Controleer ook het netwerk (wifi)."
    )


def _answers_as_aanwezig(http: requests.Session, base: str) -> tuple[bool, str]:
    """Whether ``base`` is an Aanwezig server, and if not, why not (in Dutch)."""
    try:
        response = http.get(base + "/api/v1/openapi.json", timeout=TIMEOUT, allow_redirects=True)
    except requests.RequestException as exc:
        return False, _problem(base, exc)
    try:
        spec = response.json()
    except ValueError:
        spec = None
    if (
        response.status_code == 200
        and isinstance(spec, dict)
        and isinstance(spec.get("paths"), dict)
        and "/scans" in spec["paths"]
    ):
        return True, ""
    return False, (
        f"{base} antwoordt (HTTP {response.status_code}), maar het is geen Aanwezig-server. "
        "Neem het adres over van de adresbalk van de webtoepassing, zonder de pagina erachter."
    )


def check_server(text: str, http: requests.Session | None = None) -> tuple[str, list[str]]:
    """The base URL of the Aanwezig server that ``text`` points at, and warnings to show.

    Raises :class:`AddressProblem` with the most telling reason when none of the candidates is
    an Aanwezig server.
    """
    http = http or requests.Session()
    bases = candidates(text)
    host = urlsplit(bases[0]).hostname or ""
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        raise AddressProblem(
            f"De servernaam {host} bestaat niet (of er is geen netwerk). Controleer de spelling."
        ) from None
    problems: list[str] = []
    for base in bases:
        ok, why = _answers_as_aanwezig(http, base)
        if ok:
            warnings = []
            if base.startswith("http://") and not _is_local(host):
                warnings.append(
                    f"Let op: {base} is niet versleuteld (http). Gebruik https als de server het kan."
                )
            return base, warnings
        problems.append(why)
    # "Not an Aanwezig server" says more than "nothing answers" on the other scheme.
    telling = [p for p in problems if "geen Aanwezig-server" in p] or problems
    raise AddressProblem(telling[0])
