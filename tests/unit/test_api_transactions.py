"""One transaction per request: the API and the scan service never commit or roll back
themselves (app.db.Application ends every request's transaction in one place)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _transaction_calls(folder: str) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("commit", "rollback")
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.attr}()")
    return found


def test_the_api_and_the_scan_service_never_end_a_transaction_themselves():
    assert _transaction_calls("app/api") == []
    assert _transaction_calls("app/scanning") == []
