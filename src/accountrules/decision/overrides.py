"""Legal priority: a fired rule that another fired rule names in ``exception_to`` gives way
(``docs/semantics.md``, "Exceptions")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..explanation.trace import EventKind, Trace
from ..rules.validate import RuleEntry


def surviving(fired: Sequence[RuleEntry], trace: Trace, subject: str) -> list[RuleEntry]:
    """Drop fired rules that another fired rule names in ``exception_to`` (each traced as overridden)."""
    overriders: dict[str, str] = {}
    for e in fired:
        for t in e.rule.exception_to:
            overriders.setdefault(t, e.id)
    if not overriders:
        return list(fired)
    out = []
    for e in fired:
        if e.id in overriders:
            trace.add(EventKind.OVERRIDDEN_BY, e.id, subject, overriders[e.id])
        else:
            out.append(e)
    return out


def live(fired: Mapping[str, list[RuleEntry]], section: str, plain: bool, trace: Trace, subject: str
         ) -> list[RuleEntry]:
    """The fired rules of ``section`` that are not overridden; ``plain`` says no fired rule of this
    fact names an exception (then nothing can be overridden, and the list is returned as it is)."""
    rules = fired.get(section, [])
    if rules and not plain:
        return surviving(rules, trace, subject)
    return rules
