"""Round 1, the case: is it an error case (status rules), and its situations (items, grounds)
(``docs/semantics.md``, "Status" and "Situations")."""

from __future__ import annotations

from ..contract import models as m
from ..errors import RuleConflict
from ..explanation.trace import EventKind
from ..rules import schema as rb
from ..rules.validate import RuleEntry
from .overrides import surviving
from .prepared import Evaluation, Facts

_NO_RULE_TEXT = {"zh": "没有适用的错案认定规则", "en": "No error-case rule applies to this case."}


def case_status(ev: Evaluation, fired: list[RuleEntry], cf: Facts) -> m.ErrorCaseOut:
    """The status and definition from the surviving status rules, or ``not_error_case`` when none fires.

    Raises:
        RuleConflict: status rules with different outcomes fired and none is an exception to another.
    """
    status_rules = surviving(fired, ev.trace, "case")
    statuses = {e.typed(rb.StatusRule).then.status for e in status_rules}
    if len(statuses) > 1:
        ids = ", ".join(e.id for e in status_rules)
        ev.trace.add(EventKind.CONFLICT, status_rules[0].id, "case", ids)
        raise RuleConflict(f"status rules {ids} fired with different outcomes ({', '.join(sorted(statuses))}) and "
                           "none is an exception to another; add exception_to.")
    ex, c = ev.ex, ev.case.case
    if status_rules:
        status = status_rules[0].typed(rb.StatusRule).then.status
        definition = next((d for e in status_rules if (d := e.typed(rb.StatusRule).then.definition)), None)
        reasons = [ex.rule_reason(e, cf) for e in status_rules]
    else:
        ev.trace.add(EventKind.NO_RULE, "status_rules", "case")
        status, definition = "not_error_case", None
        key: tuple[object, ...] = ("no-rule", c.origin, c.outcome)
        reasons = [ex.known(key) or ex.remember(key, m.Reason(
            rule="no-rule", text=_NO_RULE_TEXT[ev.lang], citation=m.Citation(instrument="—", article="—", version="—"),
            source=ev.book.display_root, facts={"case.origin": c.origin, "case.outcome": c.outcome}))]
    key = ("error_case", status, definition, *map(id, reasons))
    return ev.shared.get(key) or ev.shared.keep(key, m.trusted(m.ErrorCaseOut, status=status, definition=definition,
                                                               reasons=reasons))


def situations(ev: Evaluation, ground_rules: list[RuleEntry], cf: Facts) -> list[m.Situation]:
    """One situation per item found (findings of the same item merged), with the grounds that
    point to it; a ground whose items no finding names adds its default item."""
    ex, lang, shared = ev.ex, ev.lang, ev.shared
    merged: dict[str, list[str]] = {}
    for f in ev.case.case.findings:
        persons = merged.setdefault(f.item, [])
        persons.extend(p for p in f.persons if p not in persons)
    ground_reasons: dict[str, list[m.Reason]] = {}
    for g in ground_rules:
        then = g.typed(rb.GroundRule).then
        r = ex.rule_reason(g, cf)
        covered = [i for i in then.items if i in merged]
        if not covered and then.default not in merged:
            merged[then.default] = []
            covered = [then.default]
        elif not covered:
            covered = [then.default]
        for i in covered:
            ground_reasons.setdefault(i, []).append(r)
    out: list[m.Situation] = []
    for item_id, persons in merged.items():
        info = ev.prep.items[item_id]
        item = info.item
        name = item.name.get(lang)
        key = ex.catalogue_key(("items", item_id), item.citations)
        reasons = [ex.known(key) or ex.remember(key, ex.reason(
            rule=f"items.{item_id}", text=name, specs=item.citations, span=info.span,
            facts={"finding.item": item_id}, inference=item.inference))]
        reasons += ground_reasons.get(item_id, [])
        skey = ("situation", item_id, name, tuple(persons), *map(id, reasons))
        out.append(shared.get(skey) or shared.keep(skey, m.trusted(
            m.Situation, item=item_id, category=info.category, name=name, persons=persons, reasons=reasons)))
    return out
