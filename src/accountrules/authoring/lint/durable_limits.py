"""durable-rules' limits, as errors past them and warnings near them (``durable-limit``); the limits
themselves live in :mod:`accountrules.matching.durable.translate`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ...diagnostics import Diagnostic
from ...errors import RuleFileError
from ...language.facts import FACTS
from ...rules.validate import Rulebook
from .base import NEAR_LIMIT, finding


def _check_durable(book: Rulebook) -> list[Diagnostic]:
    from ...matching import compile as comp
    from ...matching.durable import translate as limits

    out: list[Diagnostic] = []
    try:
        compiled = comp.compile_rulebook(book)
    except RuleFileError as exc:
        return [finding("durable-limit", f"{d.message} ({d.code})", d.span or book.manifest.span, d.rule_id)
                for d in exc.diagnostics]
    out += [finding("durable-limit", f"{d.message} ({d.code})", d.span or book.manifest.span, d.rule_id)
            for d in compiled.durable_problems]
    n = len(compiled.durable_rules)
    if compiled.durable_problems:
        return out
    if n > NEAR_LIMIT * limits.MAX_DURABLE_RULES:
        out.append(finding("durable-limit", f"the rulebook compiles to {n} durable rules, near the limit of "
                      f"{limits.MAX_DURABLE_RULES} (durable-rules refuses more than 4,096).", book.manifest.span,
                      severity="warning"))
    per_rule: dict[int, int] = defaultdict(int)
    for r in compiled.durable_rules:
        per_rule[r.rule_index] += 1
    for idx, k in sorted(per_rule.items()):
        if k > 128:
            e = book.rules[idx]
            out.append(finding("durable-limit", f"rule '{e.id}' expands to {k} durable rules (one per alternative); "
                          "split it or replace long 'in' lists.", e.span, e.id, severity="warning"))
    fanout: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in compiled.durable_rules:
        terms = r.expr["$and"][1:]
        prefix = tuple(sorted(repr(t) for t in terms if not ("$iany" in t or "$iall" in t)))
        fanout[(r.stage,) + prefix] += sum(1 for t in terms if "$iany" in t or "$iall" in t)
    worst = max(fanout.values(), default=0)
    if worst > NEAR_LIMIT * limits.MAX_LIST_TESTS_PER_NODE:
        out.append(finding("durable-limit", f"{worst} list tests hang under one condition node, near durable-rules' "
                      f"limit ({limits.MAX_LIST_TESTS_PER_NODE}); add a distinguishing equality test.",
                      book.manifest.span, severity="warning"))
    n_keys = len(FACTS) + sum(1 for s in FACTS.values() if s.type == "list") + 3
    if n_keys > NEAR_LIMIT * limits.MAX_FACT_KEYS:  # pragma: no cover - the fact vocabulary is fixed
        out.append(finding("durable-limit", f"facts have {n_keys} keys; durable-rules allows 255 per fact.",
                      book.manifest.span, severity="warning"))
    return out
