"""What the trainer hears: a short rising chirp for a registration, a single tone for a repeat,
and a low double buzz for a refusal, distinct enough to tell apart at a noisy door.

Played through miniaudio (self-contained wheels: no system audio library to install, and a
null backend for the tests) on the default output device, kept open so a sound starts within
a few milliseconds. Without an audio device the terminal bell stands in; ``--mute`` silences.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import wave
from collections.abc import Generator
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

log = logging.getLogger("aanwezig.scanner")

Kind = Literal["success", "repeat", "refusal"]
RATE = 44_100
_ALSA_NULL = "Discard all samples"  # ALSA's null PCM: listed even on a machine with no sound card


def _tone(freq: float, seconds: float, square: bool = False, volume: float = 0.45) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    wave_ = np.sin(2 * np.pi * freq * t)
    if square:  # a buzz: odd harmonics make it rough and easy to tell from the chirp
        wave_ = np.sign(wave_) * 0.6 + 0.4 * wave_
    fade = min(len(t) // 2, int(RATE * 0.008))  # no click at either end
    envelope = np.ones_like(t)
    envelope[:fade] = np.linspace(0, 1, fade)
    envelope[-fade:] = np.linspace(1, 0, fade)
    return (wave_ * envelope * volume * 32767).astype(np.int16)


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), np.int16)


SOUNDS: dict[Kind, np.ndarray] = {
    "success": np.concatenate([_tone(880, 0.09), _tone(1320, 0.13)]),
    "repeat": _tone(660, 0.14),
    "refusal": np.concatenate(
        [_tone(220, 0.16, square=True), _silence(0.07), _tone(220, 0.16, square=True)]
    ),
}


def kind_for(colour: str) -> Kind:
    """The sound for a banner: green a registration, orange a repeat, red a refusal."""
    if colour == "green":
        return "success"
    if colour == "orange":
        return "repeat"
    return "refusal"


class Player(Protocol):
    name: str

    def play(self, kind: Kind) -> None: ...
    def close(self) -> None: ...


class Silent:
    name = "geen geluid (--mute)"

    def play(self, kind: Kind) -> None:
        pass

    def close(self) -> None:
        pass


class Bell:
    """The terminal bell: once for a registration, twice for a problem."""

    name = "terminalbel"

    def play(self, kind: Kind) -> None:
        if sys.stderr.isatty():
            sys.stderr.write("\a" if kind != "refusal" else "\a\a")
            sys.stderr.flush()

    def close(self) -> None:
        pass


class WaveFile:
    """Every sound played, one after the other, into a WAV file (for tests and diagnosis)."""

    name = "wav-bestand"

    def __init__(self, path: Path):
        self.path = path
        self.played: list[Kind] = []
        self._file = wave.open(str(path), "wb")  # noqa: SIM115 - kept open while scanning
        self._file.setnchannels(1)
        self._file.setsampwidth(2)
        self._file.setframerate(RATE)

    def play(self, kind: Kind) -> None:
        self.played.append(kind)
        self._file.writeframes(SOUNDS[kind].tobytes() + _silence(0.1).tobytes())

    def close(self) -> None:
        self._file.close()


class Device:
    """A miniaudio playback device, open for the whole run; sounds are queued to it."""

    def __init__(self, backend: str | None = None):
        import miniaudio

        backends = [getattr(miniaudio.Backend, backend.upper())] if backend else None
        self._queue = bytearray()
        self._lock = threading.Lock()
        self.frames_played = 0  # samples of sound (not silence) handed to the device
        self._device = miniaudio.PlaybackDevice(
            output_format=miniaudio.SampleFormat.SIGNED16,
            nchannels=1,
            sample_rate=RATE,
            buffersize_msec=30,
            backends=backends,
        )
        self.name = f"geluidskaart via {self._device.backend}"
        stream = self._stream()
        next(stream)
        self._device.start(stream)

    def _stream(self) -> Generator[bytes, int, None]:
        required = yield b""
        while True:
            wanted = required * 2
            with self._lock:
                chunk = bytes(self._queue[:wanted])
                del self._queue[:wanted]
            self.frames_played += len(chunk) // 2
            required = yield chunk + b"\x00" * (wanted - len(chunk))

    def play(self, kind: Kind) -> None:
        with self._lock:
            self._queue = bytearray(SOUNDS[kind].tobytes())  # a new result cuts the old one off

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) // 2

    def close(self) -> None:
        self._device.close()


def has_output_device() -> bool:
    try:
        import miniaudio

        playbacks = miniaudio.Devices().get_playbacks()
    except Exception:  # no audio system at all (a server, a container)
        return False
    return any(_ALSA_NULL not in device["name"] for device in playbacks)


def choose_player(mute: bool, to_file: str | None = None) -> Player:
    """``--mute``: nothing; ``--sound-to FILE``: a WAV file; else the audio device when there is
    one, the terminal bell when not. ``AANWEZIG_SCANNER_AUDIO=null`` plays to miniaudio's null
    device (a real device that discards the sound, for tests)."""
    if mute:
        return Silent()
    if to_file:
        return WaveFile(Path(to_file))
    backend = os.environ.get("AANWEZIG_SCANNER_AUDIO") or None
    if backend or has_output_device():
        try:
            return Device(backend)
        except Exception as exc:
            log.warning("geluid niet beschikbaar (%s): de terminalbel klinkt in de plaats", exc)
    return Bell()
