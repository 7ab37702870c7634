"""Issue 8, findings 9 and 10, on the scanner's side: no journalled scan is thrown away because
the server refused the scanner's token, and bad input (a stray byte, a huge image) is reported
and skipped without losing what comes after it."""

from __future__ import annotations

import json
import resource
import sqlite3
import struct
import subprocess
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path

import cv2

from tests.helpers.scanner import (
    PYTHON,
    ROOT,
    revoke_on_the_tokens_page,
    run_scanner,
    states,
)
from tests.scanner.frames import code_image, on_background


def test_scans_refused_for_a_revoked_token_wait_and_go_out_with_a_new_token(live_server, tmp_path):
    data, session = tmp_path / "data", str(live_server.session_id)
    assert run_scanner(live_server, data, "--session", session, "--keyboard").returncode == 0
    live_server.stop()
    codes = "\n".join(live_server.codes.values()) + "\n"
    offline = run_scanner(
        live_server, data, "--session", session, "--keyboard", "--flush-timeout", "1", stdin=codes
    )
    assert offline.returncode == 3, offline.stderr
    live_server.start()
    revoke_on_the_tokens_page(live_server)

    refused = run_scanner(live_server, data, "--session", session, "--keyboard")
    assert refused.returncode == 3, refused.stderr  # scans wait: not a clean exit
    assert "werkt niet meer" in refused.stderr and "--pair" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert [state for state, _ in states(data)] == ["pending", "pending"]
    assert states(data)[0][1].startswith("401")  # tried, refused, kept
    assert live_server.registrations() == []

    # The door stays open meanwhile: a scan made now is checked offline and waits as well.
    more = run_scanner(
        live_server,
        data,
        "--session",
        session,
        "--keyboard",
        "--flush-timeout",
        "1",
        stdin=live_server.codes["An Peeters"] + "\n",
    )
    assert more.returncode == 3 and "token geweigerd" in more.stderr, more.stderr

    fresh = live_server.new_token()
    delivered = run_scanner(live_server, data, "--session", session, "--keyboard", token=fresh)
    assert delivered.returncode == 0, delivered.stderr
    assert [state for state, _ in states(data)] == ["sent", "sent", "sent"]
    assert len(live_server.registrations()) == 3


def test_scans_refused_for_an_account_that_may_not_scan_wait_for_one_that_may(
    live_server, tmp_path
):
    data, session = tmp_path / "data", str(live_server.session_id)
    assert run_scanner(live_server, data, "--session", session, "--keyboard").returncode == 0
    live_server.flask(
        "create-user", "balie@example.org", "--role", "frontdesk", "--branch", "Gent",
        "--password", "long enough pw", "--keep-password",
    )  # fmt: skip
    desk = live_server.new_token("balie@example.org")
    refused = run_scanner(
        live_server,
        data,
        "--session",
        session,
        "--keyboard",
        "--flush-timeout",
        "2",
        token=desk,
        stdin=live_server.codes["Ben Claes"] + "\n",
    )
    assert refused.returncode == 3, refused.stderr
    assert "weigert scans van dit account" in refused.stderr
    assert [state for state, _ in states(data)] == ["pending"]
    delivered = run_scanner(live_server, data, "--session", session, "--keyboard")
    assert delivered.returncode == 0, delivered.stderr
    assert [r["participant_id"] for r in live_server.registrations()] == [
        live_server.participants["Ben Claes"]
    ]


def test_a_malformed_scan_is_refused_for_good_and_the_next_one_still_goes_out(
    live_server, tmp_path
):
    """400/422 answers are about the scan: final, never retried; the queue moves on."""
    data, session = tmp_path / "data", str(live_server.session_id)
    assert run_scanner(live_server, data, "--session", session, "--keyboard").returncode == 0
    now = datetime.now(UTC).isoformat()
    with sqlite3.connect(data / "journal.sqlite3") as db:
        for session_id, code in (
            (2**40, live_server.codes["An Peeters"]),  # past the server's ids: 400/422
            (live_server.session_id, "x" * 1000),  # longer than a code may be
            (live_server.session_id, live_server.codes["Ben Claes"]),
        ):
            db.execute(
                "INSERT INTO scans (nonce, server, session_id, code, direction, scanned_at) "
                "VALUES (?, ?, ?, ?, 'auto', ?)",
                (uuid.uuid4().hex, live_server.url, session_id, code, now),
            )
    done = run_scanner(live_server, data, "--session", session, "--keyboard")
    assert done.returncode == 0, done.stderr
    assert [state for state, _ in states(data)] == ["refused", "refused", "sent"]
    assert [r["participant_id"] for r in live_server.registrations()] == [
        live_server.participants["Ben Claes"]
    ]


def test_a_stray_byte_from_the_hand_scanner_is_reported_and_the_next_code_is_read(
    live_server, tmp_path
):
    data, session = tmp_path / "data", str(live_server.session_id)
    stdin = (
        b"\xff\xfeAZ1.\xc3(\n"
        + live_server.codes["An Peeters"].encode()
        + b"\n"
        + b"y" * 10_000
        + b"\n"
        + live_server.codes["Ben Claes"].encode()
        + b"\n"
    )
    done = run_scanner(
        live_server,
        data,
        "--session",
        session,
        "--keyboard",
        stdin=stdin,
        env={"PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"},
    )
    assert done.returncode == 0, done.stderr
    assert "regel 1 is geen geldige tekst" in done.stderr
    assert "regel 3 is te lang" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(r["participant_id"] for r in live_server.registrations()) == sorted(
        live_server.participants.values()
    )


def huge_png(path: Path, side: int = 40_000) -> Path:
    """A valid 1-bit greyscale PNG of side x side pixels: 4 MB on disk, 4.8 GB decoded in BGR."""
    row = b"\x00" + b"\xff" * (side // 8)  # filter byte, then white pixels
    deflate = zlib.compressobj(9)
    body = b"".join(deflate.compress(row) for _ in range(side)) + deflate.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return path


def _limit_memory() -> None:
    # 3 GB of address space: decoding the huge image (4.8 GB) would fail, reading it must not.
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))


def test_decode_refuses_a_huge_image_before_decoding_it_and_reads_the_next_file(tmp_path):
    text = "AZ1.AAAAKgABhugeimagehugeimagehugeimage"
    huge = huge_png(tmp_path / "huge.png")
    good = tmp_path / "good.png"
    cv2.imwrite(str(good), on_background(code_image(text)))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    done = subprocess.run(
        [PYTHON, "-m", "scanner", "decode", str(huge), str(broken), str(tmp_path / "gone.png"),
         str(good)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, preexec_fn=_limit_memory,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line.get("error") for line in lines] == ["too_large", "unreadable", "not_found", None]
    assert "40000 x 40000" in lines[0]["message"] and "te groot" in lines[0]["message"]
    assert lines[3]["codes"] == [text]
    assert done.returncode == 1  # some files were refused
