"""The hillcounty fixture — a rulebook written from the docs alone by a new author — keeps passing every
rulebook command; lint's one warning is the real gap it found (a declared reviewer no chain rule covers)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from accountrules.cli import cli as main

from ..conftest import ROOT

HILL = str(ROOT / "tests" / "fixtures" / "hillcounty")
CASES = ROOT / "tests" / "fixtures" / "hillcounty-cases"


@pytest.mark.parametrize("args", [
    ["validate", HILL], ["lint", HILL], ["test", HILL, "--min-coverage", "100"],
    ["docs", "--rules", HILL, "--check"],
])
def test_hillcounty_passes_the_rulebook_commands(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    if args[0] == "lint":
        assert "0 error(s), 1 warning(s)" in result.output and "uncovered-role: role 'reviewer'" in result.output


@pytest.mark.parametrize("name", ["hc-2024-031.yaml", "hc-2025-007.yaml", "bj-style-2024-112.yaml"])
def test_the_fixture_cases_evaluate(name: str) -> None:
    result = CliRunner().invoke(main, ["evaluate", "--rules", HILL, str(CASES / name), "--format", "json"])
    assert result.exit_code == 0, result.output
