"""The server's API as the scanner uses it."""

from __future__ import annotations

from typing import Any

import requests

# The most the server gives in one page of a list.
ROSTER_PAGE = 1000


class Unreachable(Exception):
    """No answer from the server (network down, timeout, 5xx): try again later."""


class Refused(Exception):
    """The server answered with a refusal (4xx): of the request, or of the caller's token."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Client:
    def __init__(self, server: str, token: str, timeout: float = 5.0):
        self.server = server.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "nl"
        self.timeout = timeout
        self.use_token(token)

    def use_token(self, token: str) -> None:
        """Act with another token from now on (after pairing again)."""
        self.token = token
        self.http.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(
                method, self.server + "/api/v1" + path, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise Unreachable(str(exc)) from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise Unreachable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise Unreachable(
                f"HTTP {response.status_code}: geen JSON-antwoord (is dit een Aanwezig-server?)"
            ) from exc
        if response.status_code >= 400:
            details = body if isinstance(body, dict) else {}
            raise Refused(
                response.status_code,
                str(details.get("error", "error")),
                str(details.get("message", "")),
            )
        return body

    def public_key(self) -> str:
        return self._call("GET", "/qr/public-key")["public_key_pem"]

    def sessions(self, day: str) -> list[dict[str, Any]]:
        return self._call("GET", "/sessions", params={"date": day})["items"]

    def roster(self, session_id: int) -> dict[str, Any]:
        """The session and every participant on its roster: the server pages the roster, and
        the scanner checks codes offline against all of it, so it reads every page."""
        page, participants = 1, []
        while True:
            answer = self._call(
                "GET",
                f"/sessions/{session_id}/roster",
                params={"page": page, "per_page": ROSTER_PAGE},
            )
            participants += answer["participants"]
            total = answer.get("total", len(participants))  # a server that does not page
            if not answer["participants"] or len(participants) >= total:
                return {**answer, "participants": participants}
            page += 1

    def scan(
        self, session_id: int, code: str, nonce: str, scanned_at: str, direction: str
    ) -> dict[str, Any]:
        return self._call(
            "POST",
            "/scans",
            json={
                "session_id": session_id,
                "code": code,
                "nonce": nonce,
                "scanned_at": scanned_at,
                "direction": direction,
            },
        )
