"""Audit the records: equal treatment (同案同罚) and drift under the current rulebook.

**Legally relevant facts** are the facts of the rulebook's own fact vocabulary
(:mod:`accountrules.facts`) that come from the case: the ``case.*`` facts, each person's
``person.*`` facts, and for each finding as seen from that person its item, whether it names the
person, the roles it names and how many. Facts the vocabulary derives from those through the
rulebook (categories, grades, the policy switch) add nothing, since they are equal when their
inputs are; names, ids, notes and the agency's name are not facts any rule tests. Persons are
compared as a multiset of fact profiles, so their order and ids do not matter.

**Like with like: the same law.** The dates are not compared as such, but two decisions are only
alike when the same law governed them: for each of the three dates that choose the law (the
conduct date, the date of the correcting decision, and the date of evaluation — the record's
``as_of``, else ``decided_on``; ``accountrules.rules.citations.case_dates``), the period between
two successive dates at which the current rulebook's law may change (an instrument comes into or
goes out of force, a rule's ``case.law_date`` threshold; ``decision.choice_of_law.boundaries``)
must be the same (``case.law_date``, the date rules test, is compared this way, not as a day).
Decisions under different law (从旧兼从轻 with a newer, lighter law, a text that
came into force) may rightly differ and are not a breach.

**The outcome** compared is the legal result, not its wording: the error-case status and
definition, the situation items, the unit measures, the review track, and for each person
(matched by fact profile) the responsibility, level, rank, measures, exemption, referral, channel
and band.

* An **equal-treatment breach** is a group of records with equal legally relevant facts and more
  than one outcome.
* **Drift** is a record whose stored input, evaluated under the current rulebook with the record's
  own date of evaluation (``as_of``), gives another outcome than the one recorded.
"""

from __future__ import annotations

import datetime as _dt
import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..contract.models import Case
from ..decision.choice_of_law import boundaries
from ..errors import AccountRulesError
from ..language.facts import FACTS, case_facts, finding_facts, person_facts
from ..rules.citations import case_dates
from .store import DecisionRecord, canonical
from .verify import json_differences

# vocabulary facts that the rulebook derives from other facts (equal inputs → equal values)
DERIVED = frozenset({"case.categories", "policy.chain_weighting", "finding.category", "finding.base_grade",
                     "finding.grade", "finding.role_is_direct", "finding.role_is_oversight",
                     # a date as a number: what it can change is the law in force, compared as law periods
                     "case.law_date"})
PERSON_OUTCOME = ("responsibility", "level", "rank", "measures", "exemption", "referral", "channel", "band")


def relevant_facts(case: Case) -> dict[str, Any]:
    """The legally relevant facts of a case (see the module docstring), as plain data."""
    relevant = {p for p in FACTS if p not in DERIVED}
    cf = {k: v for k, v in case_facts(case, {}, {}).items() if k in relevant}
    roles = {p.id: p.role for p in case.persons}
    return {"case": cf, "persons": [_profile(case, p, relevant, roles) for p in case.persons]}


def law_periods(case: Case, as_of: str | None, book: Any) -> dict[str, str]:
    """For each date that chooses the law (``conduct``, ``decision``, ``evaluation``), the period of
    ``book``'s law it falls in: ``FROM..UNTIL`` between two successive law-change dates (either end
    open: ``..UNTIL``, ``FROM..``), or ``undated``."""
    c = case.case
    day = _dt.date.fromisoformat(as_of) if as_of else None
    dates = case_dates(c.decided_on, c.conduct_date, day, book.manifest.policy.reference_date)
    cuts = boundaries(book)
    out = {}
    for basis in ("conduct", "decision", "evaluation"):
        d = dates[basis]
        if d is None:
            out[basis] = "undated"
            continue
        i = bisect_right(cuts, d.isoformat())
        out[basis] = f"{cuts[i - 1] if i > 0 else ''}..{cuts[i] if i < len(cuts) else ''}"
    return out


def _profile(case: Case, person: Any, relevant: set[str], roles: Mapping[str, str]) -> dict[str, Any]:
    pf = {k: v for k, v in person_facts(case, person).items() if k in relevant}
    findings = []
    for f in case.case.findings:
        ff = finding_facts(case, f, person, category="", base_grade=0, grade=0, direct_roles=(), oversight_roles=(),
                           roles=roles)
        findings.append({k: v for k, v in ff.items() if k in relevant})
    pf["findings"] = sorted(findings, key=canonical)
    return pf


def outcome(output: dict[str, Any]) -> dict[str, Any]:
    """The legal outcome of a recommendation (its JSON as data), persons in input order."""
    ec = output.get("error_case", {})
    persons = []
    for p in output.get("persons", []):
        o = {k: p.get(k) for k in PERSON_OUTCOME}
        o["exemption"] = (p.get("exemption") or {}).get("code")
        persons.append(o)
    return {
        "error_case": {"status": ec.get("status"), "definition": ec.get("definition")},
        "situations": sorted(s.get("item") for s in output.get("situations", [])),
        "unit_measures": sorted(u.get("measure") for u in output.get("unit_measures", [])),
        "review": (output.get("review") or {}).get("track"),
        "persons": persons,
    }


def _keyed(facts: dict[str, Any], out: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(facts key, outcome key, outcome with persons sorted by profile) — person order and ids vanish."""
    pairs = sorted(zip((canonical(p) for p in facts["persons"]), out["persons"], strict=False),
                   key=lambda t: (t[0], canonical(t[1])))
    fkey = canonical({"case": facts["case"], "law": facts.get("law"), "persons": [p for p, _ in pairs]})
    o = dict(out, persons=[po for _, po in pairs])
    return fkey, canonical(o), o


@dataclass
class Breach:
    """Records with equal legally relevant facts and different outcomes."""

    facts: dict[str, Any]
    variants: list[dict[str, Any]] = field(default_factory=list)  # {"outcome", "records": [...]}
    differences: list[tuple[str, Any, Any]] = field(default_factory=list)


@dataclass
class Drift:
    """A record whose outcome changes under the current rulebook."""

    record: dict[str, Any]
    differences: list[tuple[str, Any, Any]]
    error: str | None = None


@dataclass
class AuditReport:
    """What ``accountrules audit`` prints."""

    records: int
    rulebook: dict[str, str]
    breaches: list[Breach]
    drift: list[Drift]
    unreadable: list[str]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        def diffs(ds: list[tuple[str, Any, Any]]) -> list[dict[str, Any]]:
            return [{"path": p, "a": a, "b": b} for p, a, b in ds]

        return {
            "records": self.records, "rulebook": self.rulebook,
            "equal_treatment_breaches": [{"facts": b.facts, "variants": b.variants, "differences": diffs(b.differences)}
                                         for b in self.breaches],
            "drift": [{"record": d.record, "error": d.error,
                       "differences": [{"path": p, "recorded": a, "current": c} for p, a, c in d.differences]}
                      for d in self.drift],
            "unreadable": self.unreadable,
        }

    def format_table(self) -> str:
        """Plain text tables."""
        rb = self.rulebook
        lines = [(f"{self.records} records audited; current rulebook {rb['id']} {rb['version']} "
                 f"sha256:{rb['sha256'][:12]}"), "", f"Equal-treatment breaches: {len(self.breaches)}"]
        for i, b in enumerate(self.breaches, 1):
            law = b.facts.get("law", {})
            lines.append(f"  #{i} equal facts under the same law (conduct {law.get('conduct')}, decision "
                         f"{law.get('decision')}, evaluation {law.get('evaluation')}), {len(b.variants)} outcomes:")
            for j, var in enumerate(b.variants):
                for r in var["records"]:
                    lines.append(f"    [{chr(65 + j)}] {r['decision_id']}  case {r['case_id']}  rulebook "
                                 f"{r['rulebook_version']} {r['rulebook_sha256'][:12]}  {r['recorded_at']}{_when(r)}")
            for p, a, c in b.differences:
                lines.append(f"    differs: {p}: A {json.dumps(a, ensure_ascii=False)} / "
                             f"B {json.dumps(c, ensure_ascii=False)}")
        lines += ["", f"Drift under the current rulebook: {len(self.drift)}"]
        for d in self.drift:
            r = d.record
            lines.append(f"  {r['decision_id']}  case {r['case_id']}  recorded under {r['rulebook_version']} "
                         f"{r['rulebook_sha256'][:12]}{_when(r)}")
            if d.error:
                lines.append(f"    no longer evaluates: {d.error}")
            for p, a, c in d.differences:
                lines.append(f"    {p}: {json.dumps(a, ensure_ascii=False)} → {json.dumps(c, ensure_ascii=False)}")
        if self.unreadable:
            lines += ["", f"Unreadable records: {', '.join(self.unreadable)}"]
        return "\n".join(lines) + "\n"


def _when(ref: dict[str, Any]) -> str:
    return f"  as of {ref['as_of']}" if ref.get("as_of") else ""


def _ref(rec: DecisionRecord) -> dict[str, Any]:
    return {"decision_id": rec.decision_id, "case_id": rec.case_id, "recorded_at": rec.recorded_at,
            "as_of": rec.as_of,
            "rulebook_id": rec.rulebook_id, "rulebook_version": rec.rulebook_version,
            "rulebook_sha256": rec.rulebook_sha256, "engine_version": rec.engine_version, "backend": rec.backend}


def audit(records: Iterable[DecisionRecord], engine: Any) -> AuditReport:
    """Find equal-treatment breaches among ``records`` and their drift under ``engine``'s rulebook."""
    groups: dict[str, dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]] = {}
    facts_of: dict[str, dict[str, Any]] = {}
    drift: list[Drift] = []
    unreadable: list[str] = []
    n = 0
    for rec in records:
        n += 1
        try:
            case = Case.model_validate(json.loads(rec.input_json))
            recorded = json.loads(rec.output_json)
            facts = dict(relevant_facts(case), law=law_periods(case, rec.as_of, engine.rulebook))
        except (ValueError, AccountRulesError):
            unreadable.append(rec.decision_id)
            continue
        fkey, okey, out = _keyed(facts, outcome(recorded))
        facts_of.setdefault(fkey, facts)
        groups.setdefault(fkey, {}).setdefault(okey, (out, []))[1].append(_ref(rec))
        try:
            now = engine.evaluate(case, lang=rec.lang, detail="compact", as_of=rec.as_of)
        except AccountRulesError as exc:
            drift.append(Drift(_ref(rec), [], str(exc).splitlines()[0][:200]))
            continue
        _, nkey, nout = _keyed(facts, outcome(now.model_dump(mode="json")))
        if nkey != okey:
            drift.append(Drift(_ref(rec), json_differences(out, nout)))
    breaches = []
    for fkey in sorted(groups):
        variants = groups[fkey]
        if len(variants) < 2:
            continue
        ordered = sorted(variants.values(), key=lambda v: v[1][0]["recorded_at"])
        b = Breach(facts_of[fkey], [{"outcome": o, "records": rs} for o, rs in ordered])
        b.differences = json_differences(ordered[0][0], ordered[1][0])
        breaches.append(b)
    book = engine.rulebook
    return AuditReport(n, {"id": book.manifest.id, "version": book.manifest.version, "sha256": book.sha256},
                       breaches, drift, unreadable)
