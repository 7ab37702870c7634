"""The import contract: the layers of app/ and the order of its areas, read from the imports.

From the bottom: the pure rules (app/domain, and qr/ and checkin/ beside the app), the models,
the kernel (the modules directly in app/), then the areas in the order of ``AREAS_FROM_BOTTOM``.
An area may import the kernel, the models, the rules and the areas below it, never one above
it: so no two areas can ever import each other, however long the way round. Inside every area
the pages (a module that registers routes) sit on top: no other module imports a page or a
page's forms. The imports inside functions count as well.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"

# Lowest first. Where a new area goes: below every area that will use it, above what it uses.
AREAS_FROM_BOTTOM = [
    "jobs",  # the queue and its workers (infrastructure)
    "mail",  # the outbox, over the queue (infrastructure)
    "scanning",  # writing registrations; the roster; refused scans
    "audit_log",  # reading the audit trail
    "attendance",  # figures, roll call, corrections, justifications, exemptions
    "certificates",  # issued from the figures
    "digest",  # the morning mail: figures and certificates due
    "supervision",  # supervisors and self-reported hours
    "participants",  # people, enrolments, codes, merging
    "planning",  # projects, trainings, sessions
    "exports",  # paper list, subsidy export
    "portal",  # participants and supervisors
    "calendar_feed",  # iCalendar for trainers and portal participants
    "frontdesk",  # today's sessions and walk-ins
    "api",  # the REST API over the areas
    "devices",  # pairing scanners, through the API
    "exchange",  # the administration packages, through the API's endpoint
    "auth",  # signing in; scanner pairing from a signed-in page
    "admin",  # support's pages
    "webscan",  # the scanner in the browser
    "health",  # health and readiness
]

# The kernel (app/*.py) imports no area; these modules are entry points that wire or drive the
# areas, as a route does.
KERNEL_ENTRY_POINTS = {
    "app/__init__.py": "the application factory registers every area's blueprint and jobs",
    "app/cli.py": "the commands are entry points, like routes",
    "app/demo.py": "the demo data is made through the areas' own operations",
}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from app.x import operations`` imports the module app.x.operations.
            names += [f"{node.module}.{alias.name}" for alias in node.names]
            if node.module != "app":
                names.append(node.module)
    return names


def _area(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "app" and len(parts) > 1 and (APP / parts[1] / "__init__.py").exists():
        return parts[1] if parts[1] not in ("domain", "models") else None
    return None


def _areas() -> set[str]:
    return {
        path.name
        for path in APP.iterdir()
        if (path / "__init__.py").exists() and path.name not in ("domain", "models")
    }


ROUTE = re.compile(r"^@\w+\.(?:route|get|post|put|patch|delete)\(", re.M)


def _is_page(path: Path) -> bool:
    in_an_area = path.parent != APP
    if in_an_area and (path.name in ("forms.py", "routes.py") or "routes" in path.parts):
        return True
    return bool(ROUTE.search(path.read_text()))


def _module_path(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def test_every_area_has_its_place_in_the_order():
    assert sorted(_areas()) == sorted(AREAS_FROM_BOTTOM)


def test_an_area_imports_only_the_areas_below_it():
    rank = {area: i for i, area in enumerate(AREAS_FROM_BOTTOM)}
    upwards = []
    for area in _areas():
        for path in (APP / area).rglob("*.py"):
            for module in _imports(path):
                other = _area(module)
                if other is not None and other != area and rank[other] > rank[area]:
                    upwards.append(f"{path.relative_to(ROOT)} imports {module} (above {area})")
    assert upwards == []


def test_the_kernel_and_the_models_import_no_area():
    found = []
    for path in [*APP.glob("*.py"), *(APP / "models").rglob("*.py")]:
        relative = path.relative_to(ROOT).as_posix()
        if relative in KERNEL_ENTRY_POINTS:
            continue
        found += [f"{relative}: {m}" for m in _imports(path) if _area(m) is not None]
    assert found == []


def test_no_module_but_a_page_imports_a_page_or_its_forms():
    """Pages are the top of each area: what an operation needs never lives in a page."""
    found = []
    for path in APP.rglob("*.py"):
        if _is_page(path) or path.name == "__init__.py":
            continue  # a blueprint's package imports its routes to register them
        for module in _imports(path):
            target = _module_path(module) if module.startswith("app.") else None
            if target is not None and target.name != "__init__.py" and _is_page(target):
                found.append(f"{path.relative_to(ROOT)} imports the page {module}")
    assert found == []
