"""The public API is small and pinned."""

from __future__ import annotations

import accountrules


def test_all_is_pinned() -> None:
    assert accountrules.__all__ == [
        "AccountRulesError", "Case", "Diagnostic", "Engine", "EngineFailure", "EvaluationError", "InputTooLarge",
        "InvalidCase", "Reason", "Recommendation", "RuleConflict", "RuleFileError", "Rulebook", "SourceSpan",
        "UnsupportedPython", "__version__", "bundled_rulebooks", "load_rulebook",
    ]
    for name in accountrules.__all__:
        assert hasattr(accountrules, name)


def test_only_the_durable_package_imports_durable() -> None:
    from pathlib import Path

    src = Path(accountrules.__file__).parent
    import re

    pat = re.compile(r"^\s*(import durable|from durable|import durable_rules_engine)", re.MULTILINE)
    importers = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.py")
                       if pat.search(p.read_text(encoding="utf-8")))
    assert importers == ["matching/durable/matcher.py"]


def test_five_line_api() -> None:
    from accountrules import Engine, load_rulebook
    from accountrules.intake import read_case_file

    from .conftest import EXAMPLE

    rec = Engine(load_rulebook()).evaluate(read_case_file(EXAMPLE).model_dump(mode="json"))
    assert rec.error_case.definition == "T3"
