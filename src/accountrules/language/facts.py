"""The fact vocabulary: every path a condition may test, its type, its allowed values, and
which stage provides it — plus the functions that turn a case into facts.

Stages (one fact per …): ``case`` (the case), ``pf`` (person × finding), ``person`` (person),
``outcome`` (the case after persons are decided). Every fact is flat: ``{"case.origin": …}``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..contract import models as m

FactType = Literal["bool", "int", "number", "str", "list"]

STAGES: tuple[str, ...] = ("case", "pf", "person", "outcome")


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact path."""

    path: str
    type: FactType
    values: tuple[str, ...] | str | None  # a closed enum, a rulebook vocabulary name, or free
    stages: tuple[str, ...]
    doc: str

    def vocabulary(self, vocabs: Mapping[str, tuple[str, ...]]) -> tuple[str, ...] | None:
        """The allowed values, resolving rulebook vocabularies (items, circumstances …)."""
        if isinstance(self.values, str):
            return vocabs.get(self.values, ())
        return self.values


_ALL = STAGES
_PF = ("pf",)
_PERSONAL = ("pf", "person")
_OUT = ("outcome",)

#: the steps of the handling chain a role may take (the rulebook's ``roles``)
CHAIN_STEPS: tuple[str, ...] = ("handling", "review", "legal_review", "approval", "leadership", "collective",
                                "supervision")

#: role → (step, position): the chain of a rulebook that declares no ``roles`` (the default rulebook's)
DEFAULT_ROLE_CHAIN: dict[str, tuple[str, int]] = {
    "handler": ("handling", 1), "reviewer": ("review", 2), "legal_reviewer": ("legal_review", 3),
    "approver": ("approval", 4), "leader_in_charge": ("leadership", 5), "principal": ("leadership", 6),
    "collective_member": ("collective", 6), "superior": ("supervision", 7),
}

FAULT_RANK = {"none": 0, "ordinary_negligence": 1, "gross_negligence": 2, "intentional": 3}
IMPACT_RANK = {"none": 0, "minor": 1, "serious": 2, "severe": 3}

_SPECS = [
    FactSpec("case.origin", "str", m.ORIGINS, _ALL, "who corrected the act"),
    FactSpec("case.outcome", "str", m.OUTCOMES, _ALL, "how it was corrected"),
    FactSpec("case.effective", "bool", None, _ALL, "the judgment/decision is legally effective"),
    FactSpec("case.act_type", "str", m.ACT_TYPES, _ALL, "kind of administrative act"),
    FactSpec("case.grounds", "list", m.GROUNDS, _ALL, "statutory grounds named by the correcting body"),
    FactSpec("case.agency.level", "str", m.AGENCY_LEVELS, _ALL, "level of the agency"),
    FactSpec("case.agency.field", "str", None, _ALL, "enforcement field (snake_case)"),
    FactSpec("case.hearing.present", "bool", None, _ALL, "hearing facts were given"),
    FactSpec("case.hearing.head_summoned", "bool", None, _ALL, "the court notified the agency head"),
    FactSpec("case.hearing.head_appeared", "bool", None, _ALL, "the agency head appeared"),
    FactSpec("case.hearing.absence_reason", "str", m.ABSENCE_REASONS, _ALL, "reason for absence"),
    FactSpec("case.hearing.absence_documented", "bool", None, _ALL, "sealed/signed explanation filed"),
    FactSpec("case.hearing.staff_appeared", "bool", None, _ALL, "a staff member appeared"),
    FactSpec("case.law_date", "int", None, _ALL, "the date whose law judges the conduct, YYYYMMDD (0: unknown)"),
    FactSpec("case.opinion_letter", "bool", None, _ALL, "a reconsideration opinion letter (行政复议意见书) was issued"),
    FactSpec("case.supervision_recommendation_refused", "bool", None, _ALL,
             "the unit refused a supervisory commission's 监察建议 or handling decision without a proper reason"),
    FactSpec("case.consequences.economic_loss_yuan", "number", None, _ALL, "economic loss (yuan)"),
    FactSpec("case.consequences.social_impact", "str", m.SOCIAL_IMPACTS, _ALL, "social impact"),
    FactSpec("case.consequences.social_impact_rank", "int", None, _ALL, "none 0, minor 1, serious 2, severe 3"),
    FactSpec("case.consequences.state_compensation", "bool", None, _ALL, "state compensation was paid"),
    FactSpec("case.consequences.mass_incident", "bool", None, _ALL, "a mass incident occurred"),
    FactSpec("case.history.same_field_losses_3y", "int", None, _ALL, "losses in the same field in 3 years"),
    FactSpec("case.history.same_issue_lost_before", "bool", None, _ALL, "the same problem lost before"),
    FactSpec("case.history.same_act_remade", "bool", None, _ALL, "the same act was re-made after an order to re-make it"),
    FactSpec("case.history.series_cases", "int", None, _ALL, "other cases of the same series"),
    FactSpec("case.items", "list", "items", _ALL, "items named by the findings"),
    FactSpec("case.categories", "list", "categories", _ALL, "categories of those items"),
    FactSpec("case.findings_count", "int", None, _ALL, "number of findings"),
    FactSpec("case.persons_count", "int", None, _ALL, "number of persons"),
    FactSpec("case.history.county_loss_rate", "number", None, _ALL,
             "the county's litigation loss rate (0-1), 0 when unknown (see county_loss_rate_known)"),
    FactSpec("case.history.county_loss_rate_known", "bool", None, _ALL,
             "the case file gives the county's litigation loss rate"),
    FactSpec("case.history.agency_loss_rate", "number", None, _ALL,
             "the agency's own litigation loss rate (0-1), 0 when unknown (see agency_loss_rate_known)"),
    FactSpec("case.history.agency_loss_rate_known", "bool", None, _ALL,
             "the case file gives the agency's litigation loss rate"),
    FactSpec("case.history.same_field_losses", "int", None, _ALL,
             "the agency's losses in the same field within same_field_window_years years"),
    FactSpec("case.history.same_field_window_years", "int", None, _ALL,
             "the window of same_field_losses, in years (3 when only same_field_losses_3y is given)"),
    FactSpec("case.history.prior_unit_sanctions", "int", None, _ALL,
             "accountability measures already taken against the agency as a unit"),
    FactSpec("case.procedure.reviewed", "bool", None, _ALL,
             "the act passed review (审核) — as stated, else a person of a review role is listed"),
    FactSpec("case.procedure.legally_reviewed", "bool", None, _ALL,
             "the act passed legal review (法制审核) — as stated, else a person of a legal_review role is listed"),
    FactSpec("case.procedure.approved", "bool", None, _ALL,
             "the act was approved (审批) — as stated, else a person of an approval role is listed"),
    FactSpec("case.procedure.stated", "bool", None, _ALL,
             "the case file states the procedure (case.procedure) rather than leaving it to be derived"),
    FactSpec("case.named_roles", "list", m.ROLES, _ALL, "roles of the persons any finding names"),
    FactSpec("case.max_fault_rank", "int", None, _ALL, "highest fault rank of any person (0 if none)"),
    FactSpec("case.party_org_serious_breach", "bool", None, _ALL,
             "the unit's party organisation seriously breached party discipline and cannot correct itself"),
    FactSpec("policy.chain_weighting", "str", ("handler_first", "approver_first"), _ALL, "policy switch"),
    FactSpec("policy.county_triggers", "bool", None, _ALL, "T5/T6 of the county 办法 apply"),
    FactSpec("person.role", "str", m.ROLES, _PERSONAL, "role in the chain"),
    FactSpec("person.party_member", "bool", None, _PERSONAL, "member of the CPC"),
    FactSpec("person.leading_cadre", "bool", None, _PERSONAL, "a leading cadre (领导干部)"),
    FactSpec("person.fault", "str", m.FAULTS, _PERSONAL, "degree of fault"),
    FactSpec("person.fault_rank", "int", None, _PERSONAL, "none 0, ordinary 1, gross 2, intentional 3"),
    FactSpec("person.conduct", "list", m.CONDUCTS, _PERSONAL, "what the person did"),
    FactSpec("person.circumstances", "list", "circumstances", _PERSONAL, "circumstance codes claimed"),
    FactSpec("person.private_gain", "bool", None, _PERSONAL, "acted for private gain"),
    FactSpec("person.superior_order_manifestly_unlawful", "bool", None, _PERSONAL,
             "executed a manifestly unlawful superior decision"),
    FactSpec("person.diligent_review", "bool", None, _PERSONAL, "diligent review is documented"),
    FactSpec("person.crime_suspected", "bool", None, _PERSONAL, "a crime is suspected"),
    FactSpec("person.within_sanction_period", "bool", None, _PERSONAL,
             "acted again within a sanction or influence period"),
    FactSpec("person.chain_position", "int", None, _PERSONAL,
             "the position of the person's role in the handling chain (the rulebook's roles; 0: not in it)"),
    FactSpec("person.prior_sanctions", "int", None, _PERSONAL,
             "accountability measures or sanctions the person received before"),
    FactSpec("person.named_items", "list", "items", _PERSONAL, "items whose findings name this person"),
    FactSpec("person.named_count", "int", None, _PERSONAL, "findings that name this person"),
    FactSpec("finding.item", "str", "items", _PF, "the finding's item"),
    FactSpec("finding.category", "str", "categories", _PF, "the item's category"),
    FactSpec("finding.base_grade", "int", None, _PF, "the item's baseline grade value"),
    FactSpec("finding.named", "bool", None, _PF, "the finding names this person"),
    FactSpec("finding.named_roles", "list", m.ROLES, _PF, "roles of the persons the finding names"),
    FactSpec("finding.named_count", "int", None, _PF, "number of persons the finding names"),
    FactSpec("finding.named_faults", "list", m.FAULTS, _PF, "degrees of fault of the persons the finding names"),
    FactSpec("finding.handler_fault_rank", "int", None, _PF,
             "highest fault rank of the persons the finding names whose role is a handling step (the "
             "rulebook's roles; 0 if none): the handler's fault as a reviewer's or approver's rule sees it"),
    FactSpec("finding.direct_fault_rank", "int", None, _PF,
             "highest fault rank of the persons the finding names whose role is a typical direct bearer of the item"),
    FactSpec("finding.earlier_max_fault_rank", "int", None, _PF,
             "highest fault rank of the persons the finding names whose role comes earlier in the chain"),
    FactSpec("finding.others_max_fault_rank", "int", None, _PF,
             "highest fault rank of the other persons the finding names (0 if none)"),
    FactSpec("finding.other_items", "list", "items", _PF, "items of the case's other findings (this finding's item excluded)"),
    FactSpec("finding.role_is_direct", "bool", None, _PF, "this person's role is a typical direct bearer"),
    FactSpec("finding.role_is_oversight", "bool", None, _PF, "this person's role is a typical oversight role"),
    FactSpec("finding.grade", "int", None, _PF, "grade value of the item after case-level modifiers"),
    FactSpec("finding.deception_detectable", "bool", None, _PF,
             "a diligent review could have detected the falsification"),
    FactSpec("finding.collective", "bool", None, _PF, "the item came from a collective decision"),
    FactSpec("finding.unlawful_norm", "bool", None, _PF,
             "the act followed a normative document that itself conflicts with law"),
    FactSpec("outcome.status", "str", ("error_case", "not_error_case", "pending"), _OUT, "error-case status"),
    FactSpec("outcome.definition", "str", "definitions", _OUT, "the definition (T1…), '' if none"),
    FactSpec("outcome.max_grade", "int", None, _OUT, "highest grade value of any person's item"),
    FactSpec("outcome.max_rank", "int", None, _OUT, "highest rank of any person"),
    FactSpec("outcome.items", "list", "items", _OUT, "items of the situations"),
    FactSpec("outcome.categories", "list", "categories", _OUT, "categories of the situations"),
    FactSpec("outcome.referral", "bool", None, _OUT, "someone is referred"),
    FactSpec("outcome.liable_count", "int", None, _OUT, "persons with rank > 0"),
    FactSpec("outcome.unanswered_items", "list", "items", _OUT,
             "items of situations nobody was found responsible for (not in outcome.items)"),
    FactSpec("outcome.liable_max_fault_rank", "int", None, _OUT,
             "highest fault rank of a liable person (rank > 0 or exempted), 0 if none"),
]

FACTS: dict[str, FactSpec] = {s.path: s for s in _SPECS}


def law_date(d: _dt.date | None) -> int:
    """The fact ``case.law_date``: the date whose law judges the conduct as ``YYYYMMDD`` (0: unknown)."""
    return 0 if d is None else d.year * 10000 + d.month * 100 + d.day


def case_facts(case: m.Case, policy: Mapping[str, Any], item_category: Mapping[str, str],
               chain: Mapping[str, tuple[str, int]] = DEFAULT_ROLE_CHAIN) -> dict[str, Any]:
    """The case-level facts shared by every stage (``chain``: role → (step, position), the rulebook's roles)."""
    c = case.case
    h = c.hearing
    items: list[str] = []
    for f in c.findings:
        if f.item not in items:
            items.append(f.item)
    cats: list[str] = []
    for it in items:
        cat = item_category.get(it)
        if cat and cat not in cats:
            cats.append(cat)
    return {
        "case.origin": c.origin,
        "case.outcome": c.outcome,
        "case.effective": c.effective,
        "case.act_type": c.act_type,
        "case.grounds": sorted(set(c.grounds)),
        "case.agency.level": c.agency.level,
        "case.agency.field": c.agency.field,
        "case.hearing.present": h is not None,
        "case.hearing.head_summoned": bool(h and h.head_summoned),
        "case.hearing.head_appeared": bool(h.head_appeared) if h else True,
        "case.hearing.absence_reason": h.absence_reason if h else "none",
        "case.hearing.absence_documented": bool(h and h.absence_documented),
        "case.hearing.staff_appeared": bool(h.staff_appeared) if h else True,
        "case.law_date": law_date(c.conduct_date or c.decided_on),
        "case.opinion_letter": c.opinion_letter,
        "case.supervision_recommendation_refused": c.supervision_recommendation_refused,
        "case.consequences.economic_loss_yuan": c.consequences.economic_loss_yuan,
        "case.consequences.social_impact": c.consequences.social_impact,
        "case.consequences.social_impact_rank": IMPACT_RANK[c.consequences.social_impact],
        "case.consequences.state_compensation": c.consequences.state_compensation,
        "case.consequences.mass_incident": c.consequences.mass_incident,
        "case.history.same_field_losses_3y": c.history.same_field_losses_3y,
        "case.history.same_issue_lost_before": c.history.same_issue_lost_before,
        "case.history.same_act_remade": c.history.same_act_remade,
        "case.history.series_cases": c.history.series_cases,
        "case.items": sorted(items),
        "case.categories": sorted(cats),
        "case.findings_count": len(c.findings),
        "case.persons_count": len(case.persons),
        **_record_facts(c.history),
        **_procedure_facts(case, chain),
        "case.party_org_serious_breach": c.party_org_serious_breach,
        "policy.chain_weighting": policy.get("chain_weighting", "handler_first"),
        "policy.county_triggers": bool(policy.get("county_triggers", False)),
    }


def _record_facts(hist: m.History) -> dict[str, Any]:
    """The agency's record: loss rates (0 when unknown, with a ``_known`` flag), losses in the field."""
    window = hist.same_field_window_years
    return {
        "case.history.county_loss_rate": hist.county_loss_rate or 0,
        "case.history.county_loss_rate_known": hist.county_loss_rate is not None,
        "case.history.agency_loss_rate": hist.agency_loss_rate or 0,
        "case.history.agency_loss_rate_known": hist.agency_loss_rate is not None,
        "case.history.same_field_losses": (hist.same_field_losses_3y if hist.same_field_losses is None
                                           else hist.same_field_losses),
        "case.history.same_field_window_years": 3 if window is None else window,
        "case.history.prior_unit_sanctions": hist.prior_unit_sanctions,
    }


def _procedure_facts(case: m.Case, chain: Mapping[str, tuple[str, int]]) -> dict[str, Any]:
    """Review, legal review, approval: as the case file states them, else from the steps of the roles listed;
    who was named."""
    proc = case.case.procedure
    steps = {chain[p.role][0] for p in case.persons if p.role in chain}
    by_id = {p.id: p for p in case.persons}
    named = sorted({by_id[pid].role for f in case.case.findings for pid in f.persons if pid in by_id})
    return {
        "case.procedure.reviewed": proc.reviewed if proc else "review" in steps,
        "case.procedure.legally_reviewed": proc.legally_reviewed if proc else "legal_review" in steps,
        "case.procedure.approved": proc.approved if proc else "approval" in steps,
        "case.procedure.stated": proc is not None,
        "case.named_roles": named,
        "case.max_fault_rank": max((FAULT_RANK[p.fault] for p in case.persons), default=0),
    }


def person_facts(case: m.Case, person: m.Person, chain: Mapping[str, tuple[str, int]] = DEFAULT_ROLE_CHAIN
                 ) -> dict[str, Any]:
    """Facts about one person (stages ``pf`` and ``person``)."""
    named = [f.item for f in case.case.findings if person.id in f.persons]
    return {
        "person.role": person.role,
        "person.party_member": person.party_member,
        "person.leading_cadre": person.leading_cadre,
        "person.fault": person.fault,
        "person.fault_rank": FAULT_RANK[person.fault],
        "person.conduct": sorted(set(person.conduct)),
        "person.circumstances": sorted(set(person.circumstances)),
        "person.private_gain": person.private_gain,
        "person.superior_order_manifestly_unlawful": person.superior_order_manifestly_unlawful,
        "person.diligent_review": person.diligent_review,
        "person.crime_suspected": person.crime_suspected,
        "person.within_sanction_period": person.within_sanction_period,
        "person.prior_sanctions": person.prior_sanctions,
        "person.chain_position": chain[person.role][1] if person.role in chain else 0,
        "person.named_items": sorted(set(named)),
        "person.named_count": len(named),
    }


def finding_facts(
    case: m.Case,
    finding: m.Finding,
    person: m.Person,
    *,
    category: str,
    base_grade: int,
    grade: int,
    direct_roles: Collection[str],
    oversight_roles: Collection[str],
    roles: Mapping[str, str] | None = None,
    chain: Mapping[str, tuple[str, int]] = DEFAULT_ROLE_CHAIN,
) -> dict[str, Any]:
    """Facts about one finding as seen from one person (``roles``: person id → role, if at hand; ``chain``:
    role → (step, position), the rulebook's roles)."""
    if roles is None:
        roles = {p.id: p.role for p in case.persons}
    named_roles = sorted({roles[pid] for pid in finding.persons if pid in roles})
    faults = {p.id: FAULT_RANK[p.fault] for p in case.persons if p.id in finding.persons}
    mine = chain.get(person.role, ("", 0))[1]
    fault_of = {p.id: p.fault for p in case.persons if p.id in finding.persons}
    return {
        "finding.item": finding.item,
        "finding.category": category,
        "finding.base_grade": base_grade,
        "finding.named": person.id in finding.persons,
        "finding.named_roles": named_roles,
        "finding.named_count": len(finding.persons),
        "finding.named_faults": sorted(set(fault_of.values())),
        "finding.handler_fault_rank": max((r for pid, r in faults.items()
                                           if chain.get(roles.get(pid, ""), ("", 0))[0] == "handling"), default=0),
        "finding.earlier_max_fault_rank": max((r for pid, r in faults.items()
                                               if 0 < chain.get(roles.get(pid, ""), ("", 0))[1] < mine), default=0),
        "finding.direct_fault_rank": max((r for pid, r in faults.items() if roles.get(pid) in direct_roles),
                                         default=0),
        "finding.others_max_fault_rank": max((r for pid, r in faults.items() if pid != person.id), default=0),
        "finding.other_items": sorted({f.item for f in case.case.findings if f is not finding} - {finding.item}),
        "finding.role_is_direct": person.role in direct_roles,
        "finding.role_is_oversight": person.role in oversight_roles,
        "finding.grade": grade,
        "finding.deception_detectable": finding.deception_detectable,
        "finding.collective": finding.collective,
        "finding.unlawful_norm": finding.unlawful_norm,
    }
