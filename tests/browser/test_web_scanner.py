"""The scanner in the browser (/scan/), in Chromium with a video file as its camera.

Chromium's fake capture device plays a .y4m file in a loop as the camera: the videos are built
here from freshly signed participant codes (and a pairing code), so the page's real decoder (the
vendored zxing-cpp WebAssembly, in its worker) reads them as it would a webcam's picture.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.serving import make_server

from app.audit import Actor
from app.extensions import db
from app.models import ApiToken, Participant, Registration, Role, ScanReceipt
from qr.images import code_png
from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, log_in

WIDTH, HEIGHT, FPS = 640, 480, 10


def y4m(path: Path, frames: list[np.ndarray]) -> Path:
    """A raw 4:2:0 video Chromium's fake camera plays: greyscale frames, neutral chroma."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        chroma = np.full((HEIGHT // 2, WIDTH // 2), 128, np.uint8).tobytes()
        for frame in frames:
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return path


def code_frame(text: str | None) -> np.ndarray:
    """A light grey picture with the code in the middle (or nothing)."""
    canvas = Image.new("L", (WIDTH, HEIGHT), 200)
    if text is not None:
        import io

        code = Image.open(io.BytesIO(code_png(text, box_size=6))).convert("L")
        side = min(code.width, 400)
        code = code.resize((side, side), Image.NEAREST)
        canvas.paste(code, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    return np.asarray(canvas, dtype=np.uint8)


def video(path: Path, texts: list[str | None], seconds: float = 1.5) -> Path:
    """Each text shown for ``seconds``, an empty picture for a second after it."""
    frames: list[np.ndarray] = []
    blank = code_frame(None)
    for text in texts:
        frames += [code_frame(text)] * int(seconds * FPS)
        frames += [blank] * FPS
    return y4m(path, frames)


@pytest.fixture
def server(app) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    """A live server the test can stop (to show the service worker serving the page)."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state = {"url": f"http://127.0.0.1:{httpd.server_port}", "running": True}

    def stop() -> None:
        if state["running"]:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)
            state["running"] = False

    state["stop"] = stop
    yield state
    stop()


@pytest.fixture
def camera(browser, tmp_path) -> Iterator[Callable]:  # type: ignore[no-untyped-def]
    """Chromium with ``video`` as its camera; a new browser (and page) per call, launched by the
    session's Playwright (tests/browser/conftest.py: one Playwright per process)."""
    browsers = []
    requested: list[str] = []

    def open_page(texts: list[str | None], width: int = 1366, height: int = 900):  # type: ignore[no-untyped-def]
        path = video(tmp_path / f"camera-{len(browsers)}.y4m", texts)
        camera_browser = browser.browser_type.launch(
            executable_path=str(CHROMIUM),
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={path}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        browsers.append(camera_browser)
        context = camera_browser.new_context(
            locale="nl-BE",
            timezone_id="Europe/Brussels",
            viewport={"width": width, "height": height},
            permissions=["camera"],
        )
        page = context.new_page()
        # The page's own errors, shown with a failing test's output.
        page.on("console", lambda m: print("console:", m.type, m.text))
        page.on("pageerror", lambda e: print("pageerror:", e))
        context.on("request", lambda r: requested.append(r.url))
        page.set_default_timeout(20_000)
        return page

    yield open_page
    for camera_browser in browsers:
        camera_browser.close()
    # The page loads nothing from another host (the decoder's CDN default included).
    foreign = [u for u in requested if not u.startswith(("http://127.0.0.1:", "data:", "blob:"))]
    assert foreign == []
    assert not browsers or any(u.endswith(".wasm") for u in requested), requested


def codes(app, *participant_ids: int) -> list[str]:  # type: ignore[no-untyped-def]
    from app.mail.messages import participant_code

    with app.app_context():
        return [participant_code(db.session.get(Participant, p)) for p in participant_ids]


def registrations(app, session_id: int) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.scalars(
            select(Registration)
            .where(Registration.session_id == session_id)
            .order_by(Registration.at, Registration.id)
        ).all()
        return [(r.participant_id, r.kind.value) for r in rows]


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> None:
    import time as clock

    deadline = clock.monotonic() + timeout
    while not condition():
        if clock.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        clock.sleep(0.2)


def confirm_pairing(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#pair-confirm", state="visible")
    page.fill("#device-name", "Telefoon deur A")
    page.click("#pair-confirm")
    page.wait_for_selector("body[data-ready=true][data-roster=ready]")


def test_the_signed_in_trainer_pairs_the_page_and_scans_in_and_out_with_the_camera(
    camera, server, app, make, today
):
    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    an, ben = make.participant(name="An Peeters"), make.participant(name="Ben Claes")
    for person in (an, ben):
        make.enrol(session_id, person)
    page = camera(codes(app, an, ben))
    log_in(page, server["url"], "tom@example.org")
    page.click("a:has-text('Scannen')")
    confirm_pairing(page)
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert token.device_name == "Telefoon deur A" and token.user_id == trainer
    wait_for(lambda: sorted(registrations(app, session_id)) == [(an, "in"), (ben, "in")])
    page.wait_for_selector("#result[data-kind=ok]")
    # The video loops: the codes come back within the repeat interval and are repeats.
    with app.app_context():
        wait_for(lambda: db.session.scalar(select(db.func.count(ScanReceipt.nonce))) >= 1)
    assert len(registrations(app, session_id)) == 2
    page.click("#dir-out")
    wait_for(
        lambda: (
            sorted(registrations(app, session_id))
            == [(an, "in"), (an, "out"), (ben, "in"), (ben, "out")]
        )
    )


def hand_scanner(page, text: str, keyboard: bool = False) -> None:  # type: ignore[no-untyped-def]
    """A USB hand scanner: a burst of keys, then Enter, into the page (not into a field).

    With ``keyboard``, typed through Chromium's input pipeline as a device would; otherwise the
    key events are sent in the page at once, as fast as a scanner types, so that a loaded test
    machine cannot stretch the burst past the 40 ms a key that tells it from a person."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    if keyboard:
        page.keyboard.type(text, delay=4)
        page.keyboard.press("Enter")
        return
    page.evaluate(
        """(text) => {
            for (const key of [...text, "Enter"]) {
                document.body.dispatchEvent(new KeyboardEvent("keydown", {key, bubbles: true}));
            }
        }""",
        text,
    )


def journal(page) -> list[dict]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("aanwezig-scan");
            open.onsuccess = () => {
                const all = open.result.transaction("journal").objectStore("journal").getAll();
                all.onsuccess = () => resolve(all.result);
                all.onerror = () => reject(all.error);
            };
        })"""
    )


def test_offline_scans_are_checked_locally_survive_a_reload_and_reach_the_server_once_in_order(
    camera, server, app, make, today
):
    from app.participants.operations.codes import reissue_code

    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    an, ben, cis = (make.participant(name=n) for n in ("An Peeters", "Ben Claes", "Cis Maes"))
    for person in (an, ben, cis):
        make.enrol(session_id, person)
    (old_cis,) = codes(app, cis)
    with app.app_context():
        reissue_code(Actor(None), db.session.get(Participant, cis), datetime.now(UTC))
        db.session.commit()
    code_an, code_ben = codes(app, an, ben)
    # The same participant and key version as An's code, signed by another key: forged.
    forged = code_an[:-6] + ("AAAAAA" if not code_an.endswith("AAAAAA") else "BBBBBB")

    page = camera([None])
    log_in(page, server["url"], "tom@example.org")
    page.goto(f"{server['url']}/sessions/{session_id}/scan")
    confirm_pairing(page)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)

    made = []
    for text, kind in ((code_an, "ok"), (forged, "refused"), (old_cis, "refused")):
        before = datetime.now(UTC)
        hand_scanner(page, text)
        page.wait_for_selector(f"body[data-waiting='{len(made) + 1}']")
        made.append((before, datetime.now(UTC)))
        # The count goes up when the scan is journaled, the banner after the (failing) send:
        # wait for the banner rather than read it at once.
        page.wait_for_selector(f"#result[data-kind='{kind}']")
        assert page.is_visible("#result-waiting")
    assert page.inner_text("#network") == "offline"
    assert page.inner_text("#waiting") == "3 wachtend"

    # Closed and opened again without network: the page (from its service worker) finds its
    # journal, its token and the session's roster, and still checks codes itself.
    page.reload()
    page.wait_for_selector("body[data-ready=true][data-waiting='3']")
    before = datetime.now(UTC)
    page.fill("#manual-code", code_ben)  # typed by hand
    page.press("#manual-code", "Enter")
    page.wait_for_selector("body[data-waiting='4']")
    made.append((before, datetime.now(UTC)))
    page.wait_for_function(
        "document.querySelector('#result').dataset.kind === 'ok'"
        " && document.querySelector('#result-name').innerText.includes('Ben Claes')"
    )
    assert registrations(app, session_id) == []

    back = datetime.now(UTC)
    page.context.set_offline(False)
    page.wait_for_selector("body[data-waiting='0']", timeout=30_000)
    entries = journal(page)
    assert [e["state"] for e in entries] == ["sent", "refused", "refused", "sent"]
    assert [e["answer"].get("error") for e in entries[1:3]] == ["invalid_code", "revoked_code"]
    with app.app_context():
        written = db.session.scalars(
            select(Registration)
            .where(Registration.session_id == session_id)
            .order_by(Registration.id)
        ).all()
        # Exactly once each, in the order made, with the time they were made (not when sent).
        assert [(r.participant_id, r.kind.value) for r in written] == [(an, "in"), (ben, "in")]
        assert [r.nonce for r in written] == [entries[0]["nonce"], entries[3]["nonce"]]
        for registration, (start, end) in zip(written, (made[0], made[3]), strict=True):
            at = (
                registration.at.replace(tzinfo=UTC)
                if registration.at.tzinfo is None
                else registration.at
            )
            assert start - timedelta(seconds=1) <= at <= end < back


def test_a_pairing_code_shown_to_the_camera_pairs_the_page_without_a_login(
    camera, server, app, make, today
):
    from app.devices.operations import issue_pairing
    from app.models import User
    from qr.pairing import pairing_text

    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    an = make.participant(name="An Peeters")
    make.enrol(session_id, an)
    with app.app_context():
        _, plain = issue_pairing(
            Actor(None), db.session.get(User, trainer), "Tablet balie", datetime.now(UTC)
        )
        db.session.commit()
    page = camera([pairing_text(server["url"], plain), *codes(app, an)])
    page.goto(f"{server['url']}/scan/")
    page.wait_for_selector("#pair-signed-out", state="visible")  # nobody signed in here
    page.wait_for_selector("body[data-ready=true][data-roster=ready]")
    wait_for(lambda: registrations(app, session_id) == [(an, "in")])
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert (token.device_name, token.user_id) == ("Tablet balie", trainer)


def test_a_revoked_token_keeps_the_scans_waiting_until_the_page_is_paired_again(
    camera, server, app, make, today
):
    from app.auth.operations import revoke_token

    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    an, ben = make.participant(name="An Peeters"), make.participant(name="Ben Claes")
    for person in (an, ben):
        make.enrol(session_id, person)
    code_an, code_ben = codes(app, an, ben)
    page = camera([None])
    log_in(page, server["url"], "tom@example.org")
    page.goto(f"{server['url']}/scan/")
    confirm_pairing(page)
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        revoke_token(Actor(None), token, datetime.now(UTC))
        db.session.commit()
    hand_scanner(page, code_an)
    page.wait_for_selector("body[data-token-refused=true][data-waiting='1']")
    assert page.is_visible("#repair-reason") and page.is_visible("#pair-confirm")
    # Checked by the page itself meanwhile, and kept.
    assert page.get_attribute("#result", "data-kind") == "ok"
    assert page.is_visible("#result-waiting")
    page.fill("#manual-code", code_ben)
    page.press("#manual-code", "Enter")
    page.wait_for_selector("body[data-waiting='2']")
    assert registrations(app, session_id) == []
    page.click("#pair-confirm")
    page.wait_for_selector("body[data-waiting='0']:not([data-token-refused])")
    assert registrations(app, session_id) == [(an, "in"), (ben, "in")]
    assert [e["state"] for e in journal(page)] == ["sent", "sent"]


def test_hand_scanner_banner_and_sounds_on_a_phone_and_a_laptop_screen(
    camera, server, app, make, today, tmp_path
):
    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    an = make.participant(name="Anneleen Van den Broeck-Vermeersch")
    make.enrol(session_id, an)
    (code_an,) = codes(app, an)
    forged = code_an[:-6] + ("AAAAAA" if not code_an.endswith("AAAAAA") else "BBBBBB")
    for width, height in ((390, 844), (1366, 768)):
        page = camera([None], width=width, height=height)
        log_in(page, server["url"], "tom@example.org")
        page.goto(f"{server['url']}/scan/")
        confirm_pairing(page)
        sounds = int(page.get_attribute("body", "data-sounds") or 0)
        hand_scanner(page, code_an, keyboard=True)
        page.wait_for_selector("#result[data-kind=ok], #result[data-kind=repeat]")
        banner = page.locator("#result")
        assert "Anneleen" in banner.inner_text()
        assert page.get_attribute("body", "data-sound") in ("ok", "repeat")
        box = banner.bounding_box()
        assert box is not None and box["width"] <= width and box["y"] + box["height"] <= height
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.evaluate("getComputedStyle(document.getElementById('result-name')).fontSize")
        shot = page.screenshot(path=str(tmp_path / f"scan-{width}.png"))
        assert len(shot) > 5000
        hand_scanner(page, forged)
        page.wait_for_selector("#result[data-kind=refused]")
        assert "geldige" in page.inner_text("#result")
        assert page.get_attribute("body", "data-sound") == "refused"
        assert int(page.get_attribute("body", "data-sounds")) >= sounds + 2
        page.click("#mute")
        assert page.get_attribute("#mute", "aria-pressed") == "true"
        # Keys typed as a person types them (here 60 ms apart) are not a hand scanner's burst.
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.type(code_an[:12], delay=60)
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)  # the page answers a burst at once; nothing may come
        assert len(journal(page)) == 2
        page.context.close()
    assert [kind for _, kind in registrations(app, session_id)] == ["in"]


def test_the_service_worker_serves_the_page_and_decoder_with_the_server_stopped(
    camera, server, app, make, today
):
    trainer = make.user(Role.TRAINER, "Gent", email="tom@example.org")
    make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    page = camera([None])
    log_in(page, server["url"], "tom@example.org")
    page.goto(f"{server['url']}/scan/")
    confirm_pairing(page)
    page.wait_for_selector("body[data-decoder=ready]")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    server["stop"]()
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    # The decoder (its worker, module and WebAssembly) came from the service worker's cache.
    page.wait_for_selector("body[data-decoder=ready]")
    assert page.inner_text("#network") == "offline"
    assert page.locator("#session option").count() == 1
