"""Tests for accountrules.law: numerals, parsing of the official texts, quotes."""

from __future__ import annotations

from pathlib import Path

import pytest

from accountrules.law import (
    LawLibrary,
    article_label,
    cn_to_int,
    int_to_cn,
    normalize,
    parse_article_ref,
    parse_law_text,
    quote_in_article,
)

LAW_DIR = Path(__file__).resolve().parents[2] / "rules" / "law"
PENALTY_LAW = LAW_DIR / "行政处罚法(2021-01-22).md"


@pytest.fixture(scope="module")
def library() -> LawLibrary:
    return LawLibrary.from_dir(LAW_DIR)


@pytest.fixture(scope="module")
def penalty_articles() -> dict[int, str]:
    return parse_law_text(PENALTY_LAW.read_text(encoding="utf-8"))


def test_numerals_round_trip() -> None:
    for n in range(1, 1201):
        assert cn_to_int(int_to_cn(n)) == n


@pytest.mark.parametrize(
    ("n", "cn"),
    [
        (1, "一"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (99, "九十九"),
        (101, "一百零一"),
        (110, "一百一十"),
        (128, "一百二十八"),
        (1000, "一千"),
        (1001, "一千零一"),
        (1010, "一千零一十"),
        (1200, "一千二百"),
    ],
)
def test_int_to_cn(n: int, cn: str) -> None:
    assert int_to_cn(n) == cn
    assert cn_to_int(cn) == n


def test_cn_to_int_variants() -> None:
    assert cn_to_int("两百") == 200
    assert cn_to_int("一十") == 10
    with pytest.raises(ValueError):
        cn_to_int("四十x")
    with pytest.raises(ValueError):
        cn_to_int("")
    with pytest.raises(ValueError):
        int_to_cn(0)


def test_article_label_and_ref() -> None:
    assert article_label(128) == "第一百二十八条"
    assert article_label(44) == "第四十四条"
    for ref in ("第四十四条", "44", "art 44", "Art. 44", "第44条", "四十四"):
        assert parse_article_ref(ref) == 44
    with pytest.raises(ValueError):
        parse_article_ref("section 4")


def test_parse_penalty_law_article_44(penalty_articles: dict[int, str]) -> None:
    art44 = penalty_articles[44]
    assert art44.startswith("行政机关在作出行政处罚决定之前，应当告知当事人拟作出的行政处罚内容")
    assert "陈述、申辩、要求听证等权利" in art44
    assert not art44.startswith("第")


def test_parse_penalty_law_counts(penalty_articles: dict[int, str]) -> None:
    assert len(penalty_articles) == max(penalty_articles) == 86
    assert sorted(penalty_articles) == list(range(1, 87))
    # Multi-paragraph article: paragraphs joined with newlines, headings excluded.
    art5 = penalty_articles[5]
    assert art5.count("\n") == 2
    assert art5.endswith("未经公布的，不得作为行政处罚的依据。")
    assert "#" not in "".join(penalty_articles.values())
    # The metadata block is not part of any article.
    assert "1996年3月17日" not in penalty_articles[1]


def test_parse_law_text_synthetic() -> None:
    text = (
        "# 某法\n\n2020年1月1日 通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n"
        "第一条 甲。\n\n乙。\n\n## 第二章 其他\n\n第二条\u3000丙。\n\n第十条 丁。\n"
    )
    assert parse_law_text(text) == {1: "甲。\n乙。", 2: "丙。", 10: "丁。"}


def test_parse_unmarked_headings() -> None:
    # Chapter titles without "## 第N章" (as in 河南省行政执法条例) and a zero-width line.
    text = "<!-- INFO END -->\n\u200b\n第一条 甲。\n\n行政执法程序\n\n第二章 监督\n\n第二条 乙；\n"
    assert parse_law_text(text) == {1: "甲。", 2: "乙；"}


def test_henan_bare_chapter_titles_excluded(library: LawLibrary) -> None:
    art21 = library.article("河南省行政执法条例", "2016-03-29", 21)
    assert art21 is not None
    assert art21.endswith("法律、行政法规对行政执法证另有规定的除外。")
    assert "行政执法程序" not in art21


def test_all_files_parse_completely(library: LawLibrary) -> None:
    assert len(library.files) == 20
    for name, version in library.files:
        articles = library.articles(name, version)
        assert sorted(articles) == list(range(1, max(articles) + 1)), (name, version)


def test_library_lookup(library: LawLibrary) -> None:
    assert library.versions("行政复议法") == ["2017-09-01", "2023-09-01"]
    assert library.versions("不存在的法") == []
    text = library.article("行政处罚法", "2021-01-22", 44)
    assert text is not None and text.startswith("行政机关在作出行政处罚决定之前")
    assert library.article("行政处罚法", "2021-01-22", 999) is None
    assert library.article("行政处罚法", "1996-03-17", 44) is None


def test_normalize() -> None:
    assert normalize(" 第 一\u3000条\n甲\t") == "第一条甲"


def test_quote_matching(penalty_articles: dict[int, str]) -> None:
    art44 = penalty_articles[44]
    assert quote_in_article(art44, "行政机关在作出行政处罚决定之前，应当告知当事人")
    assert quote_in_article(art44, "行政机关在作出行政处罚决定之前，\u3000应当告知 当事人")
    # Ellipsis: segments must occur in order.
    assert quote_in_article(art44, "行政机关在作出行政处罚决定之前……要求听证等权利")
    assert quote_in_article(art44, "行政机关…应当告知当事人……要求听证等权利。")
    assert not quote_in_article(art44, "要求听证等权利……行政机关在作出行政处罚决定之前")
    # One wrong character fails (之前 -> 以前).
    assert not quote_in_article(art44, "行政机关在作出行政处罚决定以前，应当告知当事人")
    assert not quote_in_article(art44, "")
    assert not quote_in_article(art44, "……")
    # Quote across paragraphs of one article.
    assert quote_in_article(penalty_articles[5], "行政处罚遵循公正、公开的原则。设定和实施行政处罚")
