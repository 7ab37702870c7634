"""Posting to a peer without reaching inside: every address a delivery would connect to is
checked (``app.domain.peer_address``), after name resolution and on the socket actually
connected, so a name that resolves to a public address when the connection is saved and to
127.0.0.1 at delivery (DNS rebinding) gets nowhere. Redirects are never followed, proxies
from the environment are never used (the check would then see the proxy, not the peer).

The connection is made by urllib3 connection classes whose ``_new_conn`` resolves the name
itself, refuses the whole name when any of its addresses is refused, connects to one checked
address and checks the socket's peer address again. The host name stays what the URL says, so
the ``Host`` header and TLS (SNI and certificate verification) are unchanged.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from app.domain import peer_address
from app.domain.peer_address import Allowance, BadPeerUrl, PeerUrl


class AddressRefused(Exception):
    """The peer's name leads to an address we may not reach. Deliberately not an ``OSError``:
    urllib3 and requests let it through unwrapped, and nothing retries it."""

    def __init__(self, host: str, kind: str) -> None:
        super().__init__(f"{host}: {kind} address refused")
        self.host = host
        self.kind = kind


def allowance_from(config: Mapping[str, Any]) -> Allowance:
    return peer_address.allowance(config.get("EXCHANGE_ALLOW_HOSTS"))


def _address(sockaddr: tuple[Any, ...]) -> peer_address.Address:
    return ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])


def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` for a stream socket (through ``socket.getaddrinfo``, so a test can stand
    in for the resolver)."""
    return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)


def check_resolved(host: str, infos: list[tuple[Any, ...]], allowed: Allowance) -> None:
    """Refuse the name when any address it resolves to is refused: a name that answers with a
    public and an internal address is one way of rebinding."""
    for info in infos:
        kind = peer_address.refusal(host, _address(info[4]), allowed)
        if kind is not None:
            raise AddressRefused(host, kind)


def check_url(text: str, allowed: Allowance) -> PeerUrl:
    """At saving: the address parses, and whatever its host resolves to now may be reached.
    A name that does not resolve (yet) is kept; every delivery checks again."""
    url = peer_address.parse_peer_url(text)
    try:
        infos = resolve(url.host, url.port)
    except (OSError, UnicodeError):
        infos = []
    check_resolved(url.host, infos, allowed)
    return url


def guarded_connect(
    host: str,
    port: int,
    allowed: Allowance,
    timeout: Any = _DEFAULT_TIMEOUT,
    source_address: tuple[str, int] | None = None,
    socket_options: Any = None,
) -> socket.socket:
    """urllib3's ``create_connection``, checking every address before and after connecting."""
    name = host.strip("[]")
    infos = resolve(name, port)
    if not infos:
        raise OSError("getaddrinfo returned no address")
    host = name.lower().rstrip(".")  # as the allowance and parse_peer_url write it
    check_resolved(host, infos, allowed)
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        refused = peer_address.refusal(host, _address(sock.getpeername()), allowed)
        if refused is not None:
            sock.close()
            raise AddressRefused(host, refused)
        return sock
    assert error is not None
    raise error


class _Guarded(HTTPConnection):
    """``_new_conn`` of urllib3's connections, through ``guarded_connect`` (a mixin: the
    classes below put it before urllib3's HTTP or HTTPS connection)."""

    allowed: Allowance = Allowance()

    def _new_conn(self) -> socket.socket:
        try:
            return guarded_connect(
                self._dns_host,
                self.port,
                self.allowed,
                self.timeout,
                self.source_address,
                self.socket_options,
            )
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a connection: {exc}") from exc


class GuardedAdapter(HTTPAdapter):
    """A transport adapter whose connections go only where ``allowed`` lets them."""

    def __init__(self, allowed: Allowance) -> None:
        self.allowed = allowed
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **kw: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **kw)
        attributes = {"allowed": self.allowed}
        http = type("GuardedHTTPConnection", (_Guarded, HTTPConnection), attributes)
        https = type("GuardedHTTPSConnection", (_Guarded, HTTPSConnection), attributes)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


class PeerSession(requests.Session):
    def get_redirect_target(self, resp: requests.Response) -> None:
        """No answer is a redirect to us: not followed, and (unlike ``allow_redirects=False``
        alone, which still prepares the next request) its body is not read either."""
        return None


def session(allowed: Allowance) -> requests.Session:
    """A requests session for peers: guarded connections, no proxies from the environment, no
    redirects (``post`` below says so on every call too)."""
    found = PeerSession()
    found.trust_env = False
    adapter = GuardedAdapter(allowed)
    found.mount("http://", adapter)
    found.mount("https://", adapter)
    return found


def post(
    allowed: Allowance, url: str, body: bytes, headers: Mapping[str, str], timeout: float
) -> requests.Response:
    """One POST to a peer. The answer's body is never read (``stream``), only its status: a
    peer's page has no place on ours. Raises ``AddressRefused``, ``BadPeerUrl`` or requests'
    exceptions."""
    peer_address.parse_peer_url(url)  # a stored address that no longer parses: BadPeerUrl
    with session(allowed) as peers:
        answer = peers.post(
            url,
            data=body,
            headers=dict(headers),
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        )
        answer.close()
        return answer


__all__ = ["AddressRefused", "BadPeerUrl", "check_url", "post", "session"]
