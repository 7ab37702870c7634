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


# --- The clock and the settings: read by the entry points only ---------------------------------

# Where the wall clock may be read: the clock itself, and the column default for creation
# times (a row written without one is stamped as the database layer writes it).
CLOCK_READERS = {
    "app/clock.py": "the system clock itself",
    "app/models/base.py": "the creation-time column default (utcnow)",
}

# Where ``current_app.config`` may be read: entry points, which pass what they read down.
CONFIG_READERS = {
    "app/auth/routes.py": "routes: the limiter's rates and the languages offered",
    "app/portal/routes/absences.py": "routes: the limiter's rate for documents sent",
    "app/portal/routes/participant.py": "routes: the limiter's rate for the QR code mail",
    "app/portal/routes/signing_in.py": "routes: the limiter's rates and the languages offered",
    "app/i18n.py": "Flask-Babel's locale selector, asked per request",
    "app/health/__init__.py": "the /healthz and /readyz endpoints",
    "app/metrics.py": "the /metrics endpoint and its access check",
    "app/exchange/incoming.py": "the incoming exchange endpoint's body limit",
    "app/api/cursor.py": "the API lists' cursors, sealed with the secret key per request",
    "app/portal/identity.py": "the portal's request loader (its session's lifetime)",
    "app/links.py": "the host check before each request; mail links from the public address",
    # Still to convert: mails built below the routes read the sender and the languages, the
    # account operations the password and link settings. Each needs its callers to pass the
    # settings down; this list only shrinks.
    "app/admin/operations.py": "to convert: the default language of a mail",
    "app/frontdesk/operations.py": "to convert: a reminder mail's sender and language",
    "app/auth/operations.py": "to convert: password hashing, reset links and their mail",
    "app/digest/__init__.py": "to convert: the digest mail's sender and language",
    "app/mail/messages.py": "to convert: the QR code and cancellation mails' sender",
    "app/mail/outbox.py": "to convert: the Message-ID's domain at queueing",
    "app/portal/signin.py": "to convert: the sign-in link's lifetime and mail",
    "app/supervision/daily.py": "to convert: the supervisor mail's sender and language",
    "app/supervision/operations/documents.py": "to convert: the portal's upload allowance",
    "app/supervision/operations/reminders.py": "to convert: the reminder mail's sender",
    "app/supervision/operations/supervisors.py": "to convert: the supervisor mail's sender",
}


def _calls(tree: ast.AST) -> list[str]:
    """``datetime.now(``, ``datetime.utcnow(``, ``date.today(`` and ``utcnow(`` calls."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
            name = f"{function.value.id}.{function.attr}"
            if name in ("datetime.now", "datetime.utcnow", "date.today", "datetime.today"):
                found.append(f"{name}(")
        elif isinstance(function, ast.Name) and function.id == "utcnow":
            found.append("utcnow(")
    return found


def _config_reads(tree: ast.AST) -> int:
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "config"
        and isinstance(node.value, ast.Name)
        and node.value.id == "current_app"
    )


def _app_modules() -> dict[str, ast.AST]:
    return {
        str(path.relative_to(ROOT)): ast.parse(path.read_text())
        for path in sorted((ROOT / "app").rglob("*.py"))
    }


def test_nothing_below_the_entry_points_reads_the_clock():
    """The routes, the CLI and the worker ask the app's clock (``app.clock``) and pass ``now``
    down: a test then sets any moment with a FixedClock instead of freezing time."""
    readers = {
        path: calls
        for path, tree in _app_modules().items()
        if (calls := _calls(tree)) and path not in CLOCK_READERS
    }
    assert readers == {}


def test_nothing_below_the_entry_points_reads_the_configuration():
    """The settings are read from the configuration once (``app.settings``) and passed down."""
    readers = [
        path
        for path, tree in _app_modules().items()
        if _config_reads(tree) and path not in CONFIG_READERS
    ]
    assert readers == []


def test_the_lists_of_exceptions_name_only_modules_that_still_need_them():
    """A module converted leaves the list, so the list shows what is left."""
    modules = _app_modules()
    assert [p for p in CLOCK_READERS if not _calls(modules[p])] == []
    assert [p for p in CONFIG_READERS if not _config_reads(modules[p])] == []


def test_the_checks_see_what_they_look_for():
    """The walls above are only as good as what they find: they find each form."""
    tree = ast.parse(
        "from flask import current_app\n"
        "a = datetime.now(UTC)\nb = date.today()\nc = utcnow()\n"
        "d = current_app.config['X']\n"
    )
    assert _calls(tree) == ["datetime.now(", "date.today(", "utcnow("]
    assert _config_reads(tree) == 1
