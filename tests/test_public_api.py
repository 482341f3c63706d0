"""The public API is small and pinned."""

from __future__ import annotations

import accountrules


def test_all_is_pinned() -> None:
    assert accountrules.__all__ == sorted(accountrules.__all__)
    assert set(accountrules.__all__) >= {"Engine", "Case", "Recommendation", "Rulebook", "load_rulebook",
                                          "AccountRulesError", "RuleFileError", "EvaluationError", "InvalidCase"}
    for name in accountrules.__all__:
        assert hasattr(accountrules, name)


def test_only_engine_imports_durable() -> None:
    from pathlib import Path

    src = Path(accountrules.__file__).parent
    import re

    pat = re.compile(r"^\s*(import durable|from durable|import durable_rules_engine)", re.MULTILINE)
    importers = sorted(p.name for p in src.rglob("*.py") if pat.search(p.read_text(encoding="utf-8")))
    assert importers == ["engine.py"]


def test_five_line_api() -> None:
    from accountrules import Engine, load_rulebook
    from accountrules.intake import read_case_file

    from .conftest import EXAMPLE

    rec = Engine(load_rulebook()).evaluate(read_case_file(EXAMPLE).model_dump(mode="json"))
    assert rec.error_case.definition == "T3"
