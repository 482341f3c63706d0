"""Pinpoints: a quote cited as 第X条第Y款第（Z）项第N目 must stand inside that 款, 项 or 目.

An article of an official text (:func:`accountrules.rules.law.parse_law_text`) is a list of paragraphs.
Each paragraph that is not an item is a 款 (paragraph); a paragraph that starts with （一）, （二）…
is a 项 (item) of the 款 before it; a paragraph that starts with 1. 2. … inside an item is a 目
(sub-item) of that item. A quote of an item may carry its 款's lead-in (按照下列规定……（三）……), and
a quote of a sub-item its item's lead-in, as quotes of Chinese law customarily do.

:func:`pinpoint_problem` says what is wrong with a citation's pinpoint, or nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .law import cn_to_int, int_to_cn, quote_in_article

_REF = re.compile(
    r"^第(?P<art>[〇零一二两三四五六七八九十百千]+)条"
    r"(?:第(?P<para>[一二三四五六七八九十]+)款)?"
    r"(?:第[（(](?P<item>[一二三四五六七八九十]+)[)）]项)?"
    r"(?:第(?P<sub>\d+)目)?$"
)
_ITEM = re.compile(r"^[（(]([一二三四五六七八九十]+)[)）]")
_SUB = re.compile(r"^(\d+)[.．、]")


@dataclass(frozen=True)
class Pinpoint:
    """第X条 with its optional 款, 项 and 目 (numbers)."""

    article: int
    paragraph: int | None = None
    item: int | None = None
    sub: int | None = None

    def label(self) -> str:
        """``第二十八条第一款第（三）项第4目``."""
        out = f"第{int_to_cn(self.article)}条"
        if self.paragraph:
            out += f"第{int_to_cn(self.paragraph)}款"
        if self.item:
            out += f"第（{int_to_cn(self.item)}）项"
        if self.sub:
            out += f"第{self.sub}目"
        return out


def parse_pinpoint(article: str) -> Pinpoint | None:
    """``第二十八条第一款第（三）项`` → its numbers; None for anything else (several articles …)."""
    m = _REF.match(article.strip())
    if m is None:
        return None
    para, item, sub = m.group("para"), m.group("item"), m.group("sub")
    return Pinpoint(cn_to_int(m.group("art")), cn_to_int(para) if para else None,
                    cn_to_int(item) if item else None, int(sub) if sub else None)


@dataclass
class _Item:
    lead: str
    subs: dict[int, str] = field(default_factory=dict)


@dataclass
class _Paragraph:
    lead: list[str]
    items: dict[int, _Item] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


def structure(article_text: str) -> list[_Paragraph]:
    """The 款 of an article, each with its 项 and their 目."""
    paragraphs: list[_Paragraph] = []
    item: _Item | None = None
    for line in article_text.split("\n"):
        mi, ms = _ITEM.match(line), _SUB.match(line)
        if mi is not None:
            if not paragraphs:
                paragraphs.append(_Paragraph(lead=[]))
            item = _Item(line)
            paragraphs[-1].items.setdefault(cn_to_int(mi.group(1)), item)
        elif ms is not None and item is not None:
            item.subs.setdefault(int(ms.group(1)), line)
        else:
            paragraphs.append(_Paragraph(lead=[line]))
            item = None
        paragraphs[-1].lines.append(line)
    return paragraphs


def _item_scopes(paras: list[_Paragraph], p: Pinpoint) -> list[tuple[list[str], _Item]]:
    if p.item is None:
        return []
    chosen = [paras[p.paragraph - 1]] if p.paragraph else paras
    return [(par.lead, par.items[p.item]) for par in chosen if p.item in par.items]


def pinpoint_problem(article_text: str, article: str, quote: str) -> str | None:
    """What is wrong with citing ``quote`` as ``article`` of ``article_text`` (None: nothing).

    The quote is known to occur in the article; this checks that it occurs inside the cited 款,
    项 or 目, and that a quote of one 目 of an item is cited down to that 目.
    """
    p = parse_pinpoint(article)
    if p is None or (p.paragraph is None and p.item is None):
        return None
    paras = structure(article_text)
    if p.paragraph is not None and p.paragraph > len(paras):
        return f"the article has {len(paras)} 款."
    if p.item is None:
        if not quote_in_article("\n".join(paras[p.paragraph - 1].lines), quote):  # type: ignore[operator]
            return "the quote is not inside that 款."
        return None
    scopes = _item_scopes(paras, p)
    if not scopes:
        return "there is no such 项 (or not in that 款)."
    for lead, item in scopes:
        if p.sub is not None:
            if p.sub not in item.subs:
                continue
            if quote_in_article("\n".join([*lead, item.lead, item.subs[p.sub]]), quote):
                return None
            continue
        if not quote_in_article("\n".join([*lead, item.lead, *item.subs.values()]), quote):
            continue
        if quote_in_article("\n".join([*lead, item.lead]), quote):
            return None
        within = [n for n, s in item.subs.items() if quote_in_article("\n".join([*lead, item.lead, s]), quote)]
        if len(within) == 1:
            precise = Pinpoint(p.article, p.paragraph, p.item, within[0])
            return f"the quote is its 目 {within[0]} (a numbered sub-item): cite it as {precise.label()}."
        return None
    return "the quote is not inside that 项" + (" or 目." if p.sub else ".")


def provision_of_line(article_text: str, article: int, line: int) -> str:
    """The 款 (and 项) of an article that its ``line``-th line (0-based) belongs to:
    ``第二十五条第二款``, ``第二十八条第一款第（三）项``; the article alone when it has one 款."""
    paragraphs = structure(article_text)
    seen = 0
    for k, par in enumerate(paragraphs, start=1):
        if line < seen + len(par.lines):
            text = par.lines[line - seen]
            item = next((n for n, it in par.items.items() if it.lead == text or text in it.subs.values()), None)
            para = k if len(paragraphs) > 1 else None
            return Pinpoint(article, para, item).label()
        seen += len(par.lines)
    return Pinpoint(article).label()
