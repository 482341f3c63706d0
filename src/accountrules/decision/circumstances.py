"""Aggravating and mitigating circumstances: one step on the ladder, each recorded as considered
(``docs/semantics.md``, "Circumstances")."""

from __future__ import annotations

from collections.abc import Sequence

from ..contract import models as m
from ..rules import schema as rb
from ..rules.validate import RuleEntry
from .ladder import after_circumstances
from .prepared import Evaluation, Facts


def apply_circumstances(ev: Evaluation, effects: Sequence[RuleEntry], rank: int, facts: Facts,
                        reasons: list[m.Reason], considered: dict[str, m.Considered]) -> tuple[int, set[str]]:
    """The rank after the fired circumstance effects, and the effects seen (``heavier`` … flags).

    Aggravating effects together move one step of 加重 (capped), mitigating ones one step of 减轻; both
    cancel. Each effect adds its reason to ``reasons`` and its code to ``considered``.
    """
    shared, lang = ev.shared, ev.lang
    flags: set[str] = set()
    thens = [e.typed(rb.EffectRule).then for e in effects]
    steps = 0
    if any(then.effect == "aggravate" for then in thens):
        steps += 1
    if any(then.effect == "mitigate" for then in thens):
        steps -= 1
    for e, then in zip(effects, thens, strict=True):
        eff = then.effect
        flags.add(eff)
        reasons.append(ev.ex.rule_reason(e, facts))
        if then.code not in considered:
            key = ("considered", e.order, lang)
            considered[then.code] = shared.get(key) or shared.keep(key, m.trusted(
                m.Considered, code=then.code, applied=True, effect=eff, why=e.rule.title.get(lang), reasons=[]))
    book, prep = ev.book, ev.prep
    return after_circumstances(book.levels_by_rank, book.levels, rank, steps, prep.cap_rank, prep.keep_rank), flags
