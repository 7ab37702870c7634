"""A reference peer for the exchange tests: a small administration package of its own.

A WSGI app on its own port (werkzeug, in a thread) with its own store and its own clock. It
verifies our Standard Webhooks signature with the library, applies each event id once and keeps,
per participant and half day, the code registered last (the same rule as ours). It can register
a code itself and send it to us, signed. ``stop()`` and ``start()`` take it down and back up on
the same port (a peer that is down for a while).
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from standardwebhooks.webhooks import Webhook
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Held:
    code: str
    remark: str
    registered_at: datetime
    event_id: str


@dataclass
class Peer:
    secret: str
    port: int = field(default_factory=free_port)
    clock_offset: timedelta = timedelta(0)  # its own clock
    seen: set[str] = field(default_factory=set)
    received: list[dict[str, Any]] = field(default_factory=list)  # applied or not, in order
    moments: dict[tuple[str, str, str], Held] = field(default_factory=dict)
    refused: int = 0
    _server: Any = None
    _thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- its clock and its own registrations ------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def register(
        self,
        participant: str,
        day: str,
        part: str,
        code: str,
        remark: str = "",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A code entered at the peer: held here, and the event to send to us."""
        at = at or self.now()
        event_id = f"peer_{uuid.uuid4().hex}"
        with self.lock:
            self.moments[(participant, day, part)] = Held(code, remark, at, event_id)
        return {
            "type": "attendance.code",
            "timestamp": at.isoformat(),
            "data": {
                "event_id": event_id,
                "participant": {"scheme": "email", "value": participant},
                "date": day,
                "part": part,
                "code": code,
                "remark": remark,
                "registered_at": at.isoformat(),
            },
        }

    def send(
        self,
        url: str,
        event: dict[str, Any],
        secret: str | None = None,
        signed_at: datetime | None = None,
        body: str | None = None,
    ) -> requests.Response:
        body = body if body is not None else json.dumps(event)
        msg_id = event["data"]["event_id"]
        at = signed_at or datetime.now(UTC)
        signature = Webhook(secret or self.secret).sign(msg_id=msg_id, timestamp=at, data=body)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
            "content-type": "application/json",
        }
        return requests.post(url, data=body.encode(), headers=headers, timeout=10)

    # --- receiving ----------------------------------------------------------------------------
    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        body = request.get_data()
        try:
            payload = Webhook(self.secret).verify(body, dict(request.headers))
        except Exception:
            with self.lock:
                self.refused += 1
            return Response("bad signature", status=401)(environ, start_response)
        data = payload["data"]
        with self.lock:
            if data["event_id"] in self.seen:
                answer = {"outcome": "duplicate"}
            else:
                self.seen.add(data["event_id"])
                self.received.append(data)
                key = (data["participant"]["value"], data["date"], data["part"])
                at = datetime.fromisoformat(data["registered_at"].replace("Z", "+00:00"))
                held = self.moments.get(key)
                if held is None or (at, data["event_id"]) > (held.registered_at, held.event_id):
                    self.moments[key] = Held(data["code"], data["remark"], at, data["event_id"])
                    answer = {"outcome": "applied"}
                else:
                    answer = {"outcome": "older"}
        return Response(json.dumps(answer), content_type="application/json")(
            environ, start_response
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._server = None
