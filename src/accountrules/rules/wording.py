"""Wording: facts, values and conditions as a lawyer reads them, in Chinese or English.

The engine reasons with codes (``case.outcome == revoked``); what it prints reads as prose
(纠错结论：撤销). Every word comes from the rulebook's labels (:mod:`accountrules.rules.labels`), so
a rulebook in another jurisdiction words its output its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..language.facts import FACTS, FAULT_RANK, IMPACT_RANK
from .labels import CODED, FACT_KIND

if TYPE_CHECKING:
    from ..language.conditions import Checked
    from .validate import Rulebook

#: keys of a reason's ``facts`` that are not fact paths: their label kind
_EXTRA_KIND = {"grade": "grade", "responsibility": "responsibility", "level": "level",
               "level_at_conduct_date": "level", "level_at_evaluation_date": "level"}
_EXTRA_LABEL = {
    "grade": {"zh": "情形等级", "en": "grade"},
    "responsibility": {"zh": "责任类型", "en": "responsibility"},
    "level": {"zh": "问责层级", "en": "level"},
    "conduct_date": {"zh": "行为发生日期", "en": "date of the conduct"},
    "evaluation_date": {"zh": "评价日期", "en": "date of evaluation"},
    "level_at_conduct_date": {"zh": "依行为时规定的问责层级", "en": "level under the law at the conduct date"},
    "level_at_evaluation_date": {"zh": "依评价时规定的问责层级", "en": "level under the law at the date of evaluation"},
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


_UNITS = {"yuan": ("{}元", "{} yuan"), "months": ("{}个月", "{} months"), "years": ("{}年", "{} years")}


def number_text(value: float | None, unit: str, lang: str) -> str:
    """A parameter's value in words: a rate as a percentage (0.3 → 30%), an amount or period with its unit."""
    if value is None:
        return "（无当时有效的值）" if lang == "zh" else "(no value in force)"
    if unit == "rate":
        return f"{round(value * 100, 4):g}%"
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    forms = _UNITS.get(unit)
    return forms[lang != "zh"].format(shown) if forms else shown


#: number facts that are rates (0–1): printed as percentages, like a ``rate`` parameter
RATE_FACTS = frozenset(p for p, spec in FACTS.items() if spec.type == "number" and p.endswith("_rate"))
#: int facts that are ranks of a closed vocabulary: printed as the label of that rank (故意, not 3)
_RANKED: dict[str, tuple[str, dict[int, str]]] = {
    **{p: ("fault", {r: f for f, r in FAULT_RANK.items()}) for p, spec in FACTS.items()
       if spec.type == "int" and p.endswith("fault_rank")},
    "case.consequences.social_impact_rank": ("social_impact", {r: i for i, r in IMPACT_RANK.items()}),
}


def _number(book: Rulebook, key: str, value: float, lang: str) -> str | None:
    """A rate as a percentage, a fault or impact rank as its label; None for any other number."""
    if key in RATE_FACTS:
        return number_text(value, "rate", lang)
    ranked = _RANKED.get(key)
    if ranked is not None and value in ranked[1]:
        try:
            return book.label(ranked[0], ranked[1][int(value)], lang)
        except LookupError:
            return None
    return None


def _kind(key: str) -> str | None:
    return FACT_KIND.get(key) or _EXTRA_KIND.get(key)


def value_text(book: Rulebook, key: str, value: Any, lang: str, *, leader: bool | None = None) -> str:
    """A fact's value in words: labels for codes, 是/否 for booleans, rulebook codes kept (P2, T3);
    a responsibility is named for a leading cadre or not (``leader``; unknown: not)."""
    if key.startswith("param.") and key[6:] in book.parameters:
        return number_text(value, book.parameters[key[6:]].unit, lang)
    if key == "responsibility" and isinstance(value, str) and value in book.responsibilities:
        return book.responsibility_label(value, lang, leader=bool(leader))
    if isinstance(value, bool):
        return book.label("bool", "true" if value else "false", lang)
    if isinstance(value, int | float) and (shown := _number(book, key, value, lang)) is not None:
        return shown
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
    if key.startswith("param.") and key[6:] in book.parameters:
        return book.parameters[key[6:]].name.get(lang)
    try:
        return book.label("fact", key, lang)
    except LookupError:
        return key


def facts_text(book: Rulebook, facts: Mapping[str, Any], lang: str, *, leader: bool | None = None) -> str:
    """``纠错机关：行政复议机关；纠错结论：撤销`` — the facts a reason rests on, in words."""
    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    return sep.join(f"{fact_label(book, k, lang)}{colon}{value_text(book, k, v, lang, leader=leader)}"
                    for k, v in facts.items())


def checked_text(book: Rulebook, checked: Checked, lang: str) -> str:
    """A test that failed, in words: ``有尽职审核的记录应为是，实际为否``."""
    t = checked.test
    zh, en = _OPS[t.op]
    want = value_text(book, t.path, t.value, lang)
    if t.param is not None and t.param in book.parameters:
        par = book.parameters[t.param]
        want = f"{par.name.get(lang)}" + (f"（{number_text(t.value, par.unit, lang)}）" if lang == "zh" else
                                         f" ({number_text(t.value, par.unit, lang)})")
    actual = value_text(book, t.path, checked.actual, lang)
    name = fact_label(book, t.path, lang)
    if lang == "zh":
        return f"{name}{zh}{want}，实际为{actual}"
    return f"{name} {en} {want} (it is {actual})"
