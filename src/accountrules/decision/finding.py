"""Round 2, one person × one finding: chain → grade → matrix → exemptions → circumstances →
level rules (``docs/semantics.md``, "Round 2")."""

from __future__ import annotations

from ..contract import models as m
from ..rules import schema as rb
from ..rules.validate import RuleEntry
from .chain import responsibility
from .circumstances import apply_circumstances
from .exemptions import ItemResult, exemption
from .grading import finding_grade, matrix_level
from .ladder import ceiling_of, exempted_rank, floor_of
from .overrides import live, surviving
from .prepared import Evaluation, Facts

_NONE: list[RuleEntry] = []  # read only


def decide_finding(ev: Evaluation, fi: int, facts: Facts, fired: dict[str, list[RuleEntry]], plain: bool,
                   subject: str, case_grade_reasons: list[m.Reason], considered: dict[str, m.Considered]
                   ) -> ItemResult:
    """A person's outcome for finding ``fi``, from the rules that fired on their person × finding fact.

    ``plain`` says no fired rule names an exception (nothing is overridden); ``considered`` (the
    person's circumstances considered so far) is updated.
    """
    item_id = ev.case.case.findings[fi].item
    trace, get = ev.trace, fired.get
    # the sections' fired rules, overridden ones dropped (overrides.live, inlined: this runs per fact)
    chain = get("chain", _NONE)
    if chain and not plain:
        chain = surviving(chain, trace, subject)
    if not chain:
        return ItemResult(item_id, fi, ev.prep.none_resp, None, 0, None)
    top, resp = responsibility(chain, ev.prep)
    reasons = [ev.ex.rule_reason(top, facts)]
    if resp == ev.prep.none_resp:
        return ItemResult(item_id, fi, resp, None, 0, None, reasons=reasons)
    personal = get("personal_grade_modifiers", _NONE)
    if personal and not plain:
        personal = surviving(personal, trace, subject)
    grade = finding_grade(ev, facts["finding.grade"], personal)
    reasons += case_grade_reasons
    reasons += [ev.ex.rule_reason(e, facts) for e in personal]
    base_level, matrix_reason = matrix_level(ev, item_id, grade, resp,
                                              bool(facts.get("person.leading_cadre")))
    reasons.append(matrix_reason)
    rank = base_level.rank
    blocks = live(fired, "exemption_blocks", plain, trace, subject)  # blocks first: the trace's order
    exempt_fired = live(fired, "exemptions", plain, trace, subject)
    exempted_by, ex_reasons = exemption(ev, exempt_fired, blocks, facts, subject, considered) if exempt_fired \
        else (None, [])
    flags: set[str] = set()
    level_rules = get("level_rules", _NONE)
    if exempted_by is not None:
        rank = exempted_rank(rank, ev.book.circumstances[exempted_by].exemption, ev.prep.keep_rank)
    else:
        effects = get("circumstance_effects", _NONE)
        if effects:
            rank, flags = apply_circumstances(ev, surviving(effects, trace, subject) if not plain else effects,
                                              rank, facts, reasons, considered)
        if level_rules:
            kept = live(fired, "level_rules", plain, trace, subject)
            rank = _floors(ev, kept, rank, facts, reasons)
            if not plain:
                _floors_set_aside(ev, level_rules, kept, rank, facts, reasons)
    if level_rules:
        rank = _ceilings(ev, live(fired, "level_rules", plain, trace, subject), rank, base_level.rank, facts, reasons)
    return ItemResult(item_id, fi, resp, grade.value, rank, exempted_by, flags, reasons, ex_reasons)


def _floors(ev: Evaluation, level_rules: list[RuleEntry], rank: int, facts: Facts, reasons: list[m.Reason]) -> int:
    for e in level_rules:
        floor = floor_of(ev.book.levels, e.typed(rb.LevelRule), rank)
        if floor is not None:
            rank = floor
            reasons.append(ev.ex.rule_reason(e, facts))
    return rank


def _floors_set_aside(ev: Evaluation, fired_rules: list[RuleEntry], kept: list[RuleEntry], rank: int, facts: Facts,
                      reasons: list[m.Reason]) -> None:
    """The reason of an exception that set aside a floor which fired and would have raised this person's
    level (e.g. 行政许可法 第七十二条 without 情节严重): it leaves the level as it is, so without this line the
    reader would not see why the floor did not apply."""
    kept_ids = {e.id for e in kept}
    dropped = [e for e in fired_rules if e.id not in kept_ids]
    if not dropped:
        return
    for e in kept:
        rule = e.typed(rb.LevelRule)
        if rule.then.max_level is None or not rule.exception_to:
            continue
        if any(d.id in rule.exception_to and floor_of(ev.book.levels, d.typed(rb.LevelRule), rank) is not None
               for d in dropped):
            reasons.append(ev.ex.rule_reason(e, facts))


def _ceilings(ev: Evaluation, level_rules: list[RuleEntry], rank: int, base_rank: int, facts: Facts,
              reasons: list[m.Reason]) -> int:
    for e in level_rules:
        ceiling = ceiling_of(ev.book.levels, e.typed(rb.LevelRule), rank, base_rank)
        if ceiling is not None:
            rank = ceiling
            reasons.append(ev.ex.rule_reason(e, facts))
    return rank
