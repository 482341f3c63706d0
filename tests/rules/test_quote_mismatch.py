"""A quote that is not the official text: the error shows the official text nearest to it, the
differences marked ⟦…⟧, and the provision (款/项) where that text stands."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accountrules.errors import RuleFileError
from accountrules.rules import load_rulebook
from accountrules.rules.law import nearest_passage, quote_in_article
from accountrules.rules.pinpoint import provision_of_line

from ..conftest import MINI

ARTICLE = ("决策草案提交决策机关讨论前，应当由负责合法性审查的部门进行合法性审查。不得以征求意见等方式代替合法性审查。\n"
           "决策草案未经合法性审查或者经审查不合法的，不得提交决策机关讨论。对国家尚无明确规定的探索性改革决策事项，"
           "可以明示法律风险，提交决策机关讨论。")
ITEMS = "有下列情形之一的，依法追究责任：\n（一）未经审查的；\n（二）审查不合法仍提交的。\n前款规定以外的，从轻处理。"


def test_one_character_changed() -> None:
    near = nearest_passage(ARTICLE, "决策草稿未经合法性审查或者经审查不合法的，不得提交决策机关讨论。")
    assert near is not None and near.line == 1 and near.ratio > 0.9
    assert "决策草⟦案⟧未经合法性审查" in near.official and "决策草⟦稿⟧未经合法性审查" in near.quoted
    assert near.official.startswith("…")  # the article goes on before the passage


def test_a_part_after_an_omission() -> None:
    quote = "决策草案未经合法性审查……对国家尚有明确规定的探索性改革决策事项"
    assert not quote_in_article(ARTICLE, quote)
    near = nearest_passage(ARTICLE, quote)
    assert near is not None
    assert "对国家尚⟦无⟧明确规定" in near.official and "对国家尚⟦有⟧明确规定" in near.quoted


def test_words_left_out() -> None:
    near = nearest_passage(ARTICLE, "应当由负责合法性审查的部门进行审查")
    assert near is not None and near.line == 0
    assert "部门进行⟦合法性⟧审查" in near.official and "部门进行⟦⟧审查" in near.quoted


def test_a_matching_quote_has_no_nearest_passage() -> None:
    assert nearest_passage(ARTICLE, "决策草案未经合法性审查……提交决策机关讨论。") is None


def test_provision_of_a_line() -> None:
    assert provision_of_line(ARTICLE, 25, 1) == "第二十五条第二款"
    assert provision_of_line(ITEMS, 28, 2) == "第二十八条第一款第（二）项"
    assert provision_of_line(ITEMS, 28, 3) == "第二十八条第二款"
    assert provision_of_line("只有一款。", 3, 0) == "第三条"


def _load_with(tmp_path: Path, quote: str) -> str:
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    (book / "extra.yaml").write_text(
        "chain:\n  - id: x-chain\n    title: {zh: 测试, en: test}\n    when: {fact: finding.named, eq: true}\n"
        "    then: {responsibility: direct}\n"
        f"    citations: [{{instrument: S09, article: 第四十四条, quote: \"{quote}\"}}]\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(book)
    [diag] = [d for d in exc.value.diagnostics if d.code == "quote-mismatch"]
    assert diag.span is not None and (diag.span.line, diag.span.column) == (6, 58)
    return diag.message


def test_validate_shows_the_official_text(tmp_path: Path) -> None:
    msg = _load_with(tmp_path, "行政机关在作出行政处罚决定之前，应当告知当事人拟作出的行政处分内容及事实、理由、依据")
    assert "Nearest official text, in 第四十四条:" in msg
    assert "拟作出的行政处⟦罚⟧内容" in msg and "拟作出的行政处⟦分⟧内容" in msg


def test_validate_with_nothing_close_shows_the_article(tmp_path: Path) -> None:
    msg = _load_with(tmp_path, "完全不相干的一句话")
    assert "No passage of 第四十四条 is close to it; the article reads: 行政机关在作出行政处罚决定之前" in msg
