"""The deployment's unit files and environment file, read as systemd would."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from tests.processes import ROOT

DEPLOY = ROOT / "deploy"


BIN = str(Path(sys.executable).parent)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them (comments and blanks skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def unit_commands(unit: str) -> dict[str, list[list[str]]]:
    """A unit's ExecStartPre/ExecStart command lines and Environment= settings, with the
    checkout's path (/opt/aanwezig) and its venv put where this test runs from."""
    found: dict[str, list[list[str]]] = {"ExecStartPre": [], "ExecStart": [], "Environment": []}
    for line in (DEPLOY / "systemd" / unit).read_text().splitlines():
        key, _, value = line.partition("=")
        if key in found:
            value = value.replace("/opt/aanwezig/.venv/bin", BIN).replace(
                "/opt/aanwezig", str(ROOT)
            )
            found[key].append(shlex.split(value))
    return found


def with_unit_environment(
    env: dict[str, str], unit: dict[str, list[list[str]]], run: Path
) -> dict[str, str]:
    """``env`` with the unit's own Environment= settings added, as systemd starts its commands
    (AANWEZIG_PRODUCTION among them: a production start); its runtime folder put in ``run``."""
    found = dict(env)
    for setting in unit["Environment"]:
        key, _, value = setting[0].partition("=")
        found[key] = value.replace("/run/aanwezig-web", str(run))
    (run / "metrics").mkdir(parents=True, exist_ok=True)
    return found
