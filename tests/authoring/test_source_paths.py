"""Sources are named the same whatever the spelling of the rulebook's path and the working directory:
the catalogue (`accountrules docs --check`) and the reasons' ``source`` fields do not change when the
same rulebook is given as ``hillcounty``, ``./hillcounty``, an absolute path or ``.``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from accountrules import load_rulebook
from accountrules.cli.docs import command as docs_command
from accountrules.cli.evaluate import command as evaluate_command
from accountrules.docs import generate
from accountrules.rules import default_rulebook_dir

from ..conftest import ROOT

HILLCOUNTY = ROOT / "tests" / "fixtures" / "hillcounty"
CASE = ROOT / "tests" / "fixtures" / "hillcounty-cases" / "hc-2024-031.yaml"


def _copy(tmp_path: Path) -> Path:
    book = tmp_path / "work" / "hillcounty"
    shutil.copytree(HILLCOUNTY, book)
    return book


def _sources(out: str) -> list[str]:
    found: list[str] = []

    def walk(x: object) -> None:
        if isinstance(x, dict):
            found.extend(v for k, v in x.items() if k == "source" and isinstance(v, str))
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(json.loads(out))
    return found


def test_the_catalogue_and_the_reasons_do_not_depend_on_the_spelling(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    book = _copy(tmp_path)
    pages, outputs = [], []
    for cwd, spelling in ((book.parent, "hillcounty"), (book.parent, "./hillcounty"), (book, "."),
                          (tmp_path, str(book)), (tmp_path, "work/hillcounty/")):
        monkeypatch.chdir(cwd)
        pages.append(generate(load_rulebook(spelling)))
        res = CliRunner().invoke(evaluate_command, ["--rules", spelling, str(CASE), "--format", "json"])
        assert res.exit_code in (0, 1), res.output
        outputs.append(_sources(res.output))
    assert all(p == pages[0] for p in pages)
    assert "| hillcounty/rules.yaml:" in pages[0]["catalog.zh.md"]
    assert outputs[0] and all(o == outputs[0] for o in outputs)
    assert all(s.startswith("hillcounty/") for s in outputs[0]), outputs[0]


def test_docs_check_passes_after_docs_written_from_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = _copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = book / "docs"
    assert CliRunner().invoke(docs_command, ["--rules", "work/hillcounty", "--out", str(out)]).exit_code == 0
    monkeypatch.chdir(book)
    res = CliRunner().invoke(docs_command, ["--rules", ".", "--out", "docs", "--check"])
    assert res.exit_code == 0 and "up to date" in res.output, res.output


def test_a_bundled_rulebook_keeps_its_source_tree_name_by_any_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "src")
    assert load_rulebook(str(default_rulebook_dir())).display_root == "rules"
    assert load_rulebook(str(ROOT / "rulebooks" / "shandong-supervision")).display_root == \
        "rulebooks/shandong-supervision"
    monkeypatch.chdir(ROOT / "rulebooks" / "shandong-supervision")
    book = load_rulebook(".")
    assert book.source(book.rules[0].span).startswith("rulebooks/shandong-supervision/")
