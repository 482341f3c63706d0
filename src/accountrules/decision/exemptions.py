"""Exemptions, the blocks that exclude them, and the claimed exemptions that did not apply
(``docs/semantics.md``, "Exemptions")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..contract import models as m
from ..explanation.trace import EventKind
from ..rules import schema as rb
from ..rules.validate import RuleEntry
from .prepared import Evaluation, Facts


@dataclass
class ItemResult:
    """A person's outcome for one finding, before the person's outcomes are combined."""

    item: str
    finding_index: int
    responsibility: str
    grade: int | None
    rank: int
    exempted_by: str | None
    band_flags: set[str] = field(default_factory=set)
    reasons: list[m.Reason] = field(default_factory=list)
    exemption_reasons: list[m.Reason] = field(default_factory=list)


def exemption(ev: Evaluation, exempt_fired: Sequence[RuleEntry], blocks: Sequence[RuleEntry], facts: Facts,
              subject: str, considered: dict[str, m.Considered]) -> tuple[str | None, list[m.Reason]]:
    """The first fired exemption no block excludes (its code and reasons), or ``(None, [])``.

    Every blocked exemption is recorded in ``considered`` as not applied, with the blocks' titles.
    """
    lang, ex = ev.lang, ev.ex
    exempted_by: str | None = None
    ex_reasons: list[m.Reason] = []
    if not exempt_fired:
        return exempted_by, ex_reasons
    blocked_all = [b for b in blocks if b.typed(rb.BlockRule).then.blocks == "all"]
    for e in exempt_fired:
        code = e.typed(rb.ExemptionRule).then.code
        blockers = blocked_all + [b for b in blocks if isinstance(bl := b.typed(rb.BlockRule).then.blocks, list)
                                  and code in bl]
        if blockers:
            ev.trace.add(EventKind.BLOCKED_BY, e.id, subject, blockers[0].id)
            titles = ("；" if lang == "zh" else "; ").join(b.rule.title.get(lang) for b in blockers)
            why = f"被排除（{titles}）" if lang == "zh" else f"blocked ({titles})"
            considered.setdefault(code, m.trusted(
                m.Considered, code=code, applied=False, effect="exempt", why=why,
                reasons=[ex.rule_reason(b, facts) for b in blockers]))
        elif exempted_by is None:
            exempted_by = code
            ex_reasons = [ex.rule_reason(e, facts)]
            considered[code] = m.trusted(m.Considered, code=code, applied=True, effect="exempt",
                                         why=e.rule.title.get(lang), reasons=ex_reasons)
    return exempted_by, ex_reasons


def unapplied_claims(ev: Evaluation, person: m.Person, results: list[ItemResult],
                     considered: dict[str, m.Considered], facts_of: dict[int, Facts]) -> None:
    """Each exempting circumstance the person claims that no rule applied goes into ``considered``
    as not applied, with why: no liability to exempt, no rule for the code, or the first
    condition of its rule that the facts of the person's first liable finding do not meet."""
    lang = ev.lang
    for code in person.circumstances:
        if ev.book.circumstances[code].kind != "exempting" or code in considered:
            continue
        rules_for = ev.prep.exemption_rules.get(code, [])
        liable = [r for r in results if r.responsibility != ev.prep.none_resp]
        if not liable:
            why = "无须免责：该人员对任何情形不承担责任" if lang == "zh" else \
                "not needed: the person bears no responsibility for any item"
        elif not rules_for:
            why = "规则库中没有该免责情形的适用规则" if lang == "zh" else "the rulebook has no rule for this code"
        else:
            why = ("适用条件不具备：" if lang == "zh" else "its conditions do not hold: ") + ev.ex.why_not(
                rules_for[0], facts_of[liable[0].finding_index])
        considered[code] = m.trusted(m.Considered, code=code, applied=False, effect="exempt", why=why, reasons=[])
