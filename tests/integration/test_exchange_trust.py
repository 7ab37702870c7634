"""The exchange does not reach inside, and its endpoint gives nothing away (issue 18, items 4,
9 and 10).

Outgoing: a connection's address may not lead to loopback, private, link-local, multicast or
reserved addresses, checked at saving (a form error, never a 500) and again at every delivery on
the address actually connected to, so a name that resolves elsewhere by then (DNS rebinding,
simulated with a stand-in ``socket.getaddrinfo``) gets nowhere; redirects are not followed; the
connection page shows the peer's status and our reason, never the peer's body. An explicit
setting (``EXCHANGE_ALLOW_HOSTS``) lets the tests' local peers through.

Incoming: an unknown connection is answered as a wrong signature is; a body over the limit gets
413; copies of one event sent at once are all answered (one applied, the others duplicates);
NaN and Infinity anywhere in a JSON body are a clear 400, here and in the rest of the API.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.attendance.operations import RollCallLine, confirm_roll_call
from app.audit import Actor
from app.domain.exchange import DEFAULT_MAPPING, EVENT_KINDS
from app.exchange import operations as ops
from app.exchange import outgoing
from app.extensions import db
from app.models import Branch, ExchangeConnection, ExchangeEvent, Role, RollCallMark, Session
from tests.builders import Builders
from tests.exchange_peer import Peer, free_port
from tests.helpers.exchange import _branch, _form

PORT = free_port()
PUBLIC = "93.184.216.34"  # a public address (no connection is ever made to it here)
REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def app_config() -> dict:
    return {"SERVER_NAME": f"127.0.0.1:{PORT}"}


@dataclass
class Recorder:
    """A peer that answers every request with a fixed status, headers and body, and keeps
    what it received (its Host header and body)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"outcome": "applied"}'
    port: int = field(default_factory=free_port)
    received: list[dict[str, Any]] = field(default_factory=list)
    _server: Any = None

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        self.received.append({"host": request.host, "body": request.get_data()})
        return Response(self.body, status=self.status, headers=self.headers)(
            environ, start_response
        )

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/events"

    def start(self) -> Recorder:
        self._server = make_server("127.0.0.1", self.port, self, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def recorders() -> Iterator[list[Recorder]]:
    started: list[Recorder] = []
    yield started
    for recorder in started:
        recorder.stop()


def resolving(mapping: dict[str, str]):  # type: ignore[no-untyped-def]
    """A stand-in for ``socket.getaddrinfo``: the names in ``mapping`` resolve to the given
    address (a comma-separated list for several), others as usual."""

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # type: ignore[no-untyped-def]
        if isinstance(host, str) and host.lower() in mapping:
            return [
                (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))
                for address in mapping[host.lower()].split(",")
            ]  # fmt: skip
        return REAL_GETADDRINFO(host, port, family, type, proto, flags)

    return getaddrinfo


def _connection(app: Flask, url: str, secret: str | None = None) -> int:
    """A switched-on connection of Gent to ``url``, saved as support saves it."""
    with app.app_context():
        branch = db.session.scalar(select(Branch).where(Branch.name == "Gent"))
        assert branch is not None
        connection, _secret = ops.create_connection(
            Actor(None),
            branch,
            ops.ConnectionInput(
                name="Informat",
                url=url,
                events=list(EVENT_KINDS),
                identifier="email",
                national_number_allowed=False,
                mapping=dict(DEFAULT_MAPPING),
                split_at=time(12, 0),
                secret=secret,
            ),
        )
        db.session.flush()
        ops.switch(Actor(None), connection, True, datetime.now(UTC))
        db.session.commit()
        return connection.id


@pytest.fixture
def marked(app: Flask, make: Builders, today: date):  # type: ignore[no-untyped-def]
    """A morning session today with An enrolled; ``mark()`` ticks her absent (one event per
    switched-on connection)."""
    session_id = make.session(today, time(0, 0), time(11, 59))
    pid = make.participant(email="an@example.org")
    make.enrol(session_id, pid)

    def mark(remark: str = "ziek") -> None:
        with app.app_context():
            confirm_roll_call(
                Actor(None),
                db.session.get(Session, session_id),
                [RollCallLine(pid, False, remark)],
                datetime.now(UTC),
            )
            db.session.commit()

    return mark


def _deliver(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return outgoing.deliver_due()


def _events(app: Flask) -> list[ExchangeEvent]:
    with app.app_context():
        found = db.session.scalars(select(ExchangeEvent).order_by(ExchangeEvent.id)).all()
        db.session.expunge_all()
        return list(found)


# --- saving: the address is checked -------------------------------------------------------------

INSIDE = [
    "http://127.0.0.1/events",
    "http://127.0.0.1:5432/",  # PostgreSQL
    "http://localhost:6379/",  # Redis
    "http://[::1]/events",
    "http://2130706433/events",  # 127.0.0.1 as one number
    "http://0x7f.1/events",
    "http://127.1/events",
    "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "http://10.0.0.8/events",
    "http://192.168.1.20/events",
    "http://100.64.0.1/events",  # shared address space
    "http://224.0.0.1/events",
    "http://0.0.0.0/events",
    "http://[::ffff:127.0.0.1]/events",
    "http://[fe80::1]/events",
    "http://[fc00::1]/events",
    "https://intranet.example/events",  # resolves to 10.1.2.3 below
    "https://twofaced.example/events",  # a public and a loopback address
]


def test_support_cannot_point_a_connection_inside(app, make, monkeypatch, auth):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        resolving({"intranet.example": "10.1.2.3", "twofaced.example": f"{PUBLIC},127.0.0.1"}),
    )
    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    gent = _branch(app, "Gent")
    for url in INSIDE:
        page = client.post("/admin/exchange/new", data=_form(gent, url=url))
        assert page.status_code == 200, url
        text = page.get_data(as_text=True)
        assert "which the exchange may not reach" in text, url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExchangeConnection)) == 0


def test_the_refusal_names_what_the_address_leads_to_in_dutch(app, make, auth):
    client = auth.as_role(Role.ADMIN, branch="Gent")
    page = client.post(
        "/admin/exchange/new", data=_form(_branch(app, "Gent"), url="http://169.254.169.254/")
    )
    text = page.get_data(as_text=True)
    assert "een link-local adres" in text and "mag de uitwisseling niet naartoe" in text


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "http://[::1]:99999/",
        "http://exa mple.org/",
        "http://:80/",
        "javascript:alert(1)",
    ],
)
def test_an_address_that_does_not_parse_is_a_form_error_not_a_500(app, make, url, auth):
    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    page = client.post("/admin/exchange/new", data=_form(_branch(app, "Gent"), url=url))
    assert page.status_code == 200
    assert "address, starting with https://." in page.get_data(as_text=True)


def test_an_existing_connection_cannot_be_changed_to_point_inside(app, make, monkeypatch, auth):
    monkeypatch.setattr(socket, "getaddrinfo", resolving({"informat.example": PUBLIC}))
    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    gent = _branch(app, "Gent")
    assert client.post("/admin/exchange/new", data=_form(gent)).status_code == 200
    with app.app_context():
        cid = db.session.scalars(select(ExchangeConnection.id)).one()
    page = client.post(f"/admin/exchange/{cid}", data=_form(gent, url="http://127.0.0.1:6379/"))
    assert "which the exchange may not reach" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ExchangeConnection, cid).url == "https://informat.example/aanwezig"


def test_an_allowed_host_may_be_reached_and_only_that_one(app, make, auth):
    app.config["EXCHANGE_ALLOW_HOSTS"] = "127.0.0.1, 10.20.0.0/16, informat.lan"
    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    gent = _branch(app, "Gent")
    for url in ("http://127.0.0.1:8123/events", "http://10.20.3.4/events"):
        page = client.post("/admin/exchange/new", data=_form(gent, url=url))
        assert "whsec_" in page.get_data(as_text=True), url  # created: its secret shown once
    refused = client.post("/admin/exchange/new", data=_form(gent, url="http://10.21.0.1/"))
    assert "which the exchange may not reach" in refused.get_data(as_text=True)
    assert "which the exchange may not reach" in client.post(
        "/admin/exchange/new", data=_form(gent, url="http://[::1]/")
    ).get_data(as_text=True)


# --- delivering: checked again, on the address actually connected to ---------------------------


def test_a_stored_inside_address_is_refused_at_delivery_and_nothing_reaches_it(
    app, marked, recorders
):
    peer = Recorder().start()
    recorders.append(peer)
    app.config["EXCHANGE_ALLOW_HOSTS"] = "127.0.0.1"
    _connection(app, peer.url())
    app.config["EXCHANGE_ALLOW_HOSTS"] = ()  # stored before the rule, or the setting removed
    marked()
    assert _deliver(app) == (0, 1)
    assert peer.received == []
    [event] = _events(app)
    assert event.failed_at is not None and event.delivered_at is None
    assert "intern adres (deze machine zelf)" in event.last_error


def test_a_name_that_resolves_inside_at_delivery_is_refused_dns_rebinding(
    app, marked, recorders, monkeypatch
):
    peer = Recorder().start()
    recorders.append(peer)
    # Saved while the name resolved to a public address ...
    monkeypatch.setattr(socket, "getaddrinfo", resolving({"peer.example": PUBLIC}))
    _connection(app, peer.url("peer.example"))
    marked()
    # ... delivered when it resolves to this machine, where the peer listens.
    monkeypatch.setattr(socket, "getaddrinfo", resolving({"peer.example": "127.0.0.1"}))
    assert _deliver(app) == (0, 1)
    assert peer.received == []
    [event] = _events(app)
    assert event.failed_at is not None and "intern adres" in event.last_error
    # A name answering with a public and an internal address is refused as a whole.
    monkeypatch.setattr(
        socket, "getaddrinfo", resolving({"peer.example": f"{PUBLIC},127.0.0.1,::1"})
    )
    with app.app_context():
        from app.exchange import transport

        with pytest.raises(transport.AddressRefused):
            transport.post(transport.allowance_from({}), peer.url("peer.example"), b"{}", {}, 5)


def test_the_same_name_allowed_explicitly_is_delivered_with_its_own_host_header(
    app, marked, recorders, monkeypatch
):
    """The check stands between the name and the connection, and the stand-in resolver really
    leads to the peer: allowed, the event arrives, with the URL's host name in its Host."""
    peer = Recorder().start()
    recorders.append(peer)
    app.config["EXCHANGE_ALLOW_HOSTS"] = "127.0.0.0/8"
    monkeypatch.setattr(socket, "getaddrinfo", resolving({"peer.example": "127.0.0.1"}))
    _connection(app, peer.url("peer.example"))
    marked()
    assert _deliver(app) == (1, 0)
    [received] = peer.received
    assert received["host"] == f"peer.example:{peer.port}"
    assert json.loads(received["body"])["data"]["remark"] == "ziek"


def test_a_redirect_is_not_followed_and_the_signed_body_goes_nowhere_else(app, marked, recorders):
    app.config["EXCHANGE_ALLOW_HOSTS"] = "127.0.0.1"
    target = Recorder().start()
    redirecting = Recorder(status=307, headers={"Location": target.url()}, body=b"").start()
    recorders.extend([target, redirecting])
    _connection(app, redirecting.url())
    marked()
    assert _deliver(app) == (0, 1)
    assert len(redirecting.received) == 1 and target.received == []
    [event] = _events(app)
    assert event.failed_at is not None
    assert (
        "307" in event.last_error and "doorverwijzing, die niet gevolgd wordt" in event.last_error
    )


@pytest.mark.parametrize(
    ("status", "final", "reason"),
    [
        (404, True, "dat adres bestaat niet bij het andere pakket"),
        (401, True, "controleer het gedeelde geheim"),
        (500, False, "een fout bij het andere pakket"),
        (429, False, "minder vaak te sturen"),
    ],
)
def test_the_page_shows_the_peers_status_and_our_reason_never_its_body(
    app, make, marked, recorders, status, final, reason, auth
):
    app.config["EXCHANGE_ALLOW_HOSTS"] = "127.0.0.1"
    secret_page = b"<html>db password: hunter2 at 10.0.0.8</html>"
    peer = Recorder(status=status, body=secret_page).start()
    recorders.append(peer)
    cid = _connection(app, peer.url())
    marked()
    assert _deliver(app) == (0, 1)
    [event] = _events(app)
    assert (event.failed_at is not None) is final
    assert str(status) in event.last_error and reason in event.last_error
    assert "hunter2" not in event.last_error
    page = auth.as_role(Role.ADMIN, branch=None).get(f"/admin/exchange/{cid}")
    text = page.get_data(as_text=True)
    assert reason in text and "hunter2" not in text


def test_the_connection_page_shows_the_public_address_to_post_to(app, make, monkeypatch, auth):
    monkeypatch.setattr(socket, "getaddrinfo", resolving({"informat.example": PUBLIC}))
    app.config["PUBLIC_URL"] = "https://aanwezig.example.org"
    client = auth.as_role(Role.ADMIN, branch="Gent", english=True)
    client.post("/admin/exchange/new", data=_form(_branch(app, "Gent")))
    with app.app_context():
        cid = db.session.scalars(select(ExchangeConnection.id)).one()
    text = client.get(f"/admin/exchange/{cid}").get_data(as_text=True)
    assert f"https://aanwezig.example.org/api/v1/exchange/{cid}/events" in text


# --- the endpoint -------------------------------------------------------------------------------


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{PORT}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def incoming(app: Flask, make: Builders, today: date) -> dict:
    """A switched-on connection whose package sends us An's codes, and her session today."""
    session_id = make.session(today, time(0, 0), time(11, 59))
    pid = make.participant(email="an@example.org")
    make.enrol(session_id, pid)
    peer = Peer(secret=ops.new_secret())
    app.config["EXCHANGE_ALLOW_HOSTS"] = "127.0.0.1"
    cid = _connection(app, peer.url, secret=peer.secret)
    return {"peer": peer, "connection": cid, "session": session_id, "today": today}


def _url(live: str, connection_id: int) -> str:
    return f"{live}/api/v1/exchange/{connection_id}/events"


def test_an_unknown_connection_is_answered_as_a_wrong_signature(app, live, incoming):
    peer: Peer = incoming["peer"]
    event = peer.register("an@example.org", incoming["today"].isoformat(), "am", "B")
    wrong_secret = peer.send(_url(live, incoming["connection"]), event, secret=ops.new_secret())
    for connection_id in (incoming["connection"] + 1, 999, 2147483647):
        unknown = peer.send(_url(live, connection_id), event)
        assert unknown.status_code == wrong_secret.status_code == 401
        assert unknown.json() == wrong_secret.json()
        assert unknown.headers["content-type"] == wrong_secret.headers["content-type"]
    assert peer.send(_url(live, incoming["connection"]), event).status_code == 200


def test_a_body_over_the_limit_gets_413_signed_or_not(app, live, incoming):
    import requests

    peer: Peer = incoming["peer"]
    event = peer.register("an@example.org", incoming["today"].isoformat(), "am", "B", "x" * 70_000)
    url = _url(live, incoming["connection"])
    answer = peer.send(url, event)  # correctly signed, and too large
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"
    unsigned = requests.post(url, data=b"{" + b" " * 70_000 + b"}", timeout=10)
    assert unsigned.status_code == 413
    unknown = peer.send(_url(live, 999), event)
    assert unknown.status_code == 413  # the same for every id: nothing to count
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    responses = spec["paths"]["/exchange/{connection_id}/events"]["post"]["responses"]
    assert "413" in responses and "64 KiB" in responses["413"]["description"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RollCallMark)) == 0


def test_five_copies_of_one_event_sent_at_once_are_answered_never_409(app, live, incoming):
    peer: Peer = incoming["peer"]
    event = peer.register("an@example.org", incoming["today"].isoformat(), "am", "Z", "ziek")
    url = _url(live, incoming["connection"])
    body = json.dumps(event)
    copies = 5
    barrier = threading.Barrier(copies)
    answers: list[Any] = [None] * copies

    def send(index: int) -> None:
        barrier.wait(timeout=30)
        answers[index] = peer.send(url, event, body=body)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * copies, [a.text for a in answers]
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes == ["applied"] + ["duplicate"] * (copies - 1)
    with app.app_context():
        incoming_rows = db.session.scalar(
            select(func.count()).select_from(ExchangeEvent).where(ExchangeEvent.direction == "in")
        )
        marks = db.session.scalars(select(RollCallMark)).all()
        assert incoming_rows == 1
        assert [(m.code, m.remark) for m in marks] == [("Z", "ziek")]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_nan_or_infinity_anywhere_in_a_signed_event_is_a_clear_400(app, live, incoming, constant):
    peer: Peer = incoming["peer"]
    event = peer.register("an@example.org", incoming["today"].isoformat(), "am", "B")
    body = json.dumps(event)
    # In a field the schema does not read, as a package may send it: the event is kept as
    # received, so it would reach the database.
    body = body[:-1] + f', "weight": {constant}}}'
    answer = peer.send(_url(live, incoming["connection"]), event, body=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_json"
    assert "NaN, Infinity" in answer.json()["message"]
    nested = json.dumps({**event, "data": {**event["data"], "session": {"id": "1"}}})
    nested = nested.replace('"id": "1"', f'"id": "1", "extra": [{constant}]')
    assert peer.send(_url(live, incoming["connection"]), event, body=nested).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RollCallMark)) == 0
    # The same event without it is applied.
    assert peer.send(_url(live, incoming["connection"]), event).json()["outcome"] == "applied"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_or_infinity_in_any_api_body_is_a_clear_400(app, make, constant):
    api = make.api(Role.PROMOTOR, "Gent")
    for body in (
        f'{{"name": "Excel", "number": "ESF-9", "weight": {constant}}}',
        f'{{"name": {constant}, "number": "ESF-9"}}',
    ):
        answer = api.client.post(
            "/api/v1/projects",
            data=body,
            headers={**api._headers(), "Content-Type": "application/json"},
        )
        assert answer.status_code == 400, body
        assert answer.get_json()["error"] == "invalid_json"
        assert "NaN" in answer.get_json()["message"]
    dutch = api.client.post(
        "/api/v1/projects",
        data=f'{{"name": {constant}}}',
        headers={**api._headers(), "Content-Type": "application/json", "Accept-Language": "nl"},
    )
    assert "dat kent JSON niet" in dutch.get_json()["message"]


def test_a_signed_event_at_the_edge_of_the_allowed_clock_is_still_accepted(app, live, incoming):
    """The checks above changed the order in which the endpoint reads and verifies; a correct
    event signed four minutes ago still passes."""
    peer: Peer = incoming["peer"]
    event = peer.register("an@example.org", incoming["today"].isoformat(), "am", "B")
    signed_at = datetime.now(UTC) - timedelta(minutes=4)
    answer = peer.send(_url(live, incoming["connection"]), event, signed_at=signed_at)
    assert answer.status_code == 200 and answer.json()["outcome"] == "applied"
    too_old = peer.register("an@example.org", incoming["today"].isoformat(), "pm", "B")
    late = datetime.now(UTC) - timedelta(minutes=6)
    assert peer.send(_url(live, incoming["connection"]), too_old, signed_at=late).status_code == 401
