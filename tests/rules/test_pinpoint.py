"""Quote pinpoints: a quote cited as 第X条第Y款第（Z）项第N目 stands inside that 款, 项 or 目."""

from __future__ import annotations

import re

from accountrules.authoring.lint import iter_citations
from accountrules.rules import Rulebook
from accountrules.rules.law import LawLibrary
from accountrules.rules.pinpoint import Pinpoint, parse_pinpoint, pinpoint_problem, structure

from ..conftest import ROOT

ART = "\n".join([  # noqa: FLY002 - one paragraph a line reads as the law
    "行政机关应当按照下列规定作出决定：",
    "（一）事实清楚的，决定维持；",
    "（二）有下列情形之一的，决定撤销：",
    "1.主要事实不清的；",
    "2.适用依据错误的；",
    "（三）不履行职责的，决定履行。",
    "前款规定的期限，不得超过三十日。",
    "当事人可以申请复核：",
    "（一）对决定不服的；",
])


def test_parse() -> None:
    assert parse_pinpoint("第二十八条第一款第（三）项第4目") == Pinpoint(28, 1, 3, 4)
    assert parse_pinpoint("第七十条第（三）项") == Pinpoint(70, None, 3)
    assert parse_pinpoint("第四十五条第一款") == Pinpoint(45, 1)
    assert parse_pinpoint("第三条") == Pinpoint(3)
    assert parse_pinpoint("无条文") is None
    assert Pinpoint(28, 1, 3, 4).label() == "第二十八条第一款第（三）项第4目"


def test_structure() -> None:
    paras = structure(ART)
    assert len(paras) == 3
    assert sorted(paras[0].items) == [1, 2, 3] and sorted(paras[0].items[2].subs) == [1, 2]
    assert paras[1].items == {} and sorted(paras[2].items) == [1]


def test_quotes_inside_their_pinpoint_pass() -> None:
    assert pinpoint_problem(ART, "第一条第一款第（一）项", "（一）事实清楚的，决定维持；") is None
    assert pinpoint_problem(ART, "第一条第一款第（一）项", "按照下列规定作出决定……（一）事实清楚的") is None
    assert pinpoint_problem(ART, "第一条第二款", "不得超过三十日") is None
    assert pinpoint_problem(ART, "第一条第（三）项", "不履行职责的") is None
    assert pinpoint_problem(ART, "第一条第三款第（一）项", "对决定不服的") is None
    assert pinpoint_problem(ART, "第一条第一款第（二）项第2目", "决定撤销……2.适用依据错误的") is None
    assert pinpoint_problem(ART, "第一条第一款第（二）项", "1.主要事实不清的；2.适用依据错误的；") is None


def test_quotes_outside_their_pinpoint_fail() -> None:
    assert pinpoint_problem(ART, "第一条第一款第（二）项", "（一）事实清楚的") == "the quote is not inside that 项."
    assert pinpoint_problem(ART, "第一条第二款", "事实清楚的") == "the quote is not inside that 款."
    assert pinpoint_problem(ART, "第一条第四款", "事实清楚的") == "the article has 3 款."
    assert pinpoint_problem(ART, "第一条第二款第（一）项", "前款") == "there is no such 项 (or not in that 款)."
    assert pinpoint_problem(ART, "第一条第一款第（二）项第1目", "适用依据错误") == "the quote is not inside that 项 or 目."


def test_a_quote_of_one_sub_item_is_cited_down_to_it() -> None:
    problem = pinpoint_problem(ART, "第一条第一款第（二）项", "决定撤销……2.适用依据错误的")
    assert problem == "the quote is its 目 2 (a numbered sub-item): cite it as 第一条第一款第（二）项第2目."


def test_reconsideration_law_2017_article_28_is_cited_to_the_sub_item(default_book: Rulebook) -> None:
    lib = LawLibrary.from_dir(ROOT / "rules" / "law")
    inst = next(i for i in default_book.instruments.values() if i.official_text and "2017-09-01" in i.official_text
                and "行政复议法" in i.official_text)
    text = lib.article_by_file(inst.official_text or "", 28)
    assert text is not None
    cited = [c for _, _, c in iter_citations(default_book) if c.instrument == inst.id and c.quote
             and c.article.startswith("第二十八条第一款第（三）项") and re.search(r"……\d\.", c.quote)]
    assert len(cited) >= 5
    for c in cited:
        assert c.article.endswith("目"), c.article
        assert pinpoint_problem(text, c.article, c.quote or "") is None
        assert pinpoint_problem(text, c.article[: c.article.index("项") + 1], c.quote or "") is not None


def test_every_official_pinpoint_of_the_default_rulebook_holds(default_book: Rulebook) -> None:
    lib = LawLibrary.from_dir(ROOT / "rules" / "law")
    checked = 0
    for _, _, c in iter_citations(default_book):
        inst = default_book.instruments[c.instrument]
        p = parse_pinpoint(c.article)
        if c.quote and inst.official_text and p is not None and (p.paragraph or p.item):
            text = lib.article_by_file(inst.official_text, p.article)
            assert text is not None and pinpoint_problem(text, c.article, c.quote) is None, (c.instrument, c.article)
            checked += 1
    assert checked > 100
