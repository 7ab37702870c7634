"""Where the scanner keeps its settings (server, token, camera) and its journal."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir

APP = "aanwezig"


def config_path() -> Path:
    folder = os.environ.get("AANWEZIG_SCANNER_CONFIG")
    return Path(folder) if folder else Path(user_config_dir(APP)) / "scanner.json"


def data_dir(override: str | None = None) -> Path:
    chosen = override or os.environ.get("AANWEZIG_SCANNER_DATA")
    return Path(chosen) if chosen else Path(user_data_dir(APP))


@dataclass
class Settings:
    server: str | None = None
    token: str | None = None
    device_name: str | None = None  # as the server lists this scanner after pairing
    camera: int | None = None  # the camera that worked last time

    @classmethod
    def load(cls) -> Settings:
        path = config_path()
        data: dict[str, Any] = {}
        if path.exists():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                loaded = {}  # a damaged file is as good as none: the scanner pairs again
            data = loaded if isinstance(loaded, dict) else {}
        camera = data.get("camera")
        return cls(
            server=os.environ.get("AANWEZIG_SERVER") or _text(data.get("server")),
            token=os.environ.get("AANWEZIG_TOKEN") or _text(data.get("token")),
            device_name=_text(data.get("device_name")),
            camera=camera if isinstance(camera, int) and 0 <= camera < 100 else None,
        )

    def forget_pairing(self) -> None:
        """``--reset``: forget the server and the token; the camera choice stays."""
        self.server = self.token = self.device_name = None

    def save(self) -> Path:
        path = config_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        # Owner-only from the start: the token acts as the trainer.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle)
        os.replace(temporary, path)
        return path


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
