"""Stage 5 — decide: from matched rules to a :class:`Recommendation` (see ``docs/semantics.md``).

The matcher (durable-rules or the python interpreter) says *which* rules match each fact; this
module applies the rulebook's semantics — exceptions, the grade, the responsibility chain, the
matrix, exemptions and their bars, 从重/从轻/加重/减轻, floors and ceilings, channels, unit measures
and the review track — and asks :mod:`accountrules.explain` for the cited reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from . import __version__
from . import models as m
from . import rulebook as rb
from . import substance as sub
from .diagnostics import SourceSpan
from .errors import RuleConflict
from .explain import Explainer
from .facts import FAULT_RANK, case_facts, finding_facts, person_facts
from .intake import check_codes
from .rules.validate import Rulebook, RuleEntry
from .trace import EventKind, NullTrace, Trace

if TYPE_CHECKING:
    from .engine import Engine

Facts = dict[str, Any]
_T = TypeVar("_T")


def _surviving(fired: Sequence[RuleEntry], trace: Trace, subject: str) -> list[RuleEntry]:
    """Drop fired rules that another fired rule names in ``exception_to``."""
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


@dataclass
class _ItemResult:
    item: str
    finding_index: int
    responsibility: str
    grade: int | None
    rank: int
    exempted_by: str | None
    band_flags: set[str] = field(default_factory=set)
    reasons: list[m.Reason] = field(default_factory=list)
    exemption_reasons: list[m.Reason] = field(default_factory=list)


def _grade_sum(fired: Sequence[RuleEntry]) -> int:
    groups: dict[str, int] = {}
    for e in fired:
        then = e.rule.then  # type: ignore[attr-defined]
        groups[then.group] = max(groups.get(then.group, then.delta), then.delta)
    return sum(groups.values())


@dataclass(frozen=True)
class _ItemInfo:
    """What the decision stage needs of an item, looked up once per rulebook."""

    item: rb.Item
    category: str
    base: int
    direct_roles: frozenset[str]
    oversight_roles: frozenset[str]
    span: SourceSpan | None


@dataclass(frozen=True)
class Prepared:
    """Per-rulebook constants of the decision stage, computed once per engine."""

    item_cat: dict[str, str]
    gmin: int
    gmax: int
    grade_by_value: dict[int, rb.Grade]
    resp_rank: dict[str, int]
    ranks: list[int]
    cap_rank: int
    policy: dict[str, Any]
    rulebook_ref: m.RulebookRef
    items: dict[str, _ItemInfo]
    section_of: list[str]
    exception_holders: frozenset[int]
    matrix_spans: dict[str, SourceSpan | None]
    exemption_rules: dict[str, list[RuleEntry]]
    # immutable output objects shared between evaluations (bounded; content never depends on it)
    shared: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, book: Rulebook) -> Prepared:
        """Compute the constants of ``book``."""
        values = sorted(g.value for g in book.grades.values())
        exemption_rules: dict[str, list[RuleEntry]] = {}
        for e in book.by_section["exemptions"]:
            exemption_rules.setdefault(e.rule.then.code, []).append(e)  # type: ignore[attr-defined]
        return cls(
            item_cat={i.id: i.category for i in book.items.values()},
            gmin=values[0], gmax=values[-1],
            grade_by_value={g.value: g for g in book.grades.values()},
            resp_rank={r.id: r.rank for r in book.responsibilities.values()},
            ranks=sorted(book.levels_by_rank),
            cap_rank=book.levels[book.manifest.policy.aggravation_cap].rank,
            policy=book.manifest.policy.model_dump(),
            rulebook_ref=m.RulebookRef(id=book.manifest.id, version=book.manifest.version, sha256=book.sha256),
            items={i.id: _ItemInfo(i, i.category, book.grades[i.base_grade].value, frozenset(i.roles.direct),
                                   frozenset(i.roles.oversight), i.span) for i in book.items.values()},
            section_of=[e.section for e in book.rules],
            exception_holders=frozenset(e.order for e in book.rules if e.rule.exception_to),
            matrix_spans={g: book.span_of(f"matrix.{g}") for g in book.grades},
            exemption_rules=exemption_rules,
        )

    def keep(self, key: tuple[Any, ...], obj: _T) -> _T:
        """Remember ``obj`` as the shared object for ``key`` (``shared.get(key)`` finds it next time).

        Keys may hold ``id()`` of objects that ``obj`` refers to: while the entry lives, those
        objects live, so their ids cannot be reused by others.
        """
        if len(self.shared) > 20_000:
            self.shared.clear()
        self.shared[key] = obj
        return obj


_NO_RULE_TEXT = {"zh": "没有适用的错案认定规则", "en": "No error-case rule applies to this case."}


def decide(engine: Engine, case: m.Case, lang: str, trace: Trace | None = None, detail: str = "full"
           ) -> m.Recommendation:
    """Evaluate ``case`` with ``engine``'s rulebook and matcher."""
    book: Rulebook = engine.rulebook
    tracing = trace is not None and not isinstance(trace, NullTrace)
    trace = trace if trace is not None else NullTrace()
    check_codes(case, book)
    prep: Prepared | None = getattr(engine, "prepared", None)
    if prep is None:
        prep = Prepared.of(book)
    c = case.case
    policy = book.manifest.policy
    ref_date = (c.decided_on or c.conduct_date) if policy.reference_date == "decided_on" else (
        c.conduct_date or c.decided_on)
    ex = Explainer(book, lang, ref_date, getattr(engine, "reason_cache", None), detail)
    rules = book.rules
    section_of = prep.section_of
    holders = prep.exception_holders
    item_info = prep.items
    gmin, gmax = prep.gmin, prep.gmax
    grade_by_value = prep.grade_by_value
    resp_rank = prep.resp_rank
    levels_by_rank = book.levels_by_rank
    ranks = prep.ranks
    shared, keep = prep.shared, prep.keep
    # Shared output objects are keyed by the ids of the reasons they hold: a shared object keeps
    # its reasons alive, so no other object can have those ids while the entry exists.

    cf = case_facts(case, prep.policy, prep.item_cat)

    # ---- round 1: the case
    (hits,) = engine.matcher.match([("case", cf)])
    by_sec: dict[str, list[RuleEntry]] = {}
    for i in hits:
        by_sec.setdefault(section_of[i], []).append(rules[i])
        if tracing:
            trace.add(EventKind.RULE_FIRED, rules[i].id, "case")

    status_rules = _surviving(by_sec.get("status_rules", []), trace, "case")
    statuses = {e.rule.then.status for e in status_rules}  # type: ignore[attr-defined]
    if len(statuses) > 1:
        ids = ", ".join(e.id for e in status_rules)
        trace.add(EventKind.CONFLICT, status_rules[0].id, "case", ids)
        raise RuleConflict(f"status rules {ids} fired with different outcomes ({', '.join(sorted(statuses))}) and "
                           "none is an exception to another; add exception_to.")
    if status_rules:
        status = status_rules[0].rule.then.status  # type: ignore[attr-defined]
        definition = next((e.rule.then.definition for e in status_rules  # type: ignore[attr-defined]
                           if e.rule.then.definition), None)  # type: ignore[attr-defined]
        status_reasons = [ex.rule_reason(e, cf) for e in status_rules]
    else:
        trace.add(EventKind.NO_RULE, "status_rules", "case")
        status, definition = "not_error_case", None
        key: tuple[Any, ...] = ("no-rule", c.origin, c.outcome)
        status_reasons = [ex.known(key) or ex.remember(key, m.Reason(
            rule="no-rule", text=_NO_RULE_TEXT[lang], citation=m.Citation(instrument="—", article="—", version="—"),
            source=book.display_root, facts={"case.origin": c.origin, "case.outcome": c.outcome}))]
    key = ("error_case", status, definition, *map(id, status_reasons))
    error_case = shared.get(key) or keep(key, m.trusted(m.ErrorCaseOut, status=status, definition=definition,
                                                        reasons=status_reasons))
    is_error = status == "error_case"

    grade_mods = _surviving(by_sec.get("grade_modifiers", []), trace, "case")
    case_delta = _grade_sum(grade_mods)
    case_grade_reasons = [ex.rule_reason(e, cf) for e in grade_mods]
    ground_rules = _surviving(by_sec.get("grounds", []), trace, "case")

    # ---- situations
    situations: list[m.Situation] = []
    if is_error:
        merged: dict[str, list[str]] = {}
        for f in c.findings:
            persons = merged.setdefault(f.item, [])
            persons.extend(p for p in f.persons if p not in persons)
        ground_reasons: dict[str, list[m.Reason]] = {}
        for g in ground_rules:
            then = g.rule.then  # type: ignore[attr-defined]
            r = ex.rule_reason(g, cf)
            covered = [i for i in then.items if i in merged]
            if not covered and then.default not in merged:
                merged[then.default] = []
                covered = [then.default]
            elif not covered:
                covered = [then.default]
            for i in covered:
                ground_reasons.setdefault(i, []).append(r)
        for item_id, persons in merged.items():
            info = item_info[item_id]
            item = info.item
            name = item.name.get(lang)
            key = ex.catalogue_key(("items", item_id), item.citations)
            r = ex.known(key) or ex.remember(key, ex.reason(
                rule=f"items.{item_id}", text=name, specs=item.citations, span=info.span,
                facts={"finding.item": item_id}, inference=item.inference))
            reasons = [r]
            reasons += ground_reasons.get(item_id, [])
            key = ("situation", item_id, name, tuple(persons), *map(id, reasons))
            situations.append(shared.get(key) or keep(key, m.trusted(
                m.Situation, item=item_id, category=info.category, name=name, persons=persons, reasons=reasons)))

    # ---- round 2: persons × findings, and persons
    pfacts = {p.id: person_facts(case, p) for p in case.persons}
    roles = {p.id: p.role for p in case.persons}
    batch: list[tuple[str, Facts]] = []
    keys: list[tuple[str, int]] = []
    for p in case.persons:
        batch.append(("person", {**cf, **pfacts[p.id]}))
        keys.append((p.id, -1))
    if is_error:
        for fi, f in enumerate(c.findings):
            info = item_info[f.item]
            fgrade = min(max(info.base + case_delta, gmin), gmax)
            for p in case.persons:
                ff = finding_facts(case, f, p, category=info.category, base_grade=info.base, grade=fgrade,
                                   direct_roles=info.direct_roles, oversight_roles=info.oversight_roles,
                                   roles=roles)
                batch.append(("pf", {**cf, **pfacts[p.id], **ff}))
                keys.append((p.id, fi))
    results = engine.matcher.match(batch)

    channel_of: dict[str, tuple[str, m.Reason] | None] = {}
    per_person: dict[str, list[_ItemResult]] = {p.id: [] for p in case.persons}
    considered: dict[str, dict[str, m.Considered]] = {p.id: {} for p in case.persons}
    cap_rank = prep.cap_rank
    keep_rank = sub.keeps_rank(book.levels, policy)

    for (pid, fi), (_, facts), hit in zip(keys, batch, results, strict=True):
        subject = (pid if fi < 0 else f"{pid}×{c.findings[fi].item}#{fi}") if tracing else ""
        if tracing:
            for i in hit:
                trace.add(EventKind.RULE_FIRED, rules[i].id, subject)
        # no fired rule names an exception: every _surviving below would return its input
        plain = holders.isdisjoint(hit)
        sec: dict[str, list[RuleEntry]] = {}
        for i in hit:
            sec.setdefault(section_of[i], []).append(rules[i])
        if fi < 0:
            ch = sec.get("channel_rules", [])
            if ch and not plain:
                ch = _surviving(ch, trace, subject)
            channel_of[pid] = (ch[0].rule.then.channel, ex.rule_reason(ch[0], facts)) if ch else None  # type: ignore[attr-defined]
            continue
        f = c.findings[fi]
        info = item_info[f.item]
        chain = sec.get("chain", [])
        if chain and not plain:
            chain = _surviving(chain, trace, subject)
        if not chain:
            per_person[pid].append(_ItemResult(f.item, fi, "none", None, 0, None))
            continue
        top = max(chain, key=lambda e: (resp_rank[e.rule.then.responsibility], -e.order))  # type: ignore[attr-defined]
        resp = top.rule.then.responsibility  # type: ignore[attr-defined]
        reasons = [ex.rule_reason(top, facts)]
        if resp == "none":
            per_person[pid].append(_ItemResult(f.item, fi, "none", None, 0, None, reasons=reasons))
            continue
        personal = sec.get("personal_grade_modifiers", [])
        if personal and not plain:
            personal = _surviving(personal, trace, subject)
        grade_v = min(max(facts["finding.grade"] + _grade_sum(personal), gmin), gmax)
        grade = grade_by_value.get(grade_v) or grade_by_value[min(grade_by_value, key=lambda v: abs(v - grade_v))]
        reasons += case_grade_reasons
        reasons += [ex.rule_reason(e, facts) for e in personal]
        cell = getattr(book.matrix.cells[grade.id], resp)
        base_level = book.levels[cell]
        item = info.item
        key = ex.catalogue_key(("matrix", f.item, grade.id, resp), book.matrix.citations)
        reasons.append(ex.known(key) or ex.remember(key, ex.reason(
            rule=f"matrix.{grade.id}.{resp}",
            text=_matrix_text(lang, item, grade, book.responsibilities[resp], base_level),
            specs=book.matrix.citations, span=prep.matrix_spans[grade.id],
            facts={"finding.item": f.item, "grade": grade.id, "responsibility": resp},
            inference=book.matrix.inference)))
        rank = base_level.rank
        # exemptions
        blocks = sec.get("exemption_blocks", [])
        if blocks and not plain:
            blocks = _surviving(blocks, trace, subject)
        exempt_fired = sec.get("exemptions", [])
        if exempt_fired and not plain:
            exempt_fired = _surviving(exempt_fired, trace, subject)
        exempted_by: str | None = None
        ex_reasons: list[m.Reason] = []
        if exempt_fired:
            blocked_all = [b for b in blocks if b.rule.then.blocks == "all"]  # type: ignore[attr-defined]
            for e in exempt_fired:
                code = e.rule.then.code  # type: ignore[attr-defined]
                blockers = blocked_all + [b for b in blocks if isinstance(b.rule.then.blocks, list)  # type: ignore[attr-defined]
                                          and code in b.rule.then.blocks]  # type: ignore[attr-defined]
                if blockers:
                    trace.add(EventKind.BLOCKED_BY, e.id, subject, blockers[0].id)
                    why = ("被排除：" if lang == "zh" else "blocked: ") + "; ".join(
                        (b.rule.title.get(lang)) for b in blockers)
                    considered[pid].setdefault(code, m.trusted(
                        m.Considered, code=code, applied=False, effect="exempt", why=why,
                        reasons=[ex.rule_reason(b, facts) for b in blockers]))
                elif exempted_by is None:
                    exempted_by = code
                    ex_reasons = [ex.rule_reason(e, facts)]
                    considered[pid][code] = m.trusted(m.Considered, code=code, applied=True, effect="exempt",
                                                      why=e.rule.title.get(lang), reasons=ex_reasons)
        flags: set[str] = set()
        level_rules = sec.get("level_rules", [])
        if exempted_by is not None:
            rank = sub.exempted_rank(rank, book.circumstances[exempted_by].exemption, keep_rank)
        else:
            effects = sec.get("circumstance_effects", [])
            if effects and not plain:
                effects = _surviving(effects, trace, subject)
            steps = 0
            if any(e.rule.then.effect == "aggravate" for e in effects):  # type: ignore[attr-defined]
                steps += 1
            if any(e.rule.then.effect == "mitigate" for e in effects):  # type: ignore[attr-defined]
                steps -= 1
            for e in effects:
                then = e.rule.then  # type: ignore[attr-defined]
                eff = then.effect
                flags.add(eff)
                reasons.append(ex.rule_reason(e, facts))
                if then.code not in considered[pid]:
                    key = ("considered", e.order, lang)
                    considered[pid][then.code] = shared.get(key) or keep(key, m.trusted(
                        m.Considered, code=then.code, applied=True, effect=eff, why=e.rule.title.get(lang),
                        reasons=[]))
            if rank > 0 and steps > 0:
                rank = max(rank, min(sub.step_up(levels_by_rank, book.levels, rank), cap_rank))
            elif rank > 0 and steps < 0:
                rank = sub.step_down(ranks, rank, keep_rank)
            for e in (_surviving(level_rules, trace, subject) if level_rules and not plain else level_rules):
                then = e.rule.then  # type: ignore[attr-defined]
                if then.min_level and rank > 0:
                    floor = book.levels[then.min_level].rank
                    if floor > rank:
                        rank = floor
                        reasons.append(ex.rule_reason(e, facts))
        if level_rules and not plain:
            level_rules = _surviving(level_rules, trace, subject)
        for e in level_rules:
            then = e.rule.then  # type: ignore[attr-defined]
            if then.max_level is not None:
                ceiling = book.levels[then.max_level].rank
                if ceiling < rank or (ceiling == 0 and base_level.rank > 0):
                    rank = min(rank, ceiling)
                    reasons.append(ex.rule_reason(e, facts))
        per_person[pid].append(_ItemResult(f.item, fi, resp, grade.value, rank, exempted_by, flags, reasons,
                                           ex_reasons))

    # exemption codes claimed but not applied, with why
    if is_error:
        for p in case.persons:
            claimed = [code for code in p.circumstances if book.circumstances[code].kind == "exempting"]
            for code in claimed:
                if code in considered[p.id]:
                    continue
                rules_for = prep.exemption_rules.get(code, [])
                liable = [r for r in per_person[p.id] if r.responsibility != "none"]
                if not liable:
                    why = "无须免责：该人员对任何情形不承担责任" if lang == "zh" else \
                        "not needed: the person bears no responsibility for any item"
                elif not rules_for:
                    why = "规则库中没有该免责情形的适用规则" if lang == "zh" else "the rulebook has no rule for this code"
                else:
                    fi = liable[0].finding_index
                    idx = keys.index((p.id, fi))
                    why = ("条件不满足：" if lang == "zh" else "conditions not met: ") + ex.why_not(
                        rules_for[0], batch[idx][1])
                considered[p.id][code] = m.trusted(m.Considered, code=code, applied=False, effect="exempt", why=why,
                                                   reasons=[])

    persons_out: list[m.PersonOutcome] = []
    max_grade = 0
    for p in case.persons:
        res = per_person[p.id]
        items_out = []
        for ir in res:
            key = ("item", ir.item, ir.responsibility, ir.grade, ir.rank, ir.exempted_by)
            items_out.append(shared.get(key) or keep(key, m.trusted(
                m.ItemOutcome, item=ir.item, responsibility=ir.responsibility,
                grade=grade_by_value[ir.grade].id if ir.grade is not None else None,
                level=levels_by_rank[ir.rank].id, rank=ir.rank, exempted_by=ir.exempted_by)))
        liable = [ir for ir in res if ir.responsibility != "none"]
        for ir in liable:
            if ir.grade is not None and ir.grade > max_grade:
                max_grade = ir.grade
        if res:
            decisive = max(res, key=lambda ir: (ir.rank, resp_rank[ir.responsibility], -ir.finding_index))
        rank = decisive.rank if res else 0
        level = levels_by_rank[rank]
        resp = decisive.responsibility if res and (rank > 0 or decisive.exempted_by) else (
            max(liable, key=lambda ir: resp_rank[ir.responsibility]).responsibility if liable else "none")
        all_exempt = bool(liable) and all(ir.exempted_by for ir in liable)
        ex_kind = book.circumstances[decisive.exempted_by].exemption if all_exempt and decisive.exempted_by else None
        if ex_kind == "not_liable":
            resp = "none"  # 不予追究: no liability (the items keep the share that would have applied)
        chosen = channel_of.get(p.id) if is_error and rank > 0 else None
        channel = chosen[0] if chosen else None
        exemption = None
        p_reasons: list[m.Reason] = []
        if all_exempt:
            first = decisive if decisive.exempted_by else next(ir for ir in liable if ir.exempted_by)
            exemption = m.trusted(m.Exemption, code=first.exempted_by or "", reasons=first.exemption_reasons,
                                  kind=book.circumstances[first.exempted_by or ""].exemption)
            p_reasons = first.reasons + first.exemption_reasons
        elif res:
            # reasons are shared objects within one evaluation: equal content means the same object
            seen: set[int] = set()
            for ir in res:
                if ir.rank == rank and (rank > 0 or ir.reasons):
                    for x in ir.reasons:
                        if id(x) not in seen:
                            seen.add(id(x))
                            p_reasons.append(x)
        if not is_error:
            p_reasons = list(status_reasons)
        if chosen:
            p_reasons.append(chosen[1])
        p_flags: set[str] = set().union(*(ir.band_flags for ir in res if ir.rank == rank)) if res else set()
        band = None
        if rank > 0 and p_flags & {"heavier", "lighter"}:
            hv, lt = "heavier" in p_flags, "lighter" in p_flags
            band = "upper" if hv and not lt else "lower" if lt and not hv else "middle"
        measures = list(level.measures.get(channel or "", level.measures.get("default", []))) if rank > 0 else []
        influence = None
        if rank > 0:
            spec = level.influence.get(channel or "") or level.influence.get("default")
            if spec is not None:
                key = ("influence", level.id, channel, lang, detail, ex.mask(spec.citations))
                influence = shared.get(key) or keep(key, m.trusted(
                    m.Influence, months=spec.months, effects=list(spec.effects), verified=spec.verified,
                    basis=ex.reason(rule=f"ladder.{level.id}.influence", text=level.name.get(lang),
                                    specs=spec.citations, span=level.span, facts={"level": level.id},
                                    inference=spec.inference)))
        persons_out.append(m.trusted(
            m.PersonOutcome, id=p.id, name=p.name, role=p.role, responsibility=resp,
            level=level.id, rank=rank, measures=measures, exemption=exemption, referral=level.referral,
            influence=influence, channel=channel, band=band, items=items_out,
            considered=list(considered[p.id].values()), reasons=p_reasons))

    # ---- round 3: the outcome
    answered_items = sub.answered(persons_out)
    situations = sub.mark_unanswered(situations, answered_items, lang,
                                     lambda k, make: shared.get(k) or keep(k, make()))
    out_items = [s.item for s in situations if not s.unanswered]
    fault_of = {p.id: p.fault for p in case.persons}
    of: Facts = {
        **cf,
        "outcome.status": status,
        "outcome.definition": definition or "",
        "outcome.max_grade": max_grade,
        "outcome.max_rank": max((po.rank for po in persons_out), default=0),
        "outcome.items": sorted(set(out_items)),
        "outcome.categories": sorted({item_info[i].category for i in out_items}),
        "outcome.referral": any(po.referral for po in persons_out),
        "outcome.liable_count": sum(1 for po in persons_out if po.rank > 0),
        "outcome.unanswered_items": sorted({s.item for s in situations if s.unanswered}),
        "outcome.liable_max_fault_rank": max((FAULT_RANK[fault_of[po.id]] for po in persons_out
                                              if po.rank > 0 or po.exemption is not None), default=0),
    }
    (hits,) = engine.matcher.match([("outcome", of)])
    fired = [rules[i] for i in hits]
    if tracing:
        for e in fired:
            trace.add(EventKind.RULE_FIRED, e.id, "outcome")
    unit_rules = _surviving([e for e in fired if e.section == "unit_measures"], trace, "outcome")
    measure_reasons: dict[str, list[m.Reason]] = {}
    for e in unit_rules:
        r = ex.rule_reason(e, of)
        for mid in e.rule.then.measures:  # type: ignore[attr-defined]
            measure_reasons.setdefault(mid, []).append(r)
    present = set(measure_reasons)
    unit_out = []
    for mt in book.unit_measure_types.values():
        if mt.id in present and not (set(mt.superseded_by) & present):
            reasons = measure_reasons[mt.id]
            key = ("unit", mt.id, lang, *map(id, reasons))
            unit_out.append(shared.get(key) or keep(key, m.trusted(
                m.UnitMeasure, measure=mt.id, code=mt.code, name=mt.name.get(lang), reasons=reasons)))
    review_rules = _surviving([e for e in fired if e.section == "review"], trace, "outcome")
    if review_rules:
        best = max(review_rules, key=lambda e: (book.review_tracks[e.rule.then.track].rank, -e.order))  # type: ignore[attr-defined]
        track = best.rule.then.track  # type: ignore[attr-defined]
        track_rank = {t: tr.rank for t, tr in book.review_tracks.items()}
        reasons = [ex.rule_reason(e, of) for e in sorted(
            review_rules, key=lambda e: (-track_rank[e.rule.then.track], e.order))]  # type: ignore[attr-defined]
        tracks = sub.tracks_listed([e.rule.then.track for e in review_rules],  # type: ignore[attr-defined]
                                   track_rank)
        key = ("review", track, *tracks, *map(id, reasons))
        review = shared.get(key) or keep(key, m.trusted(m.Review, track=track, reasons=reasons, tracks=tracks))
    else:
        trace.add(EventKind.NO_RULE, "review", "outcome")
        review = shared.get(("review", "routine")) or keep(("review", "routine"), m.trusted(
            m.Review, track="routine", reasons=[], tracks=["routine"]))

    return m.trusted(
        m.Recommendation,
        case_id=c.id,
        rulebook=prep.rulebook_ref,
        engine=shared.get(("engine", engine.backend)) or keep(("engine", engine.backend), m.EngineRef(
            version=__version__, backend=engine.backend)),
        error_case=error_case, situations=situations, persons=persons_out, unit_measures=unit_out,
        review=review)


def _matrix_text(lang: str, item: rb.Item, grade: rb.Grade, resp: rb.ResponsibilityType, level: rb.Level) -> str:
    if lang == "zh":
        return f"{item.id}「{item.name.zh}」为{grade.name.zh}（{grade.id}），{resp.name.zh} → {level.name.zh}"
    return f"{item.id} ({item.name.en}) is {grade.name.en} ({grade.id}); {resp.name.en} → {level.name.en}"

