"""Where the scanner keeps its settings (server, token) and its journal."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

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

    @classmethod
    def load(cls) -> Settings:
        path = config_path()
        data = json.loads(path.read_text()) if path.exists() else {}
        return cls(
            server=os.environ.get("AANWEZIG_SERVER") or data.get("server"),
            token=os.environ.get("AANWEZIG_TOKEN") or data.get("token"),
        )

    def save(self) -> Path:
        path = config_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"server": self.server, "token": self.token}))
        path.chmod(0o600)  # the token acts as the trainer
        return path
