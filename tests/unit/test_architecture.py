"""The walls between the parts: the rules are pure; qr/, checkin/ and scanner/ never import the
app; the repository stands alone (no pointer to files outside it)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports(folder: str) -> dict[str, set[str]]:
    found = {}
    for path in (ROOT / folder).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path}: {name}"
        for path, names in imports(folder).items()
        for name in names
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_the_domain_rules_use_no_framework_database_or_app_module():
    forbidden = (
        "flask",
        "flask_babel",
        "sqlalchemy",
        "app.models",
        "app.extensions",
        "app.api",
        "requests",
    )
    assert offenders("app/domain", forbidden) == []


def test_the_domain_rules_do_not_read_the_clock():
    for path in (ROOT / "app/domain").rglob("*.py"):
        text = path.read_text()
        assert "datetime.now(" not in text and "date.today(" not in text, path


def test_qr_and_scanner_never_import_the_app():
    assert offenders("qr", ("app", "flask", "sqlalchemy")) == []
    assert offenders("scanner", ("app", "flask", "sqlalchemy")) == []


def test_the_shared_checkin_rules_are_pure_and_import_nothing_of_the_app_or_scanner():
    forbidden = ("app", "scanner", "flask", "flask_babel", "sqlalchemy", "requests")
    assert offenders("checkin", forbidden) == []
    for path in (ROOT / "checkin").rglob("*.py"):
        text = path.read_text()
        assert "datetime.now(" not in text and "date.today(" not in text, path


def test_the_scanner_imports_the_scan_direction_from_the_shared_package():
    assert "checkin" in imports("scanner")["scanner/offline.py"]


def test_the_repository_points_to_its_own_rules_document_not_to_files_outside_it():
    """The rules are described in docs/rules.md; nothing may send a reader to ../shared/."""
    found = []
    paths = [ROOT / "README.md"]
    # The test data (tests/, bench/) may name the sample photos kept beside the repository.
    for folder in ("app", "qr", "checkin", "scanner", "docs"):
        paths += [
            p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".md", ".html", ".txt"}
        ]
    for path in paths:
        text = path.read_text(errors="replace")
        if "../shared/" in text or "shared/domain.md" in text:
            found.append(str(path.relative_to(ROOT)))
    assert found == []
    assert (ROOT / "docs" / "rules.md").is_file()


def test_registrations_are_written_in_one_place():
    """Scans, the roll call, late arrivals, early departures, closing a session, corrections and
    merges all write through ``app.scanning.service.write_registration``: nowhere else builds a
    Registration or inserts into its table."""
    import re

    writers = []
    for path in (ROOT / "app").rglob("*.py"):
        text = path.read_text()
        if re.search(r"(?<!class )\bRegistration\(|insert\(\s*_?registrations", text):
            writers.append(path.relative_to(ROOT).as_posix())
    assert writers == ["app/scanning/service.py"]


def _sources() -> list[Path]:
    paths = [ROOT / "README.md"]
    for folder in ("app", "qr", "checkin", "scanner", "tests"):
        paths += [p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".html", ".txt"}]
    return paths


def test_no_comment_cites_a_rule_by_a_number_of_a_document_outside_the_repository():
    """Rules are cited by their section in docs/rules.md, not as "rule 7"."""
    import re

    numbered = re.compile(r"\b[Rr]ules? \d+\b")
    found = [
        f"{path.relative_to(ROOT)}: {match.group()}"
        for path in _sources()
        for match in numbered.finditer(path.read_text(errors="replace"))
        if path.resolve() != Path(__file__).resolve()
    ]
    assert found == []


def test_every_pointer_to_docs_rules_names_a_section_that_exists():
    import re

    headings = {
        line[3:].strip()
        for line in (ROOT / "docs" / "rules.md").read_text().splitlines()
        if line.startswith("## ")
    }
    pointer = re.compile(r"docs/rules\.md,\s+[\"'](.+?)[\"']", re.S)
    missing = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in _sources()
        for name in (" ".join(m.group(1).split()) for m in pointer.finditer(path.read_text()))
        if name not in headings
    ]
    assert missing == []


def test_every_function_the_rules_document_names_exists():
    """docs/rules.md names the function that implements each rule: a rename or a move that
    forgets the document fails here."""
    import importlib
    import re

    text = (ROOT / "docs" / "rules.md").read_text()
    missing = []
    for name in sorted(set(re.findall(r"`((?:app|checkin|qr|scanner)\.[A-Za-z_][\w.]*)`", text))):
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found: object = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            break
        else:
            missing.append(name)
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                missing.append(name)
                break
            found = getattr(found, attribute)
    assert missing == []


# The areas of app/: a package with its own pages or work. The layers under them (app/domain,
# app/models and the kernel modules directly in app/) are not areas.
AREAS = {
    path.name
    for path in (ROOT / "app").iterdir()
    if (path / "__init__.py").exists() and path.name not in ("domain", "models")
}


def area_imports() -> list[tuple[str, str, str]]:
    """(importing area, file, imported module) for every import of one area by another,
    including those inside functions."""
    found = []
    for area in AREAS:
        for path in (ROOT / "app" / area).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                    if node.module == "app":
                        names = [f"app.{alias.name}" for alias in node.names]
                else:
                    continue
                for name in names:
                    parts = name.split(".")
                    if parts[0] == "app" and len(parts) > 1 and parts[1] in AREAS - {area}:
                        found.append((area, str(path.relative_to(ROOT)), name))
    return found


# The participant's page shows the form that links a supervisor (kept in its own area); the
# front desk's walk-in form is the participant form, with the same fields and checks.
OTHER_AREAS_PAGES_ALLOWED = {
    ("participants", "app.supervision.forms"),
    ("frontdesk", "app.participants.forms"),
}


def test_no_area_imports_another_areas_routes_or_forms():
    """Pages and their forms are the top layer: what several areas share lives in the kernel
    (app/forms.py, app/views.py, app/reasons.py), never in one area's routes or forms."""
    offending = [
        f"{path}: {name}"
        for area, path, name in area_imports()
        if name.split(".")[2:3] in (["routes"], ["forms"])
        and (area, ".".join(name.split(".")[:3])) not in OTHER_AREAS_PAGES_ALLOWED
    ]
    assert offending == []


def test_no_two_areas_import_each_other():
    uses: dict[str, set[str]] = {area: set() for area in AREAS}
    for area, _path, name in area_imports():
        uses[area].add(name.split(".")[1])
    circles = {(a, b) for a in AREAS for b in uses[a] if a < b and a in uses[b]}
    assert circles == set(), "two areas import each other: move what they share under both"


def _imported_test_modules(source: str, package: str) -> list[str]:
    """The test modules and conftests that ``source``, a module of ``package``, imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            # ``from tests.integration import test_mail`` imports a module by its name.
            modules = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [
            module
            for module in modules
            if module.split(".")[-1].startswith("test_") or module.split(".")[-1] == "conftest"
        ]
    return found


def test_no_test_module_imports_from_another_test_module_or_a_conftest():
    """What tests share lives in fixtures (conftest.py, found by pytest) or in tests/helpers/:
    a test module imported by another runs its module-level code twice and ties the two files
    together, and a conftest imported by name is a second copy of the one pytest loaded."""
    offending = {
        str(path.relative_to(ROOT)): modules
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (
            modules := _imported_test_modules(
                path.read_text(), ".".join(path.relative_to(ROOT).parent.parts)
            )
        )
    }
    assert offending == {}


def test_the_import_check_sees_each_way_of_importing_a_test_module():
    cases = {
        "from tests.integration.test_mail import Inbox": ["tests.integration.test_mail"],
        "from .test_mail import Inbox": ["tests.integration.test_mail"],
        "from . import test_mail": ["tests.integration.test_mail"],
        "import tests.integration.test_mail": ["tests.integration.test_mail"],
        "from tests.conftest import BASE_CONFIG": ["tests.conftest"],
        "from ..conftest import BASE_CONFIG": ["tests.conftest"],
        "from tests.helpers.mail import Inbox": [],
        "from tests.builders import PASSWORD": [],
    }
    for line, expected in cases.items():
        assert _imported_test_modules(line, "tests.integration") == expected, line
