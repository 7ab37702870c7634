"""Pairing in one scan, end to end: the tokens page's QR code, read by the scanner from an image
file, a video and a hand scanner; the pairing token works once; the scanner's own token then
scans. And the address check that keeps a typo from being saved."""

from __future__ import annotations

import base64
import http.server
import json
import re
import socket
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp

from scanner.address import AddressProblem, check_server
from tests.helpers.scanner import (
    LiveServer,
    csrf,
    free_port,
    revoke_on_the_tokens_page,
    run_scanner,
    states,
)
from tests.scanner.frames import on_background


def pairing_image(server: LiveServer, path: Path, name: str = "Laptop zaal 2") -> Path:
    """The trainer asks for a pairing code on the tokens page; the QR image is saved as shown."""
    web = server.web()
    page = web.get(server.url + "/tokens", timeout=10).text
    shown = web.post(
        server.url + "/tokens/pair", data={"csrf_token": csrf(page), "name": name}, timeout=10
    )
    shown.raise_for_status()
    found = re.search(r'src="data:image/png;base64,([^"]+)"[^>]*id="pairing-code"', shown.text)
    assert found, shown.text
    path.write_bytes(base64.b64decode(found.group(1)))
    return path


def saved(data: Path) -> dict:
    return json.loads((data / "scanner.json").read_text())


def test_pairing_from_the_pages_qr_code_works_once_and_the_scanner_then_scans(
    live_server, tmp_path
):
    image = pairing_image(live_server, tmp_path / "pair.png")
    data, session = tmp_path / "data", str(live_server.session_id)
    first = run_scanner(
        None,
        data,
        "--pair-image",
        str(image),
        "--session",
        session,
        "--keyboard",
        stdin=live_server.codes["An Peeters"] + "\n",
    )
    assert first.returncode == 0, first.stderr
    assert "Gekoppeld als Laptop zaal 2" in first.stderr
    settings = saved(data)
    assert settings["server"] == live_server.url and settings["device_name"] == "Laptop zaal 2"
    assert settings["token"].startswith("azt_")
    assert (data / "scanner.json").stat().st_mode & 0o777 == 0o600

    again = run_scanner(None, tmp_path / "other", "--pair-image", str(image), "--keyboard")
    assert again.returncode == 2 and "al gebruikt" in again.stderr, again.stderr
    assert "Traceback" not in again.stderr

    # The saved pairing scans on the next start, with nothing given.
    later = run_scanner(
        None, data, "--session", session, "--keyboard", stdin=live_server.codes["Ben Claes"] + "\n"
    )
    assert later.returncode == 0, later.stderr
    assert sorted(r["participant_id"] for r in live_server.registrations()) == sorted(
        live_server.participants.values()
    )
    page = live_server.web().get(live_server.url + "/tokens", timeout=10).text
    scanners = page.split('id="scanners"')[1].split("</table>")[0]
    assert "Laptop zaal 2" in scanners and settings["token"] not in page


def test_pairing_with_the_camera_reads_the_code_from_the_picture(live_server, tmp_path):
    """--pair on a video of the screen, as the camera would see it; then the same video scans."""
    code = cv2.imread(str(pairing_image(live_server, tmp_path / "pair.png")))
    video = tmp_path / "screen.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    blank = on_background(np.full((10, 10, 3), 128, np.uint8), scale=0.01)
    for frame in [blank] * 5 + [on_background(code, scale=0.8)] * 10 + [blank] * 5:
        writer.write(frame)
    writer.release()
    data = tmp_path / "data"
    done = run_scanner(
        None, data, "--pair", "--video", str(video), "--session", str(live_server.session_id)
    )
    assert done.returncode == 0, done.stderr
    assert saved(data)["device_name"] == "Laptop zaal 2"


def test_a_revoked_scanner_paired_again_on_the_spot_sends_what_waited(live_server, tmp_path):
    """The token is revoked during the session: the hand scanner reads a new pairing code and
    the scans made meanwhile go out with the new token, in the same run."""
    data, session = tmp_path / "data", str(live_server.session_id)
    first = run_scanner(
        None, data, "--pair-image", str(pairing_image(live_server, tmp_path / "a.png")),
        "--session", session, "--keyboard",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    revoke_on_the_tokens_page(live_server)
    image = cv2.imread(str(pairing_image(live_server, tmp_path / "b.png", "Laptop B")), 0)
    pairing_text = zxingcpp.read_barcodes(image)[0].text  # what a hand scanner types
    done = run_scanner(
        None,
        data,
        "--session",
        session,
        "--keyboard",
        stdin=f"{live_server.codes['An Peeters']}\n{pairing_text}\n",
    )
    assert done.returncode == 0, done.stderr
    assert "werkt niet meer" in done.stderr and "Gekoppeld als Laptop B" in done.stderr
    assert [state for state, _ in states(data)] == ["sent"]
    assert len(live_server.registrations()) == 1


def test_no_pairing_and_no_camera_says_how_to_pair(tmp_path):
    done = run_scanner(None, tmp_path / "data", "--camera", "42")
    assert done.returncode == 2 and "--pair-image" in done.stderr and "Traceback" not in done.stderr


# The address check.


class NotAanwezig(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()
        self.wfile.write(b"<h1>Not found</h1>")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_server():  # type: ignore[no-untyped-def]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotAanwezig)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_address_gets_its_scheme_and_loses_a_pasted_page(live_server):
    host = f"127.0.0.1:{live_server.port}"
    assert check_server(host) == (live_server.url, [])
    assert check_server(f"  {live_server.url}/tokens/ ")[0] == live_server.url
    assert (
        check_server(f"localhost:{live_server.port}")[0] == f"http://localhost:{live_server.port}"
    )


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "Geef het adres"),
        ("aanwezig example.org", "spatie"),
        ("ftp://aanwezig.example.org", "https://"),
        ("https://user:pw@aanwezig.example.org", "wachtwoord"),
        ("https://aanwezig.example.org:99999", "poortnummer"),
        ("http://", "servernaam"),
    ],
)
def test_a_malformed_address_is_refused_before_anything_is_tried(typed, said):
    with pytest.raises(AddressProblem, match=said):
        check_server(typed)


def test_an_address_where_nothing_answers_or_no_aanwezig_answers_is_explained(other_server):
    closed = free_port()
    with pytest.raises(AddressProblem, match="antwoordt niets"):
        check_server(f"127.0.0.1:{closed}")
    with pytest.raises(AddressProblem, match="geen Aanwezig-server"):
        check_server(other_server)


def test_an_unknown_server_name_is_named(monkeypatch):
    def unknown(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)  # no DNS traffic from the tests
    with pytest.raises(AddressProblem, match=r"aanwezig\.exmaple\.org bestaat niet"):
        check_server("aanwezig.exmaple.org")


def test_the_command_line_saves_only_a_checked_address_and_reset_forgets_it(
    live_server, tmp_path, other_server
):
    data = tmp_path / "data"
    wrong = run_scanner(
        None, data, "--server", other_server, "--token", live_server.trainer_token, "--keyboard"
    )
    assert wrong.returncode == 2 and "geen Aanwezig-server" in wrong.stderr
    assert not (data / "scanner.json").exists()
    host = f"127.0.0.1:{live_server.port}"
    done = run_scanner(
        None, data, "--server", host, "--token", live_server.trainer_token,
        "--session", str(live_server.session_id), "--keyboard",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert saved(data)["server"] == live_server.url
    reset = run_scanner(None, data, "--reset", "--keyboard")
    assert reset.returncode == 2 and "vergeten" in reset.stderr
    assert saved(data)["token"] is None and saved(data)["server"] is None


def test_two_scanners_sending_the_same_pairing_code_at_once_get_one_token(live_server, tmp_path):
    """The pairing token is claimed by a conditional update: of simultaneous exchanges, one
    wins; the others are refused (used, or the database's busy answer) and get no token."""
    import concurrent.futures

    import requests

    image = cv2.imread(str(pairing_image(live_server, tmp_path / "pair.png")), 0)
    token = json.loads(zxingcpp.read_barcodes(image)[0].text)["token"]
    barrier = threading.Barrier(4)

    def exchange(_: int) -> tuple[int, dict]:
        barrier.wait()
        answer = requests.post(
            live_server.url + "/api/v1/devices/pair",
            json={"token": token, "device_name": "race"},
            timeout=30,
        )
        return answer.status_code, answer.json()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(exchange, range(4)))
    assert sorted(status for status, _ in answers)[0] == 201
    assert [status for status, _ in answers].count(201) == 1, answers
    assert all(
        body.get("error") in ("pairing_used", "unavailable") for s, body in answers if s != 201
    )
    page = live_server.web().get(live_server.url + "/tokens", timeout=10).text
    assert page.split('id="scanners"')[1].split("</table>")[0].count("Laptop zaal 2") == 1
