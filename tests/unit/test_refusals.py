"""Every refusal the app raises is in the catalogue (app/domain/refusals.py), with its status."""

from __future__ import annotations

import ast
from pathlib import Path

from app.domain.refusals import BY_CODE, Reason
from app.errors import Forbidden, NotFound, Refusal

ROOT = Path(__file__).resolve().parents[2]


def _raised() -> list[tuple[str, int, str, int | None]]:
    """(file, line, code, explicit status) of every ``Refusal("code", ...)`` in app/."""
    found = []
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "Refusal" or not node.args:
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            status = next(
                (
                    kw.value.value
                    for kw in node.keywords
                    if kw.arg == "status" and isinstance(kw.value, ast.Constant)
                ),
                None,
            )
            found.append((str(path.relative_to(ROOT)), node.lineno, first.value, status))
    return found


def test_every_code_the_app_refuses_with_is_in_the_catalogue():
    missing = [f"{f}:{line} {code}" for f, line, code, _ in _raised() if code not in BY_CODE]
    assert missing == []


def test_a_code_answers_the_same_status_wherever_it_is_raised():
    differing = [
        f"{f}:{line} {code} answers {status}, the catalogue says {BY_CODE[code].status}"
        for f, line, code, status in _raised()
        if code in BY_CODE and status is not None and status != BY_CODE[code].status
    ]
    assert differing == []


def test_the_scan_and_pairing_refusals_are_in_the_catalogue():
    from app.devices.operations import REFUSALS
    from app.scanning.service import MESSAGES

    assert set(MESSAGES) | set(REFUSALS) <= set(BY_CODE)


def test_a_refusal_takes_its_status_from_the_catalogue():
    assert Refusal("participant_ended", "ended").status == 409
    assert Refusal(Reason.NOT_ENROLLED, "not enrolled").status == 422
    assert Refusal("duplicate_email", "taken").as_json()["error"] == "duplicate_email"
    assert NotFound().status == 404 and Forbidden().status == 403


EXPLAINED = {400, 401, 403, 404, 405, 409, 410, 412, 413, 422, 428, 429, 500, 503}


def test_every_status_in_the_catalogue_is_one_the_docstring_explains():
    assert {member.status for member in Reason} <= EXPLAINED


# Modules whose message maps are not refusals: the HTTP errors' texts, the API fields' problems
# (answered as invalid_request), the exchange's outcomes.
NOT_REFUSALS = {"app/errors.py", "app/api/schemas/fields.py", "app/exchange/incoming.py"}


def test_every_code_a_message_map_refuses_with_is_in_the_catalogue():
    """Codes raised from a map of messages (a rule's problem, the scan's refusals)."""
    missing = []
    for path in (ROOT / "app").rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative in NOT_REFUSALS:
            continue
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, (ast.Assign, ast.AnnAssign)):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if not any(n.endswith(("MESSAGES", "PROBLEMS", "REFUSALS")) for n in names):
                continue
            if not isinstance(node.value, ast.Dict):
                continue
            missing += [
                f"{relative} {names[0]}: {key.value}"
                for key in node.value.keys
                if isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and key.value not in BY_CODE
            ]
    assert missing == []
