"""Rule cases: ``*.cases.yaml`` beside the rule files (format: ``docs/cases-format.md``).

Each case is evaluated (on both backends by default) and compared with its ``expect``; a failure
names the file, the case and shows a readable diff of expected against actual.
"""

from __future__ import annotations

import copy
import datetime as _dt
import difflib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract.models import Citation, Recommendation
from ..contract.yaml_source import RawDocument, YamlProblem, load_file
from ..diagnostics import Diagnostic, SourceSpan
from ..errors import AccountRulesError, RuleFileError
from ..explanation.trace import Trace
from ..matching.protocol import Backend
from ..rules.citations import parse_as_of

EXPECT_KEYS = ("status", "definition", "situations", "persons", "unit_measures", "unit_measures_include",
               "review", "fired", "silent", "overridden", "error", "basis")
#: expectations that list rule ids (an id that is not a rule of the rulebook is an error)
RULE_LISTS = ("fired", "silent", "overridden")
PERSON_KEYS = ("level", "rank", "responsibility", "exemption", "referral", "band", "channel", "measures",
               "considered_not_applied", "considered_applied")


@dataclass
class RuleCase:
    """One case of a cases file."""

    file: str
    name: str
    data: dict[str, Any]
    expect: dict[str, Any]
    span: SourceSpan
    policy: dict[str, Any] | None = None
    as_of: _dt.date | None = None
    #: where each rule id under fired/silent/overridden is written (``fired.0`` → span)
    spans: dict[str, SourceSpan] = field(default_factory=dict)


@dataclass
class CaseResult:
    """The outcome of running one case."""

    case: RuleCase
    backend: str
    ok: bool
    diff: str = ""
    fired: set[str] = field(default_factory=set)
    recommendation: Recommendation | None = None
    #: rule id → how it was overridden (``by 'RC9' on p1×P2``): it fired, then gave way to an exception
    overridden: dict[str, list[str]] = field(default_factory=dict)


def deep_merge(base: Any, over: Any) -> Any:
    """Mappings merge recursively; lists and scalars in ``over`` replace."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def find_case_files(root: str | Path) -> list[Path]:
    """Every ``*.cases.yaml`` under ``root`` (or ``root`` itself), sorted."""
    p = Path(root)
    if p.is_file():
        return [p]
    return sorted(p.rglob("*.cases.yaml"))


def load_cases(path: str | Path, display: str | None = None) -> list[RuleCase]:
    """Parse one cases file.

    Raises:
        RuleFileError: the file is not valid YAML or not in the cases format.
    """
    name = display or str(path)
    try:
        doc: RawDocument = load_file(path, display=name)
    except YamlProblem as exc:
        raise RuleFileError(exc.diagnostics) from None
    data = doc.data or {}
    problems: list[Diagnostic] = []
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise RuleFileError([Diagnostic("bad-cases-file", "a cases file is a mapping with 'cases:' (a list) and "
                                        "optionally 'base:'.", doc.span(()))])
    for k in data:
        if k not in ("base", "cases"):
            problems.append(Diagnostic("unknown-key", f"unexpected key '{k}'. Allowed: base, cases.",
                                       doc.key_span((k,))))
    base = data.get("base") or {}
    out: list[RuleCase] = []
    names: set[str] = set()
    for i, c in enumerate(data["cases"]):
        loc = ("cases", i)
        if not isinstance(c, dict) or "name" not in c or "expect" not in c:
            problems.append(Diagnostic("bad-case", "each case needs 'name', 'case' and 'expect'.", doc.span(loc)))
            continue
        for k in c:
            if k not in ("name", "case", "expect", "note", "policy", "as_of"):
                problems.append(Diagnostic("unknown-key", f"unexpected key '{k}' in a case. Allowed: name, case, "
                                           "expect, note, policy, as_of.", doc.key_span(loc + (k,))))
        if c["name"] in names:
            problems.append(Diagnostic("duplicate-id", f"case name '{c['name']}' is used twice.",
                                       doc.span(loc + ("name",))))
        names.add(c["name"])
        expect = c["expect"] or {}
        for k in expect:
            if k not in EXPECT_KEYS:
                problems.append(Diagnostic("unknown-key", f"unexpected expectation '{k}'. Allowed: "
                                           f"{', '.join(EXPECT_KEYS)}.", doc.key_span(loc + ("expect", k))))
        policy = _case_policy(c.get("policy"), doc, loc, problems)
        as_of = _case_as_of(c.get("as_of"), doc, loc, problems)
        spans = _rule_list_spans(expect, doc, loc, problems)
        out.append(RuleCase(name, str(c["name"]), deep_merge(base, c.get("case") or {}), expect, doc.span(loc),
                            policy, as_of, spans))
    if problems:
        raise RuleFileError(problems)
    return out


def _rule_list_spans(expect: Mapping[str, Any], doc: RawDocument, loc: tuple[Any, ...], problems: list[Diagnostic]
                     ) -> dict[str, SourceSpan]:
    """Where each rule id of ``fired:``/``silent:``/``overridden:`` is written (each must be a list of ids)."""
    out: dict[str, SourceSpan] = {}
    for key in RULE_LISTS:
        ids = expect.get(key)
        if key not in expect or ids is None:
            continue
        if not isinstance(ids, list) or not all(isinstance(r, str) for r in ids):
            problems.append(Diagnostic("bad-value", f"'{key}' is a list of rule ids ([RC1-named-direct, …]).",
                                       doc.span(loc + ("expect", key))))
            continue
        for j in range(len(ids)):
            out[f"{key}.{j}"] = doc.span(loc + ("expect", key, j))
    return out


def _case_policy(policy: Any, doc: RawDocument, loc: tuple[Any, ...], problems: list[Diagnostic]) -> Any:
    """A case's ``policy:`` override, checked against the manifest's policy model (None if absent or bad)."""
    if policy is None:
        return None
    from pydantic import ValidationError

    from ..rules.schema import Policy

    try:
        Policy.model_validate(policy)
    except ValidationError as exc:
        problems.append(Diagnostic("bad-value", f"policy: {exc.errors()[0]['msg']}; allowed keys: "
                                   f"{', '.join(Policy.model_fields)}.", doc.span(loc + ("policy",))))
        return None
    return policy


def _case_as_of(value: Any, doc: RawDocument, loc: tuple[Any, ...], problems: list[Diagnostic]) -> _dt.date | None:
    """A case's ``as_of:`` date of evaluation (None if absent or not a date)."""
    if value is None:
        return None
    try:
        return parse_as_of(value)
    except ValueError as exc:
        problems.append(Diagnostic("bad-value", f"as_of: {exc}.", doc.span(loc + ("as_of",))))
        return None


def basis_label(c: Citation, shorts: Mapping[str, str]) -> str:
    """A printed citation as rule cases name it: ``行政复议法 第六十三条``, ``参照 山东执法监督条例 第二十九条``,
    or ``none`` for the marker printed when no text is in force or applies."""
    if not c.in_force:
        return "none"
    return ("参照 " if c.analogue else "") + f"{shorts.get(c.instrument, c.instrument)} {c.article}"


def _bases(rec: Recommendation, wanted: Iterable[str], shorts: Mapping[str, str]) -> dict[str, Any]:
    """For each rule id (or catalogue entry such as ``items.P2``): its printed primary citation, or the
    sorted distinct ones when it is printed with several; None when it gave no reason."""
    found: dict[str, list[str]] = {}
    for r in _reasons(rec.model_dump()):
        labels = found.setdefault(str(r["rule"]), [])
        label = basis_label(Citation.model_validate(r["citation"]), shorts)
        if label not in labels:
            labels.append(label)
    out: dict[str, Any] = {}
    for rid in wanted:
        got = found.get(rid)
        out[rid] = None if not got else got[0] if len(got) == 1 else sorted(got)
    return out


def actual_of(rec: Recommendation | None, trace: Trace | None, expect: Mapping[str, Any],  # noqa: C901 - one branch per key of the cases format (docs/cases-format.md), read as a table
              error: AccountRulesError | None, shorts: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The actual values for exactly the keys ``expect`` names (so the diff is readable)."""
    act: dict[str, Any] = {}
    if error is not None or rec is None:
        code = error.diagnostics[0].code if error and error.diagnostics else "error"
        return {"error": code, "message": str(error)}
    fired = trace.fired() if trace else set()
    gave_way = overridden_rules(trace)
    for k in expect:
        if k == "status":
            act[k] = rec.error_case.status
        elif k == "definition":
            act[k] = rec.error_case.definition
        elif k == "situations":
            act[k] = [s.item for s in rec.situations]
        elif k == "unit_measures":
            act[k] = [u.measure for u in rec.unit_measures]
        elif k == "unit_measures_include":
            have = [u.measure for u in rec.unit_measures]
            act[k] = [x for x in expect[k] if x in have]
        elif k == "review":
            act[k] = rec.review.track
        elif k == "fired":
            act[k] = [r for r in expect[k] if r in fired]
        elif k == "silent":  # a rule that fired and gave way is not silent: say so in the diff
            act[k] = [r if r not in fired else f"{r} (fired, then overridden {'; '.join(gave_way[r])})"
                      for r in expect[k] if r not in fired or r in gave_way]
        elif k == "overridden":
            act[k] = [r for r in expect[k] if r in gave_way]
        elif k == "error":
            act[k] = None
        elif k == "basis":
            act[k] = _bases(rec, expect[k] or {}, shorts or {})
        elif k == "persons":
            people = {p.id: p for p in rec.persons}
            pa: dict[str, Any] = {}
            for pid, want in (expect[k] or {}).items():
                p = people.get(pid)
                if p is None:
                    pa[pid] = None
                    continue
                d: dict[str, Any] = {}
                for pk in want:
                    if pk == "exemption":
                        d[pk] = p.exemption.code if p.exemption else None
                    elif pk == "considered_not_applied":
                        d[pk] = [x.code for x in p.considered if not x.applied]
                    elif pk == "considered_applied":
                        d[pk] = [x.code for x in p.considered if x.applied]
                    elif pk in PERSON_KEYS:
                        d[pk] = getattr(p, pk)
                    else:
                        d[pk] = f"<unknown key; allowed: {', '.join(PERSON_KEYS)}>"
                pa[pid] = d
            act[k] = pa
    return act


def _norm(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return v


_POLICY_ENGINES: dict[tuple[int, str, str], Any] = {}


def with_policy(engines: Mapping[str, Any], policy: Mapping[str, Any]) -> dict[str, Any]:
    """The same engines, for the same rulebook under another jurisdiction policy (cached)."""
    import dataclasses

    from ..engine import Engine

    out: dict[str, Any] = {}
    for backend, engine in engines.items():
        key = (id(engine), backend, repr(sorted(policy.items())))
        if key not in _POLICY_ENGINES:
            book = engine.rulebook
            manifest = book.manifest.model_copy(update={"policy": book.manifest.policy.model_copy(update=dict(policy))})
            _POLICY_ENGINES[key] = Engine(dataclasses.replace(book, manifest=manifest), backend=engine.backend)
        out[backend] = _POLICY_ENGINES[key]
    return out


def overridden_rules(trace: Trace | None) -> dict[str, list[str]]:
    """Rules that fired and then gave way to an exception (``exception_to``): id → ``by 'X' on S``
    for each fact ``S`` where that happened, in trace order."""
    from ..explanation.trace import EventKind

    out: dict[str, list[str]] = {}
    for e in trace.filter(EventKind.OVERRIDDEN_BY) if trace else ():
        how = f"by '{e.detail}' on {e.subject}"
        if how not in out.setdefault(e.rule_id, []):
            out[e.rule_id].append(how)
    return out


def overridden_note(case: RuleCase, overridden: Mapping[str, list[str]]) -> str:
    """Lines saying which rules the case names fired and were then overridden ('' if none)."""
    named = [r for key in RULE_LISTS for r in case.expect.get(key) or [] if isinstance(r, str)]
    lines = [f"note: '{r}' fired and was overridden ({'; '.join(overridden[r])}): under fired: it counts as "
             "fired, never as silent; list it under overridden: to say that it gave way"
             for r in dict.fromkeys(named) if r in overridden]
    return "\n".join(lines)


def _unknown_rule_ids(case: RuleCase, book: Any) -> str:
    """A message naming the ids under ``fired:``/``silent:``/``overridden:`` that are not rules of ``book``
    ('' if none)."""
    from ..diagnostics import did_you_mean

    bad = []
    for key in RULE_LISTS:
        for j, rid in enumerate(case.expect.get(key) or []):
            if rid not in book.by_id:
                where = case.spans.get(f"{key}.{j}", case.span)
                bad.append(f"{where}: unknown-reference: {key}: '{rid}' is not a rule of {book.manifest.id}"
                           f"{did_you_mean(str(rid), book.by_id)}")
    return "\n".join(bad)


def run_case(case: RuleCase, engines: Mapping[str, Any]) -> list[CaseResult]:
    """Run one case on each engine; compare with ``expect``."""
    from ..contract.intake import parse_case

    results = []
    if case.policy:
        engines = with_policy(engines, case.policy)
    for backend, engine in engines.items():
        unknown = _unknown_rule_ids(case, engine.rulebook)
        if unknown:  # a misspelt id would otherwise pass under `silent:` (it never fires)
            results.append(CaseResult(case, backend, False, unknown, set()))
            continue
        rec = trace = err = None
        try:
            rec, trace = engine.evaluate_traced(parse_case(case.data, file=case.file), lang="en", as_of=case.as_of)
        except AccountRulesError as exc:
            err = exc
        shorts = {i.name: i.short for i in engine.rulebook.instruments.values()}
        act = actual_of(rec, trace, case.expect, err, shorts)
        want = _norm(case.expect)
        if "error" not in case.expect and err is not None:
            ok = False
        elif "error" in case.expect:
            ok = err is not None and act.get("error") == case.expect["error"]
            act = {"error": act.get("error")}
        else:
            ok = all(_norm(act.get(k)) == want[k] for k in want)
        diff = ""
        gave_way = overridden_rules(trace)
        if not ok:
            a = json.dumps(want, ensure_ascii=False, indent=2, sort_keys=True).splitlines()
            b = json.dumps(act, ensure_ascii=False, indent=2, sort_keys=True).splitlines()
            diff = "\n".join(difflib.unified_diff(a, b, "expected", f"actual ({backend})", lineterm=""))
            note = overridden_note(case, gave_way)
            diff += f"\n{note}" if note else ""
        results.append(CaseResult(case, backend, ok, diff, trace.fired() if trace else set(), recommendation=rec,
                                  overridden=gave_way))
    return results


def make_engines(rules: str | Path | None, backends: tuple[Backend, ...] | None = None) -> dict[str, Any]:
    """One engine per backend for a rulebook directory (default: every backend this Python runs)."""
    from ..engine import Engine, available_backends
    from ..rules import load_rulebook

    if backends is None:
        backends = available_backends()
    book = load_rulebook(rules) if rules else load_rulebook()
    return {b: Engine(book, backend=b) for b in backends}


def iter_results(rules: str | Path | None, paths: list[Path], backends: tuple[Backend, ...] | None = None
                 ) -> Iterator[CaseResult]:
    """Run every case of every file."""
    engines = make_engines(rules, backends)
    for p in paths:
        for c in load_cases(p):
            yield from run_case(c, engines)


# --------------------------------------------------------------------------- coverage


@dataclass
class Provision:
    """An article of an instrument that the rulebook cites, and who cites it."""

    instrument: str
    article: str
    name: str
    cited_by: list[tuple[str, str]] = field(default_factory=list)  # (owner, file:line)

    @property
    def label(self) -> str:
        """``行政处罚法 第四十四条 (S09)``."""
        return f"{self.name} {self.article} ({self.instrument})"


@dataclass
class Coverage:
    """Which rules the cases fired / left silent, and which cited articles they exercised."""

    cases: int
    rules: list[str]
    fired: set[str]
    silent: set[str]
    provisions: list[Provision]
    exercised: set[tuple[str, str]]
    rule_sources: dict[str, str] = field(default_factory=dict)
    unconditional: set[str] = field(default_factory=set)

    @property
    def never_fired(self) -> list[str]:
        """Rules no case fired."""
        return [r for r in self.rules if r not in self.fired]

    @property
    def never_silent(self) -> list[str]:
        """Rules with a condition that fired in every case (no case shows them not applying).

        Rules without a condition (``when`` omitted: defaults such as the routine review) cannot be
        silent and are not counted.
        """
        return [r for r in self.rules if r not in self.silent and r not in self.unconditional]

    @property
    def unexercised(self) -> list[Provision]:
        """Cited articles no case exercises."""
        return [p for p in self.provisions if (p.instrument, p.article) not in self.exercised]

    @staticmethod
    def _pct(k: int, n: int) -> float:
        return 100.0 if n == 0 else round(100.0 * k / n, 1)

    @property
    def rule_pct(self) -> float:
        """Share of rules fired by at least one case (percent)."""
        return self._pct(len(self.rules) - len(self.never_fired), len(self.rules))

    @property
    def silent_pct(self) -> float:
        """Share of rules left silent by at least one case (percent)."""
        counted = len(self.rules) - len(self.unconditional & set(self.rules))
        return self._pct(counted - len(self.never_silent), counted)

    @property
    def provision_count(self) -> str:
        """``exercised/total`` articles."""
        return f"{len(self.provisions) - len(self.unexercised)}/{len(self.provisions)}"

    @property
    def provision_pct(self) -> float:
        """Share of cited articles exercised by at least one case (percent)."""
        return self._pct(len(self.provisions) - len(self.unexercised), len(self.provisions))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary."""
        return {
            "cases": self.cases,
            "rules": {"total": len(self.rules), "fired_pct": self.rule_pct, "silent_pct": self.silent_pct,
                      "never_fired": [{"rule": r, "source": self.rule_sources.get(r)} for r in self.never_fired],
                      "never_silent": [{"rule": r, "source": self.rule_sources.get(r)}
                                       for r in self.never_silent]},
            "provisions": {"total": len(self.provisions), "exercised_pct": self.provision_pct,
                           "unexercised": [{"instrument": p.instrument, "name": p.name, "article": p.article,
                                            "cited_by": [{"owner": o, "source": src} for o, src in p.cited_by]}
                                           for p in self.unexercised]},
        }

    def format_text(self) -> str:
        """The report printed by ``accountrules test --coverage``."""
        n = len(self.rules)
        out = [f"coverage over {self.cases} case(s):",
               f"  rules fired by a case:        {n - len(self.never_fired)}/{n} ({self.rule_pct}%)",
               (f"  rules silent in a case:       {n - len(self.unconditional) - len(self.never_silent)}/"
                f"{n - len(self.unconditional)} ({self.silent_pct}%; {len(self.unconditional)} unconditional "
                "rules not counted)"),
               f"  articles exercised by a case: {self.provision_count} ({self.provision_pct}%)"]
        if self.never_fired:
            out += ["", "rules never fired:"] + [f"  {r}  {self.rule_sources.get(r, '')}" for r in self.never_fired]
        if self.never_silent:
            out += ["", "rules never silent (fired in every case):"] + [
                f"  {r}  {self.rule_sources.get(r, '')}" for r in self.never_silent]
        if self.unexercised:
            out += ["", "ARTICLES NO CASE EXERCISES:"]
            for p in self.unexercised:
                who = ", ".join(f"{o} ({src})" for o, src in p.cited_by[:5])
                more = f", … ({len(p.cited_by) - 5} more)" if len(p.cited_by) > 5 else ""
                out.append(f"  {p.label} — cited by {who}{more}")
        return "\n".join(out)


def _provision_owners(rec: Recommendation, book: Any) -> set[str]:
    """Catalogue entries a recommendation relies on (``items.P2``, ``ladder.talk`` …)."""
    owners: set[str] = set()
    if rec.error_case.definition:
        owners.add(f"definitions.{rec.error_case.definition}")
    owners.update(f"items.{s.item}" for s in rec.situations)
    owners.update(f"unit_measure_types.{u.measure}" for u in rec.unit_measures)
    for p in rec.persons:
        owners.add(f"ladder.{p.level}")
        owners.add(f"responsibilities.{p.responsibility}")
        if p.channel:
            owners.add(f"channels.{p.channel}")
        if p.influence is not None:
            level = book.levels.get(p.level)
            if level is not None:
                ch = p.channel if p.channel in level.influence else "default"
                owners.add(f"ladder.{p.level}.influence.{ch}")
        if p.exemption is not None:
            owners.add(f"circumstances.{p.exemption.code}")
        owners.update(f"circumstances.{c.code}" for c in p.considered if c.applied)
        for it in p.items:
            owners.add(f"responsibilities.{it.responsibility}")
    for r in _reasons(rec.model_dump()):
        rule = str(r.get("rule", ""))
        if rule.startswith("matrix."):
            owners.add("matrix")
        elif rule.startswith(("items.", "ladder.")):
            owners.add(rule)
    return owners


def _reasons(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, dict):
        if "rule" in data and "citation" in data:
            yield data
        for v in data.values():
            yield from _reasons(v)
    elif isinstance(data, list):
        for v in data:
            yield from _reasons(v)


def compute_coverage(book: Any, results: list[CaseResult]) -> Coverage:
    """Coverage by rule and by legal provision over the results of evaluated cases.

    A provision (instrument, article) is exercised when a case printed it, when a case fired a rule
    that cites it, or when the case's recommendation relies on a catalogue entry that cites it (its
    items, matrix cell, ladder level and influence period, responsibility, channel, circumstances,
    definition and unit measures); a citation with a ``when`` counts only where a case printed it.
    Cases expected to be rejected (``expect: {error: …}``) do not count.
    """
    from .lint import iter_citations

    rules = [e.id for e in book.rules]
    sources = {e.id: book.source(e.span) for e in book.rules}
    provisions: dict[tuple[str, str], Provision] = {}
    by_owner: dict[str, set[tuple[str, str]]] = {}
    for owner, span, c in iter_citations(book):
        key = (c.instrument, c.article)
        inst = book.instruments.get(c.instrument)
        prov = provisions.setdefault(key, Provision(c.instrument, c.article, inst.short if inst else c.instrument))
        entry = (owner, book.source(span))
        if entry not in prov.cited_by:
            prov.cited_by.append(entry)
        if c.when is None:  # a conditional citation counts only where a case printed it
            by_owner.setdefault(owner, set()).add(key)
    by_name = {(i.name, c.article): (i.id, c.article) for _o, _s, c in iter_citations(book)
               if (i := book.instruments.get(c.instrument)) is not None}
    fired: set[str] = set()
    silent: set[str] = set()
    exercised: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    for r in results:
        if r.recommendation is None:
            continue
        seen.add((r.case.file, r.case.name))
        fired |= r.fired
        silent |= {x for x in rules if x not in r.fired}
        for rid in r.fired:
            exercised |= by_owner.get(rid, set())
        for owner in _provision_owners(r.recommendation, book):
            exercised |= by_owner.get(owner, set())
        for reason in _reasons(r.recommendation.model_dump()):
            for cit in [reason["citation"], *reason.get("citations", [])]:
                printed = by_name.get((cit["instrument"], cit["article"]))
                if printed is not None:
                    exercised.add(printed)
    order = {k: i for i, k in enumerate(book.instruments)}
    provs = sorted(provisions.values(), key=lambda p: (order.get(p.instrument, 10**6), p.instrument, p.article))
    from ..language.conditions import TRUE

    unconditional = {e.id for e in book.rules if e.cond == TRUE}
    return Coverage(len(seen), rules, fired, silent, provs, exercised, sources, unconditional)
