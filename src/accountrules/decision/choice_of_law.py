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

The manifest's ``policy.choice_of_law`` names the citations of that reason (their ``when`` may test the
case and the person, e.g. party rules only for party members); a rulebook without them is evaluated
under the conduct date's law only. When the two runs give a person the same outcome by the same rules,
the reason says that the standard is the same at both dates and only the texts cited differ (it does
not claim that the newer law is "not lighter"); when a basis printed is an analogue (参照, e.g.
政务处分法 第六十七条 outside its own transition), the reason says the principle is applied by analogy.
"""

from __future__ import annotations

import datetime as _dt
from bisect import bisect_right

from ..contract import models as m
from ..explanation.explain import Explainer, ReasonCache
from ..explanation.trace import Trace
from ..language.conditions import tests_of
from ..language.facts import case_facts, law_date, person_facts
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
#: the two runs reached the same outcome with the same rules: only the texts cited differ
_SAME_STANDARD = {
    "zh": "从旧兼从轻：行为时（{old_date}）与评价时（{new_date}）两时点适用的处理标准在本规则集中相同（仅所引条文不同），"
          "依照行为时的规定处理。",
    "en": "Choice of law (从旧兼从轻): the standard applied at the conduct date ({old_date}) and at the date of "
          "evaluation ({new_date}) is the same in this rulebook (only the texts cited differ); the law at the "
          "conduct date applies.",
}
_CHOICE = {
    "zh": {"new": "评价时的规定处理较轻，适用评价时的规定。", "old": "评价时的规定处理较重，依照行为时的规定处理。",
           "same": "两时点的处理相同，依照行为时的规定处理。"},
    "en": {"new": "The newer law is lighter and applies.", "old": "The newer law is heavier; the law at the conduct "
           "date applies.", "same": "Both give the same outcome; the law at the conduct date applies."},
}
#: added when no cited basis of the choice governs the case directly (every one printed is 参照): the
#: principle is applied by analogy — the rulebook's inference
_BY_ANALOGY = {
    "zh": "（本案参照《{instrument}》{article}确立的从旧兼从轻原则；本规则集推定）",
    "en": " (this case applies by analogy the principle of {instrument} {article} — the rulebook's inference)",
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
                # the first day on which the test's answer changes: d for < and >=, the next day for
                # <= and >, both for == and !=
                if t.op in ("lt", "ge", "eq", "ne"):
                    out.add(d.isoformat())
                if t.op in ("le", "gt", "eq", "ne"):
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
    prep = prepared if prepared is not None else Prepared.of(book)
    cf = case_facts(case, prep.policy, prep.item_cat)
    cf["case.law_date"] = law_date(dates["conduct"])
    ex.case_facts = cf
    people = {p.id: p for p in case.persons}
    newer = {p.id: p for p in new.persons}
    persons = [_choose(book, ex, person_facts(case, people[p.id]) if p.id in people else {}, dates, lang, p,
                       newer[p.id]) for p in old.persons]
    return old.model_copy(update={"persons": persons})


def _same_standard(p: m.PersonOutcome, q: m.PersonOutcome) -> bool:
    """The two runs gave this person the same outcome by the same rules: only the texts cited differ."""
    keep = {"reasons"}
    return (p.model_dump(exclude=keep) == q.model_dump(exclude=keep)
            and [r.rule for r in p.reasons] == [r.rule for r in q.reasons])


def _choose(book: Rulebook, ex: Explainer, facts: dict[str, object], dates: dict[str, _dt.date | None], lang: str,
            p: m.PersonOutcome, q: m.PersonOutcome) -> m.PersonOutcome:
    """One person: the outcome under the conduct date's law (``p``) or the lighter newer one (``q``), with a
    reason stating both (or that the two dates apply the same standard)."""
    if p.rank == 0 and q.rank == 0:
        return p
    chosen, which = (q, "new") if q.rank < p.rank else (p, "old" if q.rank > p.rank else "same")
    same = which == "same" and _same_standard(p, q)
    specs = book.manifest.policy.choice_of_law
    mask = ex.mask(specs, facts)
    key = ("choice-of-law", str(dates["conduct"]), str(dates["evaluation"]), p.level, q.level, which, same, mask)
    known = ex.known(key)
    if known is not None:
        return chosen.model_copy(update={"reasons": [*chosen.reasons, known]})
    cits = ex.citations(specs, facts)
    if same:
        text = _SAME_STANDARD[lang].format(old_date=dates["conduct"], new_date=dates["evaluation"])
    else:
        text = _TEXT[lang].format(old_date=dates["conduct"], new_date=dates["evaluation"],
                                  old=book.levels[p.level].name.get(lang), new=book.levels[q.level].name.get(lang),
                                  choice=_CHOICE[lang][which])
    analogue = next((c for c in cits if c.analogue and c.in_force is not False), None)
    if analogue is not None:
        text += _BY_ANALOGY[lang].format(instrument=analogue.instrument, article=analogue.article)
    reason = m.Reason(rule="choice-of-law", text=text, citation=cits[0], citations=cits[1:],
                      source=book.source(book.manifest.span),
                      facts={"conduct_date": str(dates["conduct"]), "evaluation_date": str(dates["evaluation"]),
                             "level_at_conduct_date": p.level, "level_at_evaluation_date": q.level},
                      inference=None)
    return chosen.model_copy(update={"reasons": [*chosen.reasons, ex.remember(key, reason)]})
