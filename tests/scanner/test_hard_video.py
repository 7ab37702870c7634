"""A hard code at the door, end to end: a video of a code in low light with sensor noise, which
zxing-cpp alone cannot read, checks the participant in through the scanner's camera path."""

from __future__ import annotations

import cv2
import numpy as np

from scanner.decoding import grey, zxing_decoder
from tests.helpers.scanner import run_scanner
from tests.scanner.frames import code_image, hard_low_light, on_background


def test_a_code_in_low_light_that_zxing_alone_misses_is_checked_in(live_server, tmp_path):
    code = live_server.codes["An Peeters"]
    rng = np.random.default_rng(3)

    def dark_frame() -> np.ndarray:
        while True:
            frame = hard_low_light(code_image(code, box=8), (640, 480), rng)
            if not zxing_decoder(grey(frame)):
                return frame

    held = [dark_frame() for _ in range(12)]  # a code held up for about a second
    blank = on_background(np.full((10, 10, 3), 20, np.uint8), scale=0.01)
    video = tmp_path / "dark.avi"
    # The code differs per run (the keys are new), and now and then MJPG's compression makes a
    # frame readable after all: such frames are replaced until zxing-cpp alone reads none of
    # the video as written, which is what the scanner then reads.
    for _attempt in range(20):
        writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
        for frame in [blank] * 3 + held + [blank] * 3:
            writer.write(frame)
        writer.release()
        capture = cv2.VideoCapture(str(video))
        frames = [capture.read()[1] for _ in range(18)]
        capture.release()
        readable = [i - 3 for i, f in enumerate(frames) if zxing_decoder(grey(f))]
        if not readable:
            break
        for index in readable:
            held[index] = dark_frame()
    assert not any(zxing_decoder(grey(f)) for f in frames)
    done = run_scanner(
        live_server, tmp_path / "data", "--session", str(live_server.session_id),
        "--video", str(video),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "An Peeters: in" in done.stderr
    assert [r["participant_id"] for r in live_server.registrations()] == [
        live_server.participants["An Peeters"]
    ]
