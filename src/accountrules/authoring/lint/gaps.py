"""What no rule covers: ``gap-outcome``, ``gap-item``, ``gap-circumstance``, ``unreachable-level``."""

from __future__ import annotations

from ...contract import models as m
from ...decision.ladder import aggravated, exempted_rank, keeps_rank, step_down
from ...diagnostics import Diagnostic
from ...language.conditions import Test
from ...rules import schema as rb
from ...rules.validate import Rulebook
from .base import _effect_code, finding
from .reasoner import Reasoner, _uncovered, _witness


def check_uncovered_roles(book: Rulebook, rs: Reasoner, dead: set[str]) -> list[Diagnostic]:
    """``uncovered-role``: a role whose holder, named in a finding, no chain rule can give a responsibility.

    Such a person comes out 不承担责任 with no reason of their own; say so once, at the rulebook's
    roles (or its manifest when it keeps the default chain), so that the author adds a chain rule or
    decides it is right.
    """
    liable = [e for e in book.by_section["chain"]
              if e.id not in dead and e.typed(rb.ChainRule).then.responsibility != book.no_responsibility]
    out: list[Diagnostic] = []
    for role in book.role_chain:
        pin = [Test("person.role", "eq", role), Test("finding.named", "eq", True)]
        if any(rs.can_fire_with(e, pin) for e in liable):
            continue
        span = (book.roles[role].span if role in book.roles else None) or book.manifest.span
        out.append(finding("uncovered-role", f"role '{role}': a person of this role named in a finding can never "
                           "bear a responsibility — no chain rule gives one — so they come out not liable with no "
                           "reason of their own. Add a chain rule for the role, or drop the role if no finding can "
                           "name it.", span))
    return out


def _check_gaps(book: Rulebook, rs: Reasoner, dead: set[str]) -> tuple[list[Diagnostic], set[int]]:  # noqa: C901 - one search per gap kind (status, chain, ladder), read in order
    out: list[Diagnostic] = []
    live = {s: [e for e in es if e.id not in dead] for s, es in book.by_section.items()}
    levels = book.levels
    resp_rank = {r.id: r.rank for r in book.responsibilities.values()}
    chain_liable = [e for e in live["chain"] if e.typed(rb.ChainRule).then.responsibility != book.no_responsibility]
    reachable_cells: set[tuple[str, str]] = set()
    grade_ids_by_value = {g.value: g.id for g in book.grades.values()}

    def grade_id(v: int) -> str | None:
        if not grade_ids_by_value:
            return None
        return grade_ids_by_value.get(v) or grade_ids_by_value[min(grade_ids_by_value, key=lambda x: abs(x - v))]

    for item in book.items.values():
        pin = [Test("finding.item", "eq", item.id)]
        resps = sorted({e.typed(rb.ChainRule).then.responsibility for e in chain_liable
                        if rs.can_fire_with(e, pin)}, key=lambda r: -resp_rank.get(r, 0))
        if not resps:
            out.append(finding("gap-item", f"item {item.id} can never lead to accountability: no chain rule can give "
                          "anyone a responsibility for it. Add a chain rule that covers it.", item.span))
            continue
        base = book.grades[item.base_grade].value if item.base_grade in book.grades else 0
        lo, hi = rs.grade_range(base, personal=True)
        grades = sorted({g for v in range(lo, hi + 1) if (g := grade_id(v))})
        cells = [(g, r) for g in grades for r in resps if g in book.matrix.cells]
        reachable_cells.update(cells)
        ranks = [levels[book.matrix.cells[g][r]].rank for g, r in cells
                 if book.matrix.cells[g].get(r) in levels]
        if ranks and max(ranks) == 0:
            shown = ", ".join(f"{g}×{r}" for g, r in cells)
            out.append(finding("gap-item", f"item {item.id} can never lead to accountability: every matrix cell it "
                          f"can reach ({shown}) is a level of rank 0.", item.span))

    # circumstances nobody handles
    handled = {_effect_code(e) for e in live["circumstance_effects"] + live["exemptions"]}
    # a code a chain rule tests (e.g. a dissent or an unlawful norm that frees the person) is handled too
    for e in live["chain"]:
        for alt in rs.alts(e) or []:
            handled.update(str(t.value) for t in alt if t.path == "person.circumstances" and t.op == "contains")
    for c in book.circumstances.values():
        if c.code not in handled:
            kind = "exemption rule" if c.kind == "exempting" else "circumstance effect"
            out.append(finding("gap-circumstance", f"circumstance {c.code} ({c.kind}) is handled by no {kind}: "
                          "claiming it changes nothing.", c.span))

    # outcomes for which no status rule fires in some case
    status = book.by_section["status_rules"]
    anchor = status[0].span if status else book.manifest.span
    pairs = [(rs.alts(e), rs.negated_alts(e)) for e in status]
    if not any(e.typed(rb.StatusRule).then.status == "error_case" for e in status):
        out.append(finding("gap-outcome", "no status rule makes any case an error case, so no person is ever held "
                      "accountable. Add the status rules (T1…).", anchor))
    elif all(p is not None and n is not None for p, n in pairs):
        alts = [(p, n) for p, n in pairs if p is not None and n is not None]
        for outcome in m.OUTCOMES:
            found = [(o, w) for o in m.ORIGINS if (w := _uncovered(rs, alts, [
                Test("case.outcome", "eq", outcome), Test("case.origin", "eq", o)], "case")) is not None]
            if found:
                origins = ", ".join(o for o, _ in found)
                out.append(finding("gap-outcome", f"case.outcome '{outcome}' is not covered for case.origin {origins}: "
                              f"e.g. when {_witness(rs, found[0][1])}, no status rule fires and the case falls "
                              "to not_error_case with no cited reason. Add a status rule (an explicit "
                              "not_error_case rule documents the legal basis).", anchor))

    # the ladder
    ranks = sorted(lv.rank for lv in book.ladder)
    base_ranks = {levels[book.matrix.cells[g][r]].rank for g, r in reachable_cells
                  if book.matrix.cells[g].get(r) in levels}
    effects = {e.typed(rb.EffectRule).then.effect for e in live["circumstance_effects"]}
    cap = levels[book.manifest.policy.aggravation_cap].rank if book.manifest.policy.aggravation_cap in levels \
        else max(ranks, default=0)
    step1 = {r for r in base_ranks if r > 0}
    policy = book.manifest.policy
    keep = keeps_rank(levels, policy) if policy.exemption_keeps in levels else 0
    by_rank = {lv.rank: lv for lv in book.ladder}
    for r in list(step1):
        if "aggravate" in effects:
            step1.add(aggravated(by_rank, levels, r, cap))
        if "mitigate" in effects:
            step1.add(step_down(ranks, r, keep))
    if live["exemptions"]:
        step1 |= {exempted_rank(r, c.exemption, keep) for r in list(step1)
                  for c in book.circumstances.values() if c.kind == "exempting"}
    floors = [levels[floor].rank for e in live["level_rules"]
              if (floor := e.typed(rb.LevelRule).then.min_level) is not None and floor in levels]
    ceilings = [levels[ceiling].rank for e in live["level_rules"]
                if (ceiling := e.typed(rb.LevelRule).then.max_level) is not None and ceiling in levels]
    step2 = set(step1) | {f for f in floors if any(0 < r < f for r in step1)}
    step3 = set(step2) | {c for c in ceilings if any(c < r for r in step2)} | {0}
    for lv in book.ladder:
        if lv.rank not in step3:
            out.append(finding("unreachable-level", f"ladder level '{lv.id}' (rank {lv.rank}) can never be reached: no "
                          "reachable matrix cell gives it, no aggravation or mitigation step leads to it and no "
                          "level rule sets it.", lv.span))
    return out, step3
