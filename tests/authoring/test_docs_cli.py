"""accountrules docs (generated reference, --check for CI), docs/errors.md and the authoring guide."""

from __future__ import annotations

import re
import shutil
import typing
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel

from accountrules import load_rulebook
from accountrules import rulebook as rb
from accountrules.cli.docs import command
from accountrules.docs import GENERATED, generate, rule_format_markdown
from accountrules.rules import default_rulebook_dir

from ..conftest import MINI, ROOT

DOCS = ROOT / "docs"
SRC = ROOT / "src" / "accountrules"


def test_generate_is_deterministic() -> None:
    a, b = generate(load_rulebook(MINI)), generate(load_rulebook(MINI))
    assert a == b and tuple(a) == GENERATED
    assert "# 规则库目录" in a["catalog.zh.md"] and "# Rulebook catalogue" in a["catalog.en.md"]
    assert "| `case.origin` | str |" in a["facts.md"]


def test_write_then_check(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "docs"
    res = runner.invoke(command, ["--rules", str(MINI), "--out", str(out)])
    assert res.exit_code == 0 and sorted(p.name for p in out.iterdir()) == sorted(GENERATED)
    res = runner.invoke(command, ["--rules", str(MINI), "--out", str(out), "--check"])
    assert res.exit_code == 0 and "up to date" in res.output
    (out / "facts.md").write_text("edited by hand\n", encoding="utf-8")
    (out / "catalog.en.md").unlink()
    res = runner.invoke(command, ["--rules", str(MINI), "--out", str(out), "--check"])
    assert res.exit_code == 1
    assert f"stale: {out / 'catalog.en.md'}" in res.output and f"stale: {out / 'facts.md'}" in res.output
    assert "catalog.zh.md" not in res.output
    res = runner.invoke(command, ["--rules", str(MINI), "--out", str(out)])
    assert res.exit_code == 0 and res.output.count("wrote ") == 2


def _models(tp: object, seen: list[type[BaseModel]]) -> None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp in seen:
            return
        seen.append(tp)
        for f in tp.model_fields.values():
            _models(f.annotation, seen)
        return
    for a in typing.get_args(tp):
        _models(a, seen)


def test_rule_format_documents_every_section_and_field() -> None:
    text = rule_format_markdown()
    for name in rb.RuleFile.model_fields:
        assert f"| `{name}` |" in text
    models: list[type[BaseModel]] = []
    _models(rb.RuleFile, models)
    for model in models[1:]:
        section = text.split(f"### {model.__name__}\n", 1)[1].split("\n### ", 1)[0]
        for field in model.model_fields:
            assert f"| `{field}` |" in section, (model.__name__, field)
    assert "one of `error_case`, `not_error_case`, `pending`" in text


def test_committed_docs_are_current() -> None:
    """What CI runs: `accountrules docs --check` against the committed docs/."""
    load_rulebook()  # the bundled rulebook must load: a broken one fails here, with its diagnostics
    res = CliRunner().invoke(command, ["--out", str(DOCS), "--check"])
    assert res.exit_code == 0, res.output


def _codes_in_source() -> set[str]:
    codes: set[str] = set()
    for p in SRC.rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        codes |= set(re.findall(r'(?:Diagnostic\(|\.err\(|\b_d\()\s*"([a-z0-9-]+)"', text))
        codes |= set(re.findall(r'\bcode(?:: ClassVar\[str\])? = "([a-z0-9-]+)"', text))
    from accountrules.lint import CODES

    return codes | set(CODES)


def test_errors_md_has_a_section_per_code() -> None:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#{2,3} ([a-z0-9-]+)$", text, flags=re.MULTILINE))
    codes = _codes_in_source()
    assert {"unsatisfiable", "conflict", "unknown-key", "quote-mismatch", "rule-conflict"} <= codes
    assert not codes - headings, f"codes without a section in docs/errors.md: {sorted(codes - headings)}"


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)


def test_authoring_guide_snippets_parse() -> None:
    blocks = _yaml_blocks((DOCS / "authoring.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    for b in blocks:
        yaml.safe_load(b)


def test_authoring_guide_worked_example_runs(tmp_path: Path) -> None:
    """The guide's P5 example, taken from the guide itself, on a copy of the default rulebook."""
    load_rulebook()  # the bundled rulebook must load: a broken one fails here, with its diagnostics
    from accountrules import Engine
    from accountrules.casefile import compute_coverage, find_case_files, load_cases, make_engines, run_case
    from accountrules.diff import iter_replay_cases, replay
    from accountrules.lint import lint

    guide = (DOCS / "authoring.md").read_text(encoding="utf-8")
    item = next(b for b in _yaml_blocks(guide) if b.startswith("  - id: P5"))
    cases = next(b for b in _yaml_blocks(guide) if b.startswith("  - name: P5"))
    before, after = tmp_path / "before", tmp_path / "rules"
    shutil.copytree(default_rulebook_dir(), before)
    shutil.copytree(default_rulebook_dir(), after)
    (after / "zz_p5.yaml").write_text("items:\n" + item, encoding="utf-8")
    engines = make_engines(after, ("python",))
    book = engines["python"].rulebook
    assert "P5" in book.items
    assert not [d for d in lint(book) if d.severity == "error"]

    def coverage() -> tuple[bool, list[str]]:
        results = [r for p in find_case_files(after) for c in load_cases(p) for r in run_case(c, engines)]
        return all(r.ok for r in results), [p.label for p in compute_coverage(book, results).unexercised]

    assert coverage() == (True, ["行政处罚法 第六十一条第一款 (S09)"])
    sit = after / "situations.cases.yaml"
    sit.write_text(sit.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + cases, encoding="utf-8")
    assert coverage() == (True, [])
    diffs = replay(Engine(load_rulebook(before), backend="python"), engines["python"],
                   list(iter_replay_cases([after])))
    assert [d.label.rsplit(" ", 1)[0].split(":")[0] for d in diffs] == [str(sit)] * 2
    assert all(d.changes[0].field == "error" and d.changes[0].old == "unknown-code" for d in diffs)


def test_docs_of_another_rulebook_go_next_to_it_and_the_hint_names_the_command(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    runner = CliRunner()
    res = runner.invoke(command, ["--rules", str(book)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (book / "docs").iterdir()) == sorted(GENERATED)
    (book / "docs" / "facts.md").write_text("edited by hand\n", encoding="utf-8")
    res = runner.invoke(command, ["--rules", str(book), "--check"])
    assert res.exit_code == 1
    assert f"run `accountrules docs --rules {book} --out {book / 'docs'}`" in res.output


def test_docs_for_a_rulebook_go_next_to_it_and_the_hint_names_that_command(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`docs --rules DIR` writes DIR/docs by default (never the working directory's docs/), and the
    stale hint of `--check` names the command that regenerates exactly those files."""
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    runner = CliRunner()
    res = runner.invoke(command, ["--rules", str(book)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (book / "docs").iterdir()) == sorted(GENERATED)
    assert not (cwd / "docs").exists()
    (book / "docs" / "facts.md").write_text("edited by hand\n", encoding="utf-8")
    res = runner.invoke(command, ["--rules", str(book), "--check"])
    assert res.exit_code == 1
    hint = res.output.split("run `", 1)[1].split("`", 1)[0]
    assert hint.startswith(f"accountrules docs --rules {book}")
    res = runner.invoke(command, hint.split()[2:])
    assert res.exit_code == 0 and res.output.count("wrote ") == 1
    assert runner.invoke(command, ["--rules", str(book), "--check"]).exit_code == 0


def test_the_catalogue_lists_the_code_maps() -> None:
    from accountrules.authoring.catalog import catalog_dict

    book = load_rulebook(ROOT / "tests" / "fixtures" / "newtown")
    assert catalog_dict(book)["code_maps"] == [{"from_rulebook": "guizhou-bijie-default",
                                                "items": {"P2": "A1", "F1": "A2", "F2": "A2", "D1": None},
                                                "circumstances": {"AG2": "J1"}, "note": None}]
    pages = generate(book)
    zh, en = pages["catalog.zh.md"], pages["catalog.en.md"]
    assert "## 其他规则库的代码（code_maps）" in zh and "| 情形 | `P2` | `A1` 未依法告知、听取陈述申辩 |" in zh
    assert "| 情形 | `D1` | 无对应（案件不予评价） |" in zh
    assert "### A case written for guizhou-bijie-default" in en and "| circumstance | `AG2` | `J1` " in en
    assert "code_maps" not in generate(load_rulebook(MINI))["catalog.en.md"]  # a rulebook without maps: no section
