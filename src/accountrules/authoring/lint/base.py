"""Finding codes, their severity, and how a finding is made."""

from __future__ import annotations

from ...diagnostics import Diagnostic, Severity, SourceSpan
from ...rules import schema as rb
from ...rules.validate import RuleEntry

#: Finding codes and their severity (``durable-limit`` is an error past a limit, a warning near it).
CODES: dict[str, Severity] = {
    "unsatisfiable": "error",
    "conflict": "error",
    "missing-version": "error",
    "durable-limit": "error",
    "never-silent": "warning",
    "dormant": "warning",
    "overlap": "warning",
    "gap-item": "warning",
    "uncovered-role": "warning",
    "gap-outcome": "warning",
    "gap-circumstance": "warning",
    "unreachable-level": "warning",
    "floor-above-ceiling": "warning",
    "unused": "warning",
    "unknown-value": "error",
    "citation-gap": "error",
    "citation-never": "warning",
    "analogue-unmarked": "error",
    "procedure-date": "error",
}

#: Validation problems lint reports itself, so a rulebook that has only these is still analysed.
DEFERRED_CODES = frozenset({"missing-version"})

#: Fraction of a durable-rules limit past which lint warns.
NEAR_LIMIT = 0.8
#: Search budget (conjunction checks) for one coverage witness.
WITNESS_BUDGET = 20_000

def finding(code: str, message: str, span: SourceSpan | None, rule_id: str | None = None,
       severity: Severity | None = None) -> Diagnostic:
    return Diagnostic(code, message, span, severity=(severity or CODES[code]), rule_id=rule_id)


def _effect_code(e: RuleEntry) -> str:
    """The circumstance code of a circumstance-effect or exemption rule."""
    rule = e.rule
    if isinstance(rule, rb.EffectRule | rb.ExemptionRule):
        return rule.then.code
    raise TypeError(f"rule '{e.id}' names no circumstance code")
