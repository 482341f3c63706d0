"""Stage 5 — decide: the driver of the decision, one function per matching round.

``decide`` runs the three rounds of ``docs/semantics.md`` — the case, each person × finding and
each person, the outcome — asking the matcher it is given which rules match each round's facts.
Each section of the rulebook is decided in a module of its own: :mod:`.status` (status rules and
situations), :mod:`.finding` with :mod:`.chain`, :mod:`.grading`, :mod:`.exemptions`,
:mod:`.circumstances` and :mod:`.ladder` (one person × one finding), :mod:`.channel` and
:mod:`.persons` (a person's outcome), :mod:`.outcome` (unit measures and review). The reasons come
from :mod:`accountrules.explanation`; output objects equal from one case to the next are shared
through :mod:`.sharing`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from .._version import __version__
from ..contract import models as m
from ..explanation.explain import Explainer, ReasonCache
from ..explanation.trace import EventKind, NullTrace, Trace
from ..language.facts import FAULT_RANK, case_facts, finding_facts, law_date, person_facts
from ..matching.protocol import Matcher
from ..rules.citations import case_dates
from ..rules.validate import Rulebook, RuleEntry
from .channel import person_channel
from .exemptions import ItemResult, unapplied_claims
from .finding import decide_finding
from .grading import grade_sum
from .outcome import UNFOUND_NOTE, answered, found, mark_unanswered, review_track, unit_measures
from .overrides import live, surviving
from .persons import person_outcome
from .prepared import Evaluation, Facts, Prepared
from .status import case_status, situations

__all__ = ["Prepared", "decide"]




def decide(book: Rulebook, matcher: Matcher, case: m.Case, lang: str, trace: Trace | None = None,
           detail: str = "full", *, prepared: Prepared | None = None, reason_cache: ReasonCache | None = None,
           as_of: _dt.date | None = None, law: str = "conduct") -> m.Recommendation:
    """Decide ``case`` (whose codes the rulebook defines) with ``book``'s rules, matched by ``matcher``.

    ``as_of`` is the date of evaluation (the case's ``decided_on`` when None); ``law`` is ``conduct``
    to judge the conduct by the law at the conduct date, ``evaluation`` by the law at the date of
    evaluation — the newer law that 从旧兼从轻 compares (:mod:`.choice_of_law`).

    Raises:
        RuleConflict: status rules with different outcomes fired, none an exception to another.
    """
    prep = prepared if prepared is not None else Prepared.of(book)
    c = case.case
    dates = case_dates(c.decided_on, c.conduct_date, as_of, book.manifest.policy.reference_date, law)
    ev = Evaluation(book, prep, case, Explainer(book, lang, dates["decision"], reason_cache, detail, dates),
                    trace if trace is not None else NullTrace(), trace is not None and not isinstance(trace, NullTrace),
                    lang, detail, prep.shared)
    cf = case_facts(case, prep.policy, prep.item_cat, prep.chain)
    cf["case.law_date"] = law_date(dates["conduct"])
    ev.ex.case_facts = cf
    error_case, status_reasons, by_sec = _round_case(ev, matcher, cf)
    is_error = error_case.status == "error_case"
    case_grade = surviving(by_sec.get("grade_modifiers", []), ev.trace, "case")
    case_delta = grade_sum(case_grade)
    case_grade_reasons = [ev.ex.rule_reason(e, cf) for e in case_grade]
    grounds = surviving(by_sec.get("grounds", []), ev.trace, "case")
    situations_out = situations(ev, grounds, cf) if is_error else []
    persons_out, max_grade = _round_persons(ev, matcher, cf, is_error, case_delta, case_grade_reasons, status_reasons)
    if book.manifest.policy.flag_unanswered:
        situations_out = mark_unanswered(ev, situations_out, answered(persons_out, prep.none_resp))
    else:  # the agency answers for what the review found; a ground's default alone is not found
        situations_out = mark_unanswered(ev, situations_out, found(case), UNFOUND_NOTE)
    unit_out, review = _round_outcome(ev, matcher, cf, error_case, situations_out, persons_out, max_grade)
    shared = prep.shared
    return m.trusted(
        m.Recommendation,
        case_id=c.id,
        rulebook=prep.rulebook_ref,
        engine=shared.get(("engine", matcher.backend)) or shared.keep(("engine", matcher.backend), m.EngineRef(
            version=__version__, backend=matcher.backend)),
        error_case=error_case, situations=situations_out, persons=persons_out, unit_measures=unit_out,
        review=review)


def _fired_by_section(ev: Evaluation, hits: Sequence[int], subject: str) -> dict[str, list[RuleEntry]]:
    """The fired rules of one fact, by section, in rulebook order (each traced as fired)."""
    rules, section_of = ev.book.rules, ev.prep.section_of
    out: dict[str, list[RuleEntry]] = {}
    for i in hits:
        out.setdefault(section_of[i], []).append(rules[i])
    if ev.tracing:
        for i in hits:
            ev.trace.add(EventKind.RULE_FIRED, rules[i].id, subject)
    return out


def _round_case(ev: Evaluation, matcher: Matcher, cf: Facts
                ) -> tuple[m.ErrorCaseOut, list[m.Reason], dict[str, list[RuleEntry]]]:
    """Round 1: the case fact — its status, and the fired rules of the case's other sections."""
    (hits,) = matcher.match([("case", cf)])
    by_sec = _fired_by_section(ev, hits, "case")
    error_case = case_status(ev, by_sec.get("status_rules", []), cf)
    return error_case, error_case.reasons, by_sec


def _fact_batch(ev: Evaluation, cf: Facts, is_error: bool, case_delta: int
                ) -> tuple[list[tuple[str, Facts]], list[tuple[str, int]]]:
    """Round 2's facts: one per person (key ``(pid, -1)``), then, in an error case, one per
    finding × person (key ``(pid, finding index)``)."""
    case, prep = ev.case, ev.prep
    pfacts = {p.id: person_facts(case, p, prep.chain) for p in case.persons}
    roles = {p.id: p.role for p in case.persons}
    batch: list[tuple[str, Facts]] = []
    keys: list[tuple[str, int]] = []
    for p in case.persons:
        batch.append(("person", {**cf, **pfacts[p.id]}))
        keys.append((p.id, -1))
    if is_error:
        for fi, f in enumerate(case.case.findings):
            info = prep.items[f.item]
            fgrade = min(max(info.base + case_delta, prep.gmin), prep.gmax)
            for p in case.persons:
                ff = finding_facts(case, f, p, category=info.category, base_grade=info.base, grade=fgrade,
                                   direct_roles=info.direct_roles, oversight_roles=info.oversight_roles,
                                   roles=roles, chain=prep.chain)
                batch.append(("pf", {**cf, **pfacts[p.id], **ff}))
                keys.append((p.id, fi))
    return batch, keys


def _round_persons(ev: Evaluation, matcher: Matcher, cf: Facts, is_error: bool, case_delta: int,
                   case_grade_reasons: list[m.Reason], status_reasons: list[m.Reason]
                   ) -> tuple[list[m.PersonOutcome], int]:
    """Round 2: every person × finding and every person; their outcomes and the highest grade."""
    persons = ev.case.persons
    findings = ev.case.case.findings
    batch, keys = _fact_batch(ev, cf, is_error, case_delta)
    results = matcher.match(batch)
    holders = ev.prep.exception_holders
    channel_of: dict[str, tuple[str, m.Reason] | None] = {}
    per_person: dict[str, list[ItemResult]] = {p.id: [] for p in persons}
    considered: dict[str, dict[str, m.Considered]] = {p.id: {} for p in persons}
    facts_of: dict[str, dict[int, Facts]] = {p.id: {} for p in persons}
    for (pid, fi), (_, facts), hit in zip(keys, batch, results, strict=True):
        subject = (pid if fi < 0 else f"{pid}×{findings[fi].item}#{fi}") if ev.tracing else ""
        fired = _fired_by_section(ev, hit, subject)
        plain = holders.isdisjoint(hit)  # no fired rule names an exception: nothing is overridden
        if fi < 0:
            channel_of[pid] = person_channel(ev, live(fired, "channel_rules", plain, ev.trace, subject), facts)
            continue
        facts_of[pid][fi] = facts
        per_person[pid].append(decide_finding(ev, fi, facts, fired, plain, subject, case_grade_reasons,
                                              considered[pid]))
    if is_error:
        for p in persons:
            unapplied_claims(ev, p, per_person[p.id], considered[p.id], facts_of[p.id])
    max_grade = max((ir.grade for res in per_person.values() for ir in res
                     if ir.responsibility != ev.prep.none_resp and ir.grade is not None), default=0)
    out = [person_outcome(ev, p, per_person[p.id], considered[p.id], channel_of.get(p.id), is_error, status_reasons)
           for p in persons]
    return out, max(max_grade, 0)


def _round_outcome(ev: Evaluation, matcher: Matcher, cf: Facts, error_case: m.ErrorCaseOut,
                   situations_out: list[m.Situation], persons_out: list[m.PersonOutcome], max_grade: int
                   ) -> tuple[list[m.UnitMeasure], m.Review]:
    """Round 3: the outcome fact — the unit's measures and the review track. The situations nobody
    answers for are not among ``outcome.items`` but in ``outcome.unanswered_items``."""
    out_items = [s.item for s in situations_out if not s.unanswered]
    fault_of = {p.id: p.fault for p in ev.case.persons}
    of: Facts = {
        **cf,
        "outcome.status": error_case.status,
        "outcome.definition": error_case.definition or "",
        "outcome.max_grade": max_grade,
        "outcome.max_rank": max((po.rank for po in persons_out), default=0),
        "outcome.items": sorted(set(out_items)),
        "outcome.categories": sorted({ev.prep.items[i].category for i in out_items}),
        "outcome.referral": any(po.referral for po in persons_out),
        "outcome.liable_count": sum(1 for po in persons_out if po.rank > 0),
        "outcome.unanswered_items": sorted({s.item for s in situations_out if s.unanswered}),
        "outcome.liable_max_fault_rank": max((FAULT_RANK[fault_of[po.id]] for po in persons_out
                                              if po.rank > 0 or po.exemption is not None), default=0),
    }
    (hits,) = matcher.match([("outcome", of)])
    fired = [ev.book.rules[i] for i in hits]
    if ev.tracing:
        for e in fired:
            ev.trace.add(EventKind.RULE_FIRED, e.id, "outcome")
    return unit_measures(ev, fired, of), review_track(ev, fired, of)
