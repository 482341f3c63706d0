"""The guide's example of a rule that fires and is overridden (docs/authoring.md, Step 5) runs as shown."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from accountrules.cli.test import command
from accountrules.rules import default_rulebook_dir

from ..conftest import ROOT

GUIDE = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")


def _cases_file(tmp_path: Path, case_yaml: str) -> Path:
    text = (default_rulebook_dir() / "definitions.cases.yaml").read_text(encoding="utf-8")
    base = [line for line in text.split("\ncases:", 1)[0].splitlines() if line.strip() and not line.startswith("#")]
    assert yaml.safe_load("\n".join(base))["base"]["case"]["origin"] == "reconsideration"
    d = tmp_path / "cases"
    d.mkdir(exist_ok=True)
    # the base's 15 lines, then `cases:`: the case starts on line 17, as the guide shows
    (d / "x.cases.yaml").write_text("\n".join(base) + "\ncases:\n" + case_yaml, encoding="utf-8")
    return d


def _block(start: str) -> str:
    return next(b for b in re.findall(r"```yaml\n(.*?)```", GUIDE, flags=re.DOTALL) if b.startswith(start))


def test_the_overridden_example_passes(tmp_path: Path) -> None:
    case = _block("  - name: not yet effective, head absent -> T5 fires and gives way")
    d = _cases_file(tmp_path, case)
    res = CliRunner().invoke(command, [str(d), "--rules", str(default_rulebook_dir()), "--backend", "python"])
    assert res.exit_code == 0, res.output
    assert "1 passed, 0 failed" in res.output


def test_the_silent_variant_fails_as_shown(tmp_path: Path) -> None:
    case = _block("  - name: not yet effective, head absent -> T5 fires and gives way")
    wrong = case.replace("      fired: [P-not-yet-effective, T5-head-absent]\n      overridden: [T5-head-absent]\n",
                         "      silent: [T5-head-absent]\n")
    assert wrong != case
    d = _cases_file(tmp_path, wrong)
    res = CliRunner().invoke(command, [str(d), "--rules", str(default_rulebook_dir()), "--backend", "python"])
    assert res.exit_code == 1
    shown = GUIDE.split("$ accountrules test cases/ --rules rules --backend python\n", 1)[1].split("```", 1)[0]
    assert res.output.startswith(shown.replace("FAIL cases/", f"FAIL {d}/")), res.output
