"""The interface is Dutch by default, English on request; every string has its Dutch translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "app" / "translations" / "nl" / "LC_MESSAGES"


def _read(reader, path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return reader(handle)


def _key(message_id):  # type: ignore[no-untyped-def]
    # Plural messages: the .po reader gives a tuple of ids, the .mo reader a list.
    return tuple(message_id) if isinstance(message_id, list | tuple) else message_id


def _strings(value):  # type: ignore[no-untyped-def]
    return tuple(value) if isinstance(value, list | tuple) else value


def _translated(message) -> bool:  # type: ignore[no-untyped-def]
    forms = _strings(message.string)
    return all(forms if isinstance(forms, tuple) else (forms,)) and "fuzzy" not in message.flags


def test_every_interface_string_is_translated_and_compiled(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
         "-k", "_l", "-o", str(pot), "app"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    wanted = {_key(m.id) for m in _read(read_po, pot) if m.id}
    po = {_key(m.id): m for m in _read(read_po, CATALOG / "messages.po") if m.id}
    mo = {_key(m.id): _strings(m.string) for m in _read(read_mo, CATALOG / "messages.mo") if m.id}
    assert not wanted - set(po), "run scripts/translations.sh: strings missing from the catalogue"
    untranslated = [i for i in wanted if not _translated(po[i])]
    assert not untranslated, untranslated
    assert all(mo.get(i) == _strings(po[i].string) for i in wanted), (
        "run scripts/translations.sh compile"
    )


def test_dutch_by_default_and_english_on_request(client):
    assert "Aanmelden" in client.get("/login").get_data(as_text=True)
    client.post("/language/en", data={"next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)
