"""Wording: facts, values and conditions as a lawyer reads them, in Chinese or English.

The engine reasons with codes (``case.outcome == revoked``); what it prints reads as prose
(纠错结论：撤销). Every word comes from the rulebook's labels (:mod:`accountrules.rules.labels`), so
a rulebook in another jurisdiction words its output its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .labels import CODED, FACT_KIND

if TYPE_CHECKING:
    from ..conditions import Checked
    from .validate import Rulebook

#: keys of a reason's ``facts`` that are not fact paths: their label kind
_EXTRA_KIND = {"grade": "grade", "responsibility": "responsibility", "level": "level"}
_EXTRA_LABEL = {
    "grade": {"zh": "情形等级", "en": "grade"},
    "responsibility": {"zh": "责任类型", "en": "responsibility"},
    "level": {"zh": "问责层级", "en": "level"},
}

_SEP = {"zh": "、", "en": ", "}
_NONE = {"zh": "无", "en": "none"}

#: condition operators: (zh, en) phrasing of "the fact should …"
_OPS: dict[str, tuple[str, str]] = {
    "eq": ("应为", "should be"),
    "ne": ("不应为", "should not be"),
    "in": ("应为下列之一：", "should be one of"),
    "not_in": ("不应为下列任何一项：", "should be none of"),
    "lt": ("应小于", "should be below"),
    "le": ("应不超过", "should be at most"),
    "gt": ("应大于", "should be above"),
    "ge": ("应不少于", "should be at least"),
    "contains": ("应包含", "should include"),
    "excludes": ("不应包含", "should not include"),
    "contains_any": ("应包含下列任一项：", "should include one of"),
    "contains_none": ("不应包含下列任何一项：", "should include none of"),
}


def _kind(key: str) -> str | None:
    return FACT_KIND.get(key) or _EXTRA_KIND.get(key)


def value_text(book: Rulebook, key: str, value: Any, lang: str) -> str:
    """A fact's value in words: labels for codes, 是/否 for booleans, rulebook codes kept (P2, T3)."""
    if isinstance(value, bool):
        return book.label("bool", "true" if value else "false", lang)
    if isinstance(value, list | tuple):
        return _SEP[lang].join(value_text(book, key, v, lang) for v in value) or _NONE[lang]
    kind = _kind(key)
    if kind is None or not isinstance(value, str):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if value == "" and kind == "definition":
        return _NONE[lang]
    if kind in CODED:
        return value
    try:
        return book.label(kind, value, lang)
    except LookupError:
        return value


def fact_label(book: Rulebook, key: str, lang: str) -> str:
    """The name of a fact path (or of a reason's extra key such as ``grade``)."""
    extra = _EXTRA_LABEL.get(key)
    if extra is not None:
        return extra[lang]
    try:
        return book.label("fact", key, lang)
    except LookupError:
        return key


def facts_text(book: Rulebook, facts: Mapping[str, Any], lang: str) -> str:
    """``纠错机关：行政复议机关；纠错结论：撤销`` — the facts a reason rests on, in words."""
    if lang == "zh":
        return "；".join(f"{fact_label(book, k, lang)}：{value_text(book, k, v, lang)}" for k, v in facts.items())
    return "; ".join(f"{fact_label(book, k, lang)}: {value_text(book, k, v, lang)}" for k, v in facts.items())


def checked_text(book: Rulebook, checked: Checked, lang: str) -> str:
    """A test that failed, in words: ``有尽职审核的记录应为是，实际为否``."""
    t = checked.test
    zh, en = _OPS[t.op]
    want = value_text(book, t.path, t.value, lang)
    actual = value_text(book, t.path, checked.actual, lang)
    name = fact_label(book, t.path, lang)
    if lang == "zh":
        return f"{name}{zh}{want}，实际为{actual}"
    return f"{name} {en} {want} (it is {actual})"
