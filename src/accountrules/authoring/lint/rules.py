"""Checks of single rules: ``unsatisfiable``, ``never-silent``, ``dormant``."""

from __future__ import annotations

from ...diagnostics import Diagnostic
from ...language.conditions import Test
from ...language.facts import FACTS
from ...rules.validate import Rulebook
from .base import finding
from .reasoner import Reasoner, _fmt


def _check_rules(book: Rulebook, rs: Reasoner) -> tuple[list[Diagnostic], set[str]]:
    out: list[Diagnostic] = []
    dead: set[str] = set()
    policy = [Test(p, "eq", getattr(book.manifest.policy, p.split(".", 1)[1])) for p in FACTS
              if p.startswith("policy.") and hasattr(book.manifest.policy, p.split(".", 1)[1])]
    for e in book.rules:
        bad = rs.rule_unsat(e)
        if bad is not None:
            dead.add(e.id)
            out.append(finding("unsatisfiable", f"rule '{e.id}' ({e.section}) can never fire: {bad.why}.", e.span, e.id))
            continue
        alts = rs.alts(e)
        if alts is not None and any(t.path.startswith("policy.") for alt in alts for t in alt) and all(
                rs.check_in_stage(alt + policy, e.stage) is not None for alt in alts):
            dead.add(e.id)
            shown = ", ".join(f"{t.path} is {_fmt(t.value)}" for t in policy)
            out.append(finding("dormant", f"rule '{e.id}' ({e.section}) cannot fire under this rulebook's policy "
                          f"({shown}); it takes effect only if the policy in rulebook.yaml changes.", e.span, e.id))
            continue
        if e.rule.when is None or e.rule.when == "always":
            continue
        neg = rs.negated_alts(e)
        if neg is not None and all(rs.check(alt, e.stage) is not None for alt in neg):
            out.append(finding("never-silent", f"rule '{e.id}' ({e.section}) fires on every {e.stage} fact: its "
                          "condition is always true. Omit 'when' (or write 'when: always') if that is meant; "
                          "otherwise a test is missing.", e.span, e.id))
    return out, dead
