"""从旧兼从轻: a person's sanction under the law at the conduct date and under the law at the date of
evaluation, the lighter applied, both explained.

The legality of the original act and the person's substantive liability follow the conduct date;
but for a case not yet closed, a newer law applies where it treats the conduct more lightly
(政务处分法 第六十七条; 纪律处分条例（2023）第一百五十八条第二款 [P]). :func:`decide` evaluates the
case twice when the law may have changed between the two dates — when an instrument comes into or
goes out of force between them, or a rule tests ``case.law_date`` with a threshold between them —
once with the conduct judged by the law at the conduct date, once by the law at the date of
evaluation. Each person keeps the outcome of the conduct date's law unless the newer law gives a
lower rank; either way a reason states both outcomes and which applies. Everything else (status,
situations, unit measures, review) follows the conduct date's run.

The manifest's ``policy.choice_of_law`` names the citations of that reason; a rulebook without
them is evaluated under the conduct date's law only.
"""

from __future__ import annotations

import datetime as _dt
from bisect import bisect_right

from ..contract import models as m
from ..explanation.explain import Explainer, ReasonCache
from ..explanation.trace import Trace
from ..language.conditions import tests_of
from ..matching.protocol import Matcher
from ..rules.citations import case_dates
from ..rules.validate import Rulebook
from .decide import decide as _decide_once
from .prepared import Prepared

__all__ = ["boundaries", "decide"]

_TEXT = {
    "zh": ("从旧兼从轻：依行为时（{old_date}）的规定，处理为「{old}」；依评价时（{new_date}）的规定，处理为「{new}」。"
           "{choice}"),
    "en": ("Choice of law (从旧兼从轻): under the law at the conduct date ({old_date}) the outcome is {old}; under the "
           "law at the date of evaluation ({new_date}) it is {new}. {choice}"),
}
_CHOICE = {
    "zh": {"new": "评价时的规定处理较轻，适用评价时的规定。", "old": "评价时的规定处理不较轻，依照行为时的规定处理。"},
    "en": {"new": "The newer law is lighter and applies.", "old": "The newer law is not lighter; the law at the conduct "
           "date applies."},
}


def boundaries(book: Rulebook) -> list[str]:
    """Dates (ISO) where the law the rulebook applies may change: instruments' in-force dates (the day an
    instrument ends counts from the next day) and the thresholds rules test on ``case.law_date``."""
    cached: list[str] | None = getattr(book, "_law_boundaries", None)
    if cached is not None:
        return cached
    out: set[str] = set()
    for inst in book.instruments.values():
        if inst.in_force_from:
            out.add(inst.in_force_from)
        if inst.in_force_until:
            out.add((_dt.date.fromisoformat(inst.in_force_until) + _dt.timedelta(days=1)).isoformat())
    for e in book.rules:
        for t in tests_of(e.cond):
            if t.path == "case.law_date" and isinstance(t.value, int) and t.value > 0:
                v = t.value
                try:
                    d = _dt.date(v // 10000, v // 100 % 100, v % 100)
                except ValueError:
                    continue
                out.add(d.isoformat())
                out.add((d + _dt.timedelta(days=1)).isoformat())
    result = sorted(out)
    object.__setattr__(book, "_law_boundaries", result)
    return result


def _law_may_differ(book: Rulebook, old: _dt.date | None, new: _dt.date | None) -> bool:
    """Whether some boundary lies in (old, new]: the law at the two dates may differ."""
    if old is None or new is None or new <= old:
        return False
    b = boundaries(book)
    i = bisect_right(b, old.isoformat())
    return i < len(b) and b[i] <= new.isoformat()


def decide(book: Rulebook, matcher: Matcher, case: m.Case, lang: str, trace: Trace | None = None,
           detail: str = "full", *, prepared: Prepared | None = None, reason_cache: ReasonCache | None = None,
           as_of: _dt.date | None = None) -> m.Recommendation:
    """:func:`accountrules.decision.decide.decide`, with 从旧兼从轻 for the persons' sanctions."""
    policy = book.manifest.policy
    c = case.case
    dates = case_dates(c.decided_on, c.conduct_date, as_of, policy.reference_date)
    old = _decide_once(book, matcher, case, lang, trace, detail, prepared=prepared, reason_cache=reason_cache,
                       as_of=as_of)
    if not policy.choice_of_law or not _law_may_differ(book, dates["conduct"], dates["evaluation"]):
        return old
    new = _decide_once(book, matcher, case, lang, None, detail, prepared=prepared, reason_cache=reason_cache,
                       as_of=as_of, law="evaluation")
    ex = Explainer(book, lang, dates["decision"], reason_cache, detail, dates)
    cits = ex.citations(policy.choice_of_law)
    newer = {p.id: p for p in new.persons}
    persons = [_choose(book, ex, cits, dates, lang, p, newer[p.id]) for p in old.persons]
    return old.model_copy(update={"persons": persons})


def _choose(book: Rulebook, ex: Explainer, cits: list[m.Citation], dates: dict[str, _dt.date | None], lang: str,
            p: m.PersonOutcome, q: m.PersonOutcome) -> m.PersonOutcome:
    """One person: the outcome under the conduct date's law (``p``) or the lighter newer one (``q``), with a
    reason stating both."""
    if p.rank == 0 and q.rank == 0:
        return p
    chosen, which = (q, "new") if q.rank < p.rank else (p, "old")
    key = ("choice-of-law", str(dates["conduct"]), str(dates["evaluation"]), p.level, q.level, *map(id, cits))
    known = ex.known(key)
    if known is not None:
        return chosen.model_copy(update={"reasons": [*chosen.reasons, known]})
    text = _TEXT[lang].format(old_date=dates["conduct"], new_date=dates["evaluation"],
                              old=book.levels[p.level].name.get(lang), new=book.levels[q.level].name.get(lang),
                              choice=_CHOICE[lang][which])
    reason = m.Reason(rule="choice-of-law", text=text, citation=cits[0], citations=cits[1:],
                      source=book.source(book.manifest.span),
                      facts={"conduct_date": str(dates["conduct"]), "evaluation_date": str(dates["evaluation"]),
                             "level_at_conduct_date": p.level, "level_at_evaluation_date": q.level},
                      inference=None)
    return chosen.model_copy(update={"reasons": [*chosen.reasons, ex.remember(key, reason)]})
