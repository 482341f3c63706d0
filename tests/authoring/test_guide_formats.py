"""What the guides say about the rule format holds: the exemption values of docs/authoring.md and the
layout of an official text (docs/rule-format.md, *Official texts*) are what validation accepts."""

from __future__ import annotations

import re
import shutil
import typing
from pathlib import Path

import yaml

from accountrules.diagnostics import Diagnostic
from accountrules.errors import RuleFileError
from accountrules.rules.schema import Circumstance
from accountrules.rules.validate import load_rulebook

from ..conftest import ROOT

GUIDE = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
FORMAT = (ROOT / "docs" / "rule-format.md").read_text(encoding="utf-8")
MINI = ROOT / "tests" / "fixtures" / "mini"


def test_the_guide_names_exactly_the_exemption_values_the_schema_accepts() -> None:
    sentence = GUIDE.split("An exempting circumstance says what its basis grants", 1)[1].split("and the output", 1)[0]
    named = set(re.findall(r"`(?:exemption: )?([a-z_]+)`", sentence))
    allowed = set(typing.get_args(Circumstance.model_fields["exemption"].annotation))
    assert named == allowed, (named, allowed)


def validate_rulebook(path: Path) -> list[Diagnostic]:
    try:
        load_rulebook(path)
    except RuleFileError as exc:
        return exc.diagnostics
    return []


def _section() -> str:
    return FORMAT.split("## Official texts (`law/`, `official_text`)", 1)[1].split("\n## Exceptions", 1)[0]


def _example_book(tmp_path: Path, citations: str | None = None) -> Path:
    section = _section()
    law = re.search(r"```markdown\n(.*?)```", section, flags=re.DOTALL)
    rules = re.search(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    name = re.search(r"For example, `law/([^`]+)`", section)
    assert law and rules and name
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    (book / "law" / name.group(1)).write_text(law.group(1), encoding="utf-8")
    text = rules.group(1) if citations is None else rules.group(1).split("    citations:\n")[0] + citations
    assert yaml.safe_load(text)["instruments"][0]["official_text"] == name.group(1)
    (book / "example.yaml").write_text(text, encoding="utf-8")
    return book


def test_the_documented_law_file_layout_validates(tmp_path: Path) -> None:
    assert validate_rulebook(_example_book(tmp_path)) == []


def test_a_wrong_pinpoint_into_the_documented_law_file_is_reported(tmp_path: Path) -> None:
    wrong = "    citations:\n      - {instrument: SL1, article: 第二条第一款, quote: 情节轻微的，可以不予追究。}\n"
    problems = validate_rulebook(_example_book(tmp_path, wrong))
    assert [p.code for p in problems] == ["quote-pinpoint"], problems
    inline = "    citations:\n      - {instrument: SL1, article: 第二条第（三）项, quote: 超越法定职权实施行政执法行为的}\n"
    problems = validate_rulebook(_example_book(tmp_path / "2", inline))
    assert [p.code for p in problems] == ["quote-pinpoint"] and "no such 项" in problems[0].message, problems
