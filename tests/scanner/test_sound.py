"""The sounds: a registration, a repeat and a refusal each get their own sound, chosen from the
banner; played to a WAV file and through miniaudio's null device (a real playback device that
discards the sound, so the test needs no speaker)."""

from __future__ import annotations

import time
import wave
from pathlib import Path

import numpy as np

from scanner.sound import RATE, SOUNDS, Device, WaveFile, choose_player
from scanner.ui import GREEN, ORANGE, RED, Display
from tests.helpers.scanner import run_scanner


def loudest(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[spectrum.argmax()])


def sounds_in(path: Path) -> list[np.ndarray]:
    """The sounds in a WAV file, split at the silences between them."""
    with wave.open(str(path)) as handle:
        assert handle.getframerate() == RATE and handle.getnchannels() == 1
        samples = np.frombuffer(handle.readframes(handle.getnframes()), np.int16)
    loud = np.abs(samples) > 500
    pieces, start, quiet = [], None, 0
    for index, on in enumerate(loud):
        if on:
            start = index if start is None else start
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet > RATE * 0.09:  # longer than any gap inside one sound
                pieces.append(samples[start : index - quiet])
                start, quiet = None, 0
    if start is not None:
        pieces.append(samples[start:])
    return pieces


def test_each_verdict_has_its_own_sound():
    assert 870 < loudest(SOUNDS["success"][: RATE // 20]) < 890  # rising: 880 Hz then 1320 Hz
    assert 1300 < loudest(SOUNDS["success"][-RATE // 20 :]) < 1340
    assert 650 < loudest(SOUNDS["repeat"]) < 670
    assert 210 < loudest(SOUNDS["refusal"]) < 230  # a low buzz, twice
    durations = {kind: len(sound) / RATE for kind, sound in SOUNDS.items()}
    assert all(0.1 <= seconds <= 0.5 for seconds in durations.values()), durations


def test_the_banner_chooses_the_sound(tmp_path):
    player = WaveFile(tmp_path / "door.wav")
    display = Display(window=False, player=player)
    display.show("An Peeters: in 09:02", GREEN)
    display.show("An Peeters: al gescand", ORANGE)
    display.show("Geen geldige Aanwezig-code", RED)
    display.close()
    assert player.played == ["success", "repeat", "refusal"]
    pieces = sounds_in(tmp_path / "door.wav")
    assert [round(loudest(p[: RATE // 20])) // 10 for p in pieces] == [88, 66, 22]


def test_sounds_play_through_a_real_audio_device_without_blocking():
    device = Device("null")
    try:
        started = time.monotonic()
        device.play("success")
        assert time.monotonic() - started < 0.05  # queued, not waited for
        deadline = time.monotonic() + 3
        while device.pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert device.pending() == 0 and device.frames_played >= len(SOUNDS["success"])
    finally:
        device.close()


def test_mute_and_the_bell_fallback(monkeypatch):
    assert choose_player(mute=True).name.startswith("geen geluid")
    monkeypatch.delenv("AANWEZIG_SCANNER_AUDIO", raising=False)
    monkeypatch.setattr("scanner.sound.has_output_device", lambda: False)
    assert choose_player(mute=False).name == "terminalbel"


def test_the_scanner_sounds_a_registration_and_a_refusal(live_server, tmp_path):
    wav = tmp_path / "door.wav"
    done = run_scanner(
        live_server,
        tmp_path / "data",
        "--session",
        str(live_server.session_id),
        "--keyboard",
        "--sound-to",
        str(wav),
        mute=False,
        stdin=live_server.codes["An Peeters"] + "\nnot a code\n",
    )
    assert done.returncode == 0, done.stderr
    pieces = sounds_in(wav)
    assert [round(loudest(p[: RATE // 20])) // 10 for p in pieces] == [88, 22]
