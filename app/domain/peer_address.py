"""Which addresses an outgoing request (the exchange's deliveries) may reach.

A connection's address is typed by support, who may be support of a single branch: it must not
become a way into the machine or the network the server stands in (the database, Redis, a cloud
metadata service, an intranet). So a peer is refused when its address is loopback, private,
link-local, multicast, reserved or otherwise not globally routable, including IPv6 forms that
carry such an IPv4 address inside (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64). An installation
that really talks to a package on its own network (an on-premises package, a test peer) names
that host or network explicitly (``EXCHANGE_ALLOW_HOSTS``).

Pure rules: no resolving, no connecting. ``app.exchange.transport`` resolves the name and checks
every address it would connect to, at saving and again at every delivery.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


@dataclass(frozen=True, slots=True)
class PeerUrl:
    scheme: str
    host: str  # lower case, without brackets or a trailing dot; IDNA (ASCII) for a name
    port: int


class BadPeerUrl(ValueError):
    """The text is not an http(s) address we can post to; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_peer_url(text: str) -> PeerUrl:
    """An ``http://`` or ``https://`` address with a host name or an IP address. Raises
    ``BadPeerUrl`` (reason ``scheme``, ``host``, ``port`` or ``syntax``), never anything else."""
    try:
        parts = urlsplit(text.strip())
        scheme = parts.scheme.lower()
        hostname = parts.hostname
        port = parts.port  # ValueError for a port that is not a number or out of range
    except ValueError:
        raise BadPeerUrl("syntax") from None
    if scheme not in ("http", "https"):
        raise BadPeerUrl("scheme")
    if not hostname:
        raise BadPeerUrl("host")
    if port == 0:
        raise BadPeerUrl("port")
    host = _host(hostname)
    return PeerUrl(scheme, host, port or (443 if scheme == "https" else 80))


def _host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise BadPeerUrl("host") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise BadPeerUrl("host")
    return ascii_host


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo's client, NAT64)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal_kind(address: Address) -> str | None:
    """Why this address may not be reached (``loopback``, ``private``, ``link_local``,
    ``multicast``, ``reserved``), or None for a public address."""
    inner = embedded_ipv4(address)
    if inner is not None:
        found = refusal_kind(inner)
        if found is not None:
            return found
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link_local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified or address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        # Shared address space (100.64.0.0/10, a provider's NAT) and the like: not private in
        # Python's terms, but not on the internet either.
        return "private"
    return None


@dataclass(frozen=True, slots=True)
class Allowance:
    """Hosts and networks an installation lets the exchange reach although they are internal:
    a name matches the address's host as written (whatever it resolves to), a network or an
    address matches the address connected to."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    def allows(self, host: str, address: Address) -> bool:
        if host in self.names:
            return True
        inner = embedded_ipv4(address)
        return any(address in net or (inner is not None and inner in net) for net in self.networks)


def allowance(entries: Iterable[str] | str | None) -> Allowance:
    """The setting's entries (a list, or a string separated by commas or spaces): each an IP
    address, a network (``10.20.0.0/16``) or a host name."""
    if entries is None:
        return Allowance()
    if isinstance(entries, str):
        entries = re.split(r"[,\s]+", entries)
    names: set[str] = set()
    networks: list[Network] = []
    for entry in entries:
        text = str(entry).strip().lower().strip("[]").rstrip(".")
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            names.add(text)
    return Allowance(frozenset(names), tuple(networks))


def refusal(host: str, address: Address, allowed: Allowance) -> str | None:
    """Why a connection to ``address`` (for ``host``) is refused, or None when it may go."""
    if allowed.allows(host, address):
        return None
    return refusal_kind(address)
