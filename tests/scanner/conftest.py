"""A real Aanwezig server in a subprocess, set up through its CLI and API, for the scanner tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.scanner import (
    LiveServer,
)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "server")
    server.setup()
    yield server
    server.stop()
