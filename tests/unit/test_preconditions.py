"""A missing tool fails the run unless a machine says it may lack it; a skip by design says so."""

from __future__ import annotations

import pytest

from tests.helpers.preconditions import by_design, missing


@pytest.fixture(autouse=True)
def no_settings(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("AANWEZIG_ALLOW_MISSING_TOOLS", raising=False)
    monkeypatch.delenv("AANWEZIG_REQUIRE_BROWSER", raising=False)


def test_a_missing_tool_fails_with_the_line_that_installs_it():
    with pytest.raises(pytest.fail.Exception, match="nginx is missing: apt-get install nginx"):
        missing("nginx", "apt-get install nginx")


def test_a_machine_may_allow_missing_tools_and_the_skip_names_what_is_missing(monkeypatch):
    monkeypatch.setenv("AANWEZIG_ALLOW_MISSING_TOOLS", "1")
    with pytest.raises(
        pytest.skip.Exception, match="allowed by AANWEZIG_ALLOW_MISSING_TOOLS=1: nginx"
    ):
        missing("nginx", "apt-get install nginx")


def test_ci_requires_the_tools_even_where_missing_ones_are_allowed(monkeypatch):
    monkeypatch.setenv("AANWEZIG_ALLOW_MISSING_TOOLS", "1")
    monkeypatch.setenv("AANWEZIG_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception):
        missing("Chromium", "apt-get install chromium")


def test_a_skip_by_design_says_so():
    with pytest.raises(pytest.skip.Exception, match=r"^by design: SQLite only$"):
        by_design("SQLite only")
