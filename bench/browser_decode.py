"""The browser scanner's decoder, measured in Chromium on this machine.

1. Frames read and time per frame: the vendored zxing-cpp WebAssembly in the page's own decoder
   worker (/scan/decoder-worker.js: a downscaled frame first, the full frame when that finds
   nothing, then fallbacks within a 15 ms budget, carried on to the next frame), on the frames
   of bench/decode.py (the hard frames of tests/scanner/frames.py, 8 of each kind at 640x480 and
   1280x720, the empty frames, the real photos beside the repository): as the camera runs it
   (one worker, each frame shown up to 10 times, a third of a second at 30 fps) and on a still
   image (every fallback), against zxing-cpp alone and the laptop scanner (still image, every
   fallback) on the same frames. Time per frame is measured in the worker, from the frame to
   the texts; the goal is a p95 within a 33 ms frame at 1280x720.
2. Time from a code entering the picture to the result on screen: the scanner page itself
   (paired, a session chosen) with its camera replaced by a canvas stream that plays the moving
   videos of bench/decode.py (1280x720, 30 fps, a code sliding in over 0.8 s), from the moment
   the first frame with the code wholly in view is drawn to the moment the result banner changes
   (decoded, journalled in IndexedDB, sent to the server, answered).

    .venv/bin/python bench/browser_decode.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import threading
from datetime import UTC, datetime, time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.decode import moving_video, p95, real_photos  # noqa: E402
from scanner.decoding import decode, grey, zxing_decoder  # noqa: E402
from tests.scanner.frames import empty_frames, hard_frames, hard_texts  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
SIZES = ((640, 480), (1280, 720))
SHOWN = 10  # frames a code is shown to the camera decoder (1/3 s at 30 fps)
CONDITIONS = ("normal light", "glare", "far away", "low light and noise")

WORKER_HARNESS = """
async ([frames, repeat, all, shown]) => {
  // One worker for the run, as the page has: in camera mode (all = false) its fallbacks go on
  // from one frame to the next; a frame is shown up to `shown` times until it is read.
  const worker = new Worker("/scan/decoder-worker.js", {type: "module"});
  await new Promise((resolve, reject) => {
    worker.onmessage = (e) => e.data.type === "ready" ? resolve() : reject(e.data.message);
    worker.postMessage({type: "init", module: "/static/vendor/zxing-wasm/es/reader/index.js",
                        wasm: "/static/vendor/zxing-wasm/reader/zxing_reader.wasm"});
  });
  let id = 0;
  const send = (bitmap) => new Promise((resolve) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.postMessage({type: "frame", bitmap, id: ++id, all}, [bitmap]);
  });
  const out = [];
  for (const b64 of frames) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const blob = new Blob([bytes], {type: "image/png"});
    const costs = [];
    let codes = [], needed = null;
    for (let i = 0; i < (all ? repeat : shown); i++) {
      const answer = await send(await createImageBitmap(blob));
      if (answer.type === "error") throw new Error(answer.message);
      costs.push(answer.ms);
      if (answer.codes.length) { codes = answer.codes; needed = needed ?? i + 1; if (!all) break; }
    }
    out.push({codes, costs, best: Math.min(...costs), needed});
  }
  worker.terminate();
  return {results: out, barcodeDetector: "BarcodeDetector" in self};
}
"""

FAKE_CAMERA = """
(() => {
  const canvas = document.createElement("canvas");
  canvas.width = 1280; canvas.height = 720;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#777"; ctx.fillRect(0, 0, 1280, 720);
  window.__bench = {canvas, ctx};
  setInterval(() => { if (!window.__bench.playing) ctx.fillRect(0, 0, 1, 1); }, 33);
  navigator.mediaDevices.getUserMedia = async () => canvas.captureStream(30);
})();
"""

PLAY = """
async ([frames, firstInView]) => {
  const {ctx} = window.__bench;
  const bitmaps = [];
  for (const b64 of frames) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    bitmaps.push(await createImageBitmap(new Blob([bytes], {type: "image/jpeg"})));
  }
  const result = document.getElementById("result");
  result.dataset.kind = "idle";
  let seenAt = null;
  const observer = new MutationObserver(() => {
    if (seenAt === null && result.dataset.kind !== "idle") seenAt = performance.now();
  });
  observer.observe(result, {attributes: true, attributeFilter: ["data-kind"]});
  window.__bench.playing = true;
  const start = performance.now();
  let shownAt = null;
  for (let i = 0; i < 150 && seenAt === null; i++) {
    const due = start + (i * 1000) / 30;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    ctx.drawImage(bitmaps[Math.min(i, bitmaps.length - 1)], 0, 0);
    if (i === firstInView) shownAt = performance.now();
  }
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  window.__bench.playing = false;
  return {ms: seenAt === null || shownAt === null ? null : seenAt - shownAt,
          kind: result.dataset.kind, text: document.getElementById("result-name").textContent};
}
"""


def png(frame: np.ndarray) -> str:
    return base64.b64encode(cv2.imencode(".png", frame)[1].tobytes()).decode()


def jpeg(frame: np.ndarray) -> str:
    return base64.b64encode(
        cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    ).decode()


def python_reads(frames: list[tuple[np.ndarray, str]]) -> dict[str, int]:
    return {
        "zxing-cpp alone": sum(t in zxing_decoder(grey(f)) for f, t in frames),
        "laptop scanner, still image": sum(t in decode(f, fallbacks="always") for f, t in frames),
    }


def frames_table(page, repeat: int) -> None:  # type: ignore[no-untyped-def]
    sets: dict[str, list[tuple[np.ndarray, str]]] = {}
    empties: dict[str, list[np.ndarray]] = {}
    for width, height in SIZES:
        label = f"hard {width}x{height}"
        sets[label] = [
            (f, t) for _k, f, t in hard_frames(hard_texts(), (width, height), per_kind=8)
        ]
        empties[label] = empty_frames((width, height))
    photos = real_photos()
    if photos:
        sets["real photos"] = photos
    print(
        f"| frames | browser, camera (≤{SHOWN} frames) | browser, still image | zxing-cpp alone "
        "| laptop scanner, still image | browser, camera: ms a frame with a code, median / p95 "
        "| empty frames: no false read; ms a frame, median / p95 |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    detector = False
    for label, frames in sets.items():
        images = [png(f) for f, _ in frames]
        camera = page.evaluate(WORKER_HARNESS, [images, repeat, False, SHOWN])
        still = page.evaluate(WORKER_HARNESS, [images, repeat, True, SHOWN])["results"]
        detector = camera["barcodeDetector"]
        results = camera["results"]
        hits = sum(t in r["codes"] for (_, t), r in zip(frames, results, strict=True))
        needed = [r["needed"] for r in results if r["needed"]]
        still_hits = sum(t in r["codes"] for (_, t), r in zip(frames, still, strict=True))
        costs = [ms for r in results for ms in r["costs"]]
        empty_cell = "—"
        if label in empties:
            blank = [png(f) for f in empties[label]] * 10
            empty = page.evaluate(WORKER_HARNESS, [blank, 1, False, 1])["results"]
            empty_costs = [r["costs"][0] for r in empty]
            clean = sum(r["codes"] == [] for r in empty)
            empty_cell = f"{clean}/{len(empty)}; {statistics.median(empty_costs):.1f} / {p95(empty_costs):.1f}"
        laptop = python_reads(frames)
        n = len(frames)
        shown = f" (median {statistics.median(needed):.0f}, max {max(needed)})" if needed else ""
        print(
            f"| {label} | {hits}/{n}{shown} | {still_hits}/{n} | {laptop['zxing-cpp alone']}/{n} "
            f"| {laptop['laptop scanner, still image']}/{n} "
            f"| {statistics.median(costs):.1f} / {p95(costs):.1f} | {empty_cell} |"
        )
    print(f"\nBarcodeDetector in this Chromium: {'yes' if detector else 'no'}")


def first_result_table(browser, repeat: int) -> None:  # type: ignore[no-untyped-def]
    """The scanner page, paired, on a session, its camera a canvas the bench draws on."""
    from werkzeug.serving import make_server

    from app import create_app
    from app.audit import Actor
    from app.extensions import db
    from app.mail.messages import participant_code
    from app.models import Participant, Role, User
    from app.webscan.operations import issue_browser_scanner
    from tests.builders import Builders

    folder = Path(tempfile.mkdtemp(prefix="browser-decode-"))
    app = create_app(
        {
            "TESTING": True,
            "EMBEDDED_WORKER": False,
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
        },
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"))
    make = Builders(app)
    trainer = make.user(Role.TRAINER, "Gent", email="bench@example.org")
    today = datetime.now(UTC).astimezone().date()
    session_id = make.session(today, time(0, 0), time(23, 59), trainer_id=trainer)
    runs = len(CONDITIONS) * repeat
    people = [make.participant(name=f"Deelnemer {n + 1}") for n in range(runs)]
    for person in people:
        make.enrol(session_id, person)
    with app.app_context():
        texts = [participant_code(db.session.get(Participant, p)) for p in people]
        _, token = issue_browser_scanner(
            Actor(None), db.session.get(User, trainer), "bench", datetime.now(UTC)
        )
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    context = browser.new_context(viewport={"width": 1366, "height": 768}, service_workers="block")
    context.add_init_script(FAKE_CAMERA)
    page = context.new_page()
    page.goto(f"{url}/scan/")
    page.evaluate(
        "async (t) => { const j = await import('/static/webscan/journal.js');"
        " const s = await j.open(); await s.set('token', t); await s.set('device_name', 'bench'); }",
        token,
    )
    page.goto(f"{url}/scan/?session={session_id}")
    page.wait_for_selector(
        "body[data-ready=true][data-roster=ready][data-decoder=ready]", timeout=30_000
    )
    print(
        "\n| video (1280x720, 30 fps, a code slides in over 0.8 s and stops; from the first frame "
        "it is wholly in view to the result on screen) | browser scanner: median (runs) |"
    )
    print("| --- | --- |")
    number = 0
    with tempfile.TemporaryDirectory() as work:
        for condition in CONDITIONS:
            times: list[float | None] = []
            for _ in range(repeat):
                text = texts[number]
                number += 1
                path = Path(work) / "moving.avi"
                first = moving_video(path, text, condition)
                capture = cv2.VideoCapture(str(path))
                frames = []
                while True:
                    ok, frame = capture.read()
                    if not ok:
                        break
                    frames.append(jpeg(frame))
                capture.release()
                answer = page.evaluate(PLAY, [frames, first])
                times.append(answer["ms"] if answer["kind"] == "ok" else None)
            read = [t for t in times if t is not None]
            cell = (
                f"{statistics.median(read):.0f} ms ({', '.join('not read' if t is None else f'{t:.0f}' for t in times)})"
                if read
                else "not read"
            )
            print(f"| {condition} | {cell} |")
    context.close()
    server.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import logging

    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        version = browser.version
        context = browser.new_context()
        page = context.new_page()
        # Any page of the app would do as the harness's origin; an empty one is quickest.
        server, url = _static_server()
        page.goto(f"{url}/scan/account")
        print(
            f"Chromium {version}, zxing-wasm {(ROOT / 'app/static/vendor/zxing-wasm/VERSION').read_text().strip()}\n"
        )
        frames_table(page, args.repeat)
        context.close()
        server.shutdown()
        first_result_table(browser, args.repeat)
        browser.close()
    return 0


def _static_server():  # type: ignore[no-untyped-def]
    """The app with an in-memory database: enough to serve the worker and the decoder."""
    from werkzeug.serving import make_server

    from app import create_app

    folder = Path(tempfile.mkdtemp(prefix="browser-decode-"))
    app = create_app(
        {"TESTING": True, "EMBEDDED_WORKER": False, "SQLALCHEMY_DATABASE_URI": "sqlite://"},
        instance_path=str(folder / "instance"),
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


if __name__ == "__main__":
    sys.exit(main())
