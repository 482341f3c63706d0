"""A ``{placeholder}`` that would be printed unfilled is an error of ``validate`` and ``lint``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from accountrules.cli.lint import command as lint_command
from accountrules.errors import RuleFileError
from accountrules.rules import load_rulebook

from ..conftest import MINI

RULE = """\
status_rules:
  - id: x-status
    title: {zh: 测试, en: test}
    explain: {zh: '复议纠错（{case.origin}）', en: corrected}
    when: {fact: case.effective, eq: true}
    then: {status: error_case, definition: T3}
    exception_to: []
    citations: [{instrument: S09, article: 第四十四条}]
"""


def _book(tmp_path: Path, extra: str) -> Path:
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    (book / "extra.yaml").write_text(extra, encoding="utf-8")
    return book


def _errors(book: Path) -> list[tuple[str, int, int, str]]:
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(book)
    return [(d.code, d.span.line, d.span.column, d.message) for d in exc.value.diagnostics if d.span]


def test_a_fact_of_the_stage_in_explain_is_fine(tmp_path: Path) -> None:
    load_rulebook(_book(tmp_path, RULE))  # {case.origin} is filled whatever the condition tests


def test_a_fact_of_another_stage_is_an_error_of_validate_and_lint(tmp_path: Path) -> None:
    book = _book(tmp_path, RULE.replace("{case.origin}", "{outcome.definition}"))
    [(code, line, col, msg)] = _errors(book)
    text = (book / "extra.yaml").read_text(encoding="utf-8").splitlines()[3]
    assert (code, line, col) == ("unknown-fact", 4, text.index("{outcome.definition}") + 1)  # at the placeholder
    assert "'{outcome.definition}' in explain.zh cannot be filled" in msg and "stage 'case'" in msg
    res = CliRunner().invoke(lint_command, [str(book)])
    assert res.exit_code == 1 and f"extra.yaml:4:{col}: unknown-fact" in res.output


def test_any_placeholder_in_a_title_is_an_error(tmp_path: Path) -> None:
    book = _book(tmp_path, RULE.replace("title: {zh: 测试, en: test}", "title: {zh: '测试{case.origin}', en: test}"))
    [(code, line, _col, msg)] = _errors(book)
    assert (code, line) == ("unknown-fact", 3) and "'{case.origin}' in title.zh is never filled" in msg


def test_a_placeholder_in_a_catalogue_text_is_an_error(tmp_path: Path) -> None:
    book = _book(tmp_path, "categories:\n  - {id: Q, name: {zh: 程序, en: 'procedure {case.origin}'}}\n")
    [(code, line, col, msg)] = _errors(book)
    text = (book / "extra.yaml").read_text(encoding="utf-8").splitlines()[1]
    assert (code, line, col) == ("unknown-fact", 2, text.index("{case.origin}") + 1)
    assert "'{case.origin}' in name.en is never filled" in msg
