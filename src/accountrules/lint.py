"""``accountrules lint``: what validation cannot see — rules that can never fire, rules that fire
together with incompatible outcomes, vocabulary nobody handles, ladder levels nothing reaches,
citations without a version, and rulebooks that approach durable-rules' limits.

Every finding is a :class:`~accountrules.diagnostics.Diagnostic` (``FILE:LINE:COL: CODE:
message``); ``severity`` is ``error`` (the command exits 1) or ``warning`` (listed apart).

The reasoning is *symbolic*: each rule's condition is rewritten into disjunctive normal form
(:func:`~accountrules.conditions.to_dnf`) and every alternative — a conjunction of tests — is
checked against what the fact vocabulary allows (:mod:`accountrules.facts`): closed value sets,
numeric ranges, list membership, links between facts (``person.fault`` and
``person.fault_rank``; ``finding.item`` and its category, base grade and typical roles; an absent
hearing and its fields; an outcome that is not an error case and its counts) and what a stage
implies (``pf`` facts exist only for error cases, so a ``pf`` rule can only fire together with
some ``error_case`` status rule). A conjunction the checker cannot refute is taken as
satisfiable, so every ``unsatisfiable`` finding is a proof, never a guess.

Codes (see ``docs/errors.md``):

=====================  ========  =====================================================
``unsatisfiable``      error     a rule can never fire
``conflict``           error     two status rules can fire together with different outcomes
``missing-version``    error     a citation with no version (and none on its instrument); a warning
                                 when the instrument's version is a placeholder (``0000``)
``durable-limit``      error     the rulebook exceeds a durable-rules limit (warning near it)
``never-silent``       warning   a written condition that is always true
``dormant``            warning   a rule that cannot fire under the manifest's ``policy``
``overlap``            warning   two channel rules with different channels can both fire
``gap-item``           warning   an item that can never lead to a level above rank 0
``gap-outcome``        warning   a ``case.outcome`` for which, in some case, no status rule fires
``gap-circumstance``   warning   a circumstance code no effect or exemption rule handles
``unreachable-level``  warning   a ladder level no cell, step or level rule can reach
``floor-above-ceiling`` warning  a ``min_level`` and a lower ``max_level`` can apply together
``unused``             warning   a definition, channel, measure … that nothing refers to
``unknown-value``      error     an item's typical role that is not a role of the case contract
=====================  ========  =====================================================
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import models as m
from . import rulebook as rb
from .conditions import DnfTooLarge, Test, to_dnf
from .diagnostics import Diagnostic, SourceSpan, format_github, format_json, format_text, sort_diagnostics
from .errors import RuleFileError
from .facts import FACTS, FAULT_RANK, IMPACT_RANK, FactSpec
from .rules.validate import Rulebook, RuleEntry

#: Finding codes and their severity (``durable-limit`` is an error past a limit, a warning near it).
CODES: dict[str, str] = {
    "unsatisfiable": "error",
    "conflict": "error",
    "missing-version": "error",
    "durable-limit": "error",
    "never-silent": "warning",
    "dormant": "warning",
    "overlap": "warning",
    "gap-item": "warning",
    "gap-outcome": "warning",
    "gap-circumstance": "warning",
    "unreachable-level": "warning",
    "floor-above-ceiling": "warning",
    "unused": "warning",
    "unknown-value": "error",
}

#: Validation problems lint reports itself, so a rulebook that has only these is still analysed.
DEFERRED_CODES = frozenset({"missing-version"})

#: Fraction of a durable-rules limit past which lint warns.
NEAR_LIMIT = 0.8
#: Search budget (conjunction checks) for one coverage witness.
WITNESS_BUDGET = 20_000

_RANKED = {"person.fault": ("person.fault_rank", FAULT_RANK),
           "case.consequences.social_impact": ("case.consequences.social_impact_rank", IMPACT_RANK)}
_NON_NEGATIVE = ("case.consequences.economic_loss_yuan", "case.history.same_field_losses_3y",
                 "case.history.series_cases", "case.findings_count", "case.persons_count",
                 "person.named_count", "finding.named_count", "outcome.liable_count",
                 "case.history.county_loss_rate")
_LIST_COUNT = {"case.items": "case.findings_count", "person.named_items": "person.named_count",
               "finding.named_roles": "finding.named_count"}
_FINDING_LINKED = ("finding.category", "finding.base_grade", "finding.grade", "finding.role_is_direct",
                   "finding.role_is_oversight", "case.items", "case.categories", "person.named_items")
_HEARING_ABSENT = (("case.hearing.head_summoned", False), ("case.hearing.head_appeared", True),
                   ("case.hearing.absence_reason", "none"), ("case.hearing.absence_documented", False),
                   ("case.hearing.staff_appeared", True))
_NOT_ERROR_OUTCOME = (("outcome.max_rank", 0), ("outcome.max_grade", 0), ("outcome.referral", False),
                      ("outcome.liable_count", 0), ("outcome.liable_max_fault_rank", 0))


# --------------------------------------------------------------------------- the reasoner


@dataclass(frozen=True)
class Unsat:
    """Why a conjunction of tests cannot hold: the tests involved and a sentence."""

    tests: tuple[Test, ...]
    why: str


@dataclass(frozen=True)
class Derived(Test):
    """A test the checker derived from a written one (``origin``) or from the stage (``note``)."""

    origin: Test | None = None
    note: str = ""

    def describe(self) -> str:
        """``person.fault == intentional (i.e. person.fault_rank == 3)``."""
        base = super().describe()
        if self.origin is not None:
            return f"{self.origin.describe()} (i.e. {base})"
        return f"{base} ({self.note})" if self.note else base


def _show(t: Test) -> str:
    line = f" (line {t.span.line})" if t.span else ""
    return f"{t.describe()}{line}"


def _shows(tests: Iterable[Test]) -> str:
    return "; ".join(_show(t) for t in tests)


def _key(t: Test) -> tuple[str, str, str]:
    return (t.path, t.op, repr(t.value))


def _values_of(t: Test) -> list[Any]:
    return list(t.value) if t.op in ("in", "not_in") else [t.value]


class Reasoner:
    """Decides, per conjunction of tests, whether the fact vocabulary allows it to hold.

    Sound for refutation: when :meth:`check` returns an :class:`Unsat`, no facts of that stage can
    make every test true. When it returns ``None`` the conjunction may still be impossible for a
    reason the checker does not model (the relation between two counts, say).
    """

    def __init__(self, book: Rulebook) -> None:
        self.book = book
        self.vocabs = book.vocabs
        grade_values = sorted(g.value for g in book.grades.values())
        self.gmin, self.gmax = (grade_values[0], grade_values[-1]) if grade_values else (0, 0)
        self.grade_values = grade_values
        self.case_delta = self._delta_range(book.by_section["grade_modifiers"])
        self.personal_delta = self._delta_range(book.by_section["personal_grade_modifiers"])
        self.finite_numbers: dict[str, frozenset[Any]] = {
            "person.fault_rank": frozenset(FAULT_RANK.values()),
            "case.consequences.social_impact_rank": frozenset(IMPACT_RANK.values()),
            "finding.base_grade": frozenset(book.grades[i.base_grade].value for i in book.items.values()
                                            if i.base_grade in book.grades),
            "outcome.max_rank": frozenset(lv.rank for lv in book.ladder),
            "outcome.max_grade": frozenset([0, *grade_values]),
            "outcome.liable_max_fault_rank": frozenset(FAULT_RANK.values()),
        }
        self._alts: dict[str, list[list[Test]] | None] = {}
        self._cache: dict[tuple[str, frozenset[tuple[str, str, str]]], Unsat | None] = {}
        self._path_cache: dict[tuple[str, frozenset[tuple[str, str, str]]], bool] = {}
        errors = [e for e in book.by_section["status_rules"]
                  if e.rule.then.status == "error_case"]  # type: ignore[attr-defined]
        self.error_alts: list[list[Test]] = []
        for e in errors:
            self.error_alts.extend(self.alts(e) or [[]])

    @staticmethod
    def _delta_range(entries: Sequence[RuleEntry]) -> tuple[int, int]:
        groups: dict[str, list[int]] = defaultdict(list)
        for e in entries:
            groups[e.rule.then.group].append(e.rule.then.delta)  # type: ignore[attr-defined]
        lo = sum(min(0, *ds) for ds in groups.values())
        hi = sum(max(0, *ds) for ds in groups.values())
        return lo, hi

    def grade_range(self, base: int, personal: bool = False) -> tuple[int, int]:
        """The grade values an item of base value ``base`` can take (after modifiers, clamped)."""
        lo, hi = base + self.case_delta[0], base + self.case_delta[1]
        lo, hi = min(max(lo, self.gmin), self.gmax), min(max(hi, self.gmin), self.gmax)
        if personal:
            lo, hi = lo + self.personal_delta[0], hi + self.personal_delta[1]
            lo, hi = min(max(lo, self.gmin), self.gmax), min(max(hi, self.gmin), self.gmax)
        return lo, hi

    def alts(self, entry: RuleEntry) -> list[list[Test]] | None:
        """The rule's condition in DNF (``None`` when it is too large to expand)."""
        if entry.id not in self._alts:
            try:
                self._alts[entry.id] = to_dnf(entry.cond)
            except DnfTooLarge:
                self._alts[entry.id] = None
        return self._alts[entry.id]

    def negated_alts(self, entry: RuleEntry) -> list[list[Test]] | None:
        """The DNF of the rule's negated condition."""
        try:
            return to_dnf(entry.cond, negate=True)
        except DnfTooLarge:
            return None

    # ---- per path

    def _finite(self, spec: FactSpec) -> frozenset[Any] | None:
        if spec.type == "bool":
            return frozenset((True, False))
        if spec.type == "str":
            vocab = spec.vocabulary(self.vocabs)
            if vocab is None:
                return None
            return frozenset(vocab) | ({""} if spec.path == "outcome.definition" else set())
        if spec.type in ("int", "number"):
            return self.finite_numbers.get(spec.path)
        return None

    def domain(self, path: str, tests: Sequence[Test]) -> frozenset[Any] | None:
        """The values a finite-domain scalar fact can still take under ``tests`` (else ``None``)."""
        spec = FACTS[path]
        dom = self._finite(spec)
        if dom is None:
            return None
        return frozenset(v for v in dom if all(_holds(t, v) for t in tests if t.path == path))

    def _path_unsat(self, path: str, tests: Sequence[Test]) -> str | None:
        spec = FACTS[path]
        if spec.type == "list":
            has = {t.value for t in tests if t.op == "contains"}
            lacks = {t.value for t in tests if t.op == "excludes"}
            both = sorted(map(str, has & lacks))
            if both:
                return f"{path} cannot both contain and exclude {', '.join(both)}"
            vocab = spec.vocabulary(self.vocabs)
            if vocab is not None and has - set(vocab):
                return f"{path} never contains {', '.join(sorted(map(str, has - set(vocab))))}"
            return None
        dom = self._finite(spec)
        if dom is not None:
            if not any(all(_holds(t, v) for t in tests) for v in dom):
                shown = "; ".join(_show(t) for t in tests)
                shown_dom = ", ".join(sorted(map(_fmt, dom)))
                return f"no value of {path} ({shown_dom}) satisfies {shown}"
            return None
        eqs = {repr(v): v for t in tests if t.op in ("eq", "in") for v in _values_of(t)}
        if spec.type == "str":
            cands: set[str] | None = None
            for t in tests:
                if t.op in ("eq", "in"):
                    vs = {str(v) for v in _values_of(t)}
                    cands = vs if cands is None else cands & vs
            if cands is not None:
                banned = {str(v) for t in tests if t.op in ("ne", "not_in") for v in _values_of(t)}
                if not cands - banned:
                    return f"{_shows(tests)} cannot all hold"
            return None
        # numbers: an interval, integral for int facts
        integer = spec.type == "int"
        lo, lo_strict = (0.0, False) if path in _NON_NEGATIVE else (-math.inf, False)
        hi, hi_strict = math.inf, False
        if path == "finding.grade":
            lo, hi = float(self.gmin), float(self.gmax)
        for t in tests:
            v = t.value
            if t.op in ("gt", "ge") and (v > lo or (v == lo and t.op == "gt")):
                lo, lo_strict = float(v), t.op == "gt"
            elif t.op in ("lt", "le") and (v < hi or (v == hi and t.op == "lt")):
                hi, hi_strict = float(v), t.op == "lt"
        banned_n = {float(v) for t in tests if t.op in ("ne", "not_in") for v in _values_of(t)}
        if eqs:
            for v in eqs.values():
                fv = float(v)
                ok = (fv > lo or (fv == lo and not lo_strict)) and (fv < hi or (fv == hi and not hi_strict)) \
                    and fv not in banned_n and (not integer or fv.is_integer())
                ok = ok and all(_holds(t, v) for t in tests if t.op in ("eq", "in"))
                if ok:
                    return None
            return f"{_shows(tests)} cannot all hold"
        if integer:
            ilo = math.ceil(lo) + (1 if lo_strict and float(lo).is_integer() else 0) if lo > -math.inf else -math.inf
            ihi = math.floor(hi) - (1 if hi_strict and float(hi).is_integer() else 0) if hi < math.inf else math.inf
            if ilo > ihi:
                return f"no whole number satisfies {_shows(tests)}" if tests else f"{path} is out of range"
            if ihi - ilo < 64 and all(float(x) in banned_n for x in range(int(ilo), int(ihi) + 1)):
                return f"{_shows(tests)} exclude every possible value"
            return None
        if lo > hi or (lo == hi and (lo_strict or hi_strict or lo in banned_n)):
            return f"no number satisfies {_shows(tests)}"
        return None

    def _paths_unsat(self, tests: Sequence[Test]) -> Unsat | None:
        groups: dict[str, list[Test]] = defaultdict(list)
        for t in tests:
            groups[t.path].append(t)
        for path in sorted(groups):
            group = groups[path]
            key = (path, frozenset(_key(t) for t in group))
            bad = self._path_cache.get(key)
            if bad is False:
                continue
            why = self._path_unsat(path, group)
            self._path_cache[key] = why is not None
            if why is not None:
                return Unsat(tuple(group), why)
        return None

    # ---- links between facts

    def _normalize(self, conj: Sequence[Test], stage: str) -> list[Test]:
        out: list[Test] = []
        for t in conj:
            if t.path in _RANKED:
                target, ranks = _RANKED[t.path]
                value = ranks[t.value] if t.op in ("eq", "ne") else tuple(ranks[v] for v in t.value)
                out.append(Derived(target, t.op, value, t.span, origin=t))
            else:
                out.append(t)
        for t in conj:
            if t.op == "contains" and t.path in _LIST_COUNT:
                n = len({x.value for x in conj if x.path == t.path and x.op == "contains"})
                out.append(Derived(_LIST_COUNT[t.path], "ge", n, t.span, origin=t))
            if t.path == "finding.named" and t.op in ("eq", "ne") and (t.value is True) == (t.op == "eq"):
                out.append(Derived("finding.named_count", "ge", 1, t.span, origin=t))
                out.append(Derived("person.named_count", "ge", 1, t.span, origin=t))
        if stage == "pf":
            out += [Derived("case.findings_count", "ge", 1, note="there is a finding at stage pf"),
                    Derived("case.persons_count", "ge", 1, note="there is a person at stage pf")]
        elif stage == "person":
            out.append(Derived("case.persons_count", "ge", 1, note="there is a person at stage person"))
        return out

    def _implied(self, tests: Sequence[Test], stage: str) -> list[Test]:
        extra: list[Test] = []
        if any(t.path.startswith("case.hearing.") for t in tests) and \
                self.domain("case.hearing.present", tests) == frozenset({False}):
            span = next((t.span for t in tests if t.path == "case.hearing.present"), None)
            extra += [Derived(p, "eq", v, span, note="no hearing") for p, v in _HEARING_ABSENT]
        if stage == "outcome":
            # an outcome that names an item or someone liable is an error case, and vice versa
            needs_error = any(t.op == "contains" and t.path in ("outcome.items", "outcome.categories")
                              for t in tests)
            for p, v in _NOT_ERROR_OUTCOME:
                on_p = [x for x in tests if x.path == p]
                if on_p and self._path_unsat(p, on_p + [Test(p, "eq", v)]) is not None:
                    needs_error = True
            if needs_error:
                extra.append(Derived("outcome.status", "eq", "error_case",
                                     next((t.span for t in tests if t.path.startswith("outcome.")), None),
                                     note="only an error case names items or liable persons"))
            elif "error_case" not in (self.domain("outcome.status", tests) or {"error_case"}):
                span = next((t.span for t in tests if t.path == "outcome.status"), None)
                extra += [Derived(p, "eq", v, span, note="not an error case") for p, v in _NOT_ERROR_OUTCOME]
        return extra

    def _item_tests(self, item: rb.Item, tests: Sequence[Test]) -> list[Test] | None:
        """Tests implied by ``finding.item == item`` (``None``: the item's roles rule it out)."""
        base = self.book.grades[item.base_grade].value if item.base_grade in self.book.grades else 0
        lo, hi = self.grade_range(base)
        out = [Test("finding.category", "eq", item.category), Test("finding.base_grade", "eq", base),
               Test("finding.grade", "ge", lo), Test("finding.grade", "le", hi),
               Test("case.items", "contains", item.id), Test("case.categories", "contains", item.category)]
        if self.domain("finding.named", tests) == frozenset({True}):
            out.append(Test("person.named_items", "contains", item.id))
        for flag, roles in (("finding.role_is_direct", item.roles.direct),
                            ("finding.role_is_oversight", item.roles.oversight)):
            dom = self.domain(flag, tests)
            if dom == frozenset({True}):
                if not roles:
                    return None
                out.append(Test("person.role", "in", tuple(roles)))
            elif dom == frozenset({False}) and roles:
                out.append(Test("person.role", "not_in", tuple(roles)))
        return out

    def check(self, conj: Sequence[Test], stage: str) -> Unsat | None:
        """Whether a conjunction of tests can hold at ``stage`` (``None``: it can, as far as we know)."""
        key = (stage, frozenset(_key(t) for t in conj))
        if key in self._cache:
            return self._cache[key]
        res = self._check(conj, stage)
        self._cache[key] = res
        return res

    def _check(self, conj: Sequence[Test], stage: str) -> Unsat | None:
        tests = self._normalize(conj, stage)
        bad = self._paths_unsat(tests)
        if bad is not None:
            return self._explain(bad, conj)
        extra = self._implied(tests, stage)
        if extra:
            tests = tests + extra
            bad = self._paths_unsat(tests)
            if bad is not None:
                return self._explain(bad, conj, derived=True)
        if stage == "pf" and self.book.items and any(t.path in _FINDING_LINKED or t.path == "finding.item"
                                                      for t in tests):
            items = self.domain("finding.item", tests)
            candidates = [self.book.items[i] for i in sorted(items or ())]
            for it in candidates:
                implied = self._item_tests(it, tests)
                if implied is not None and self._paths_unsat(tests + implied) is None:
                    return None
            linked = tuple(t for t in conj if t.path.startswith("finding.") or t.path in _FINDING_LINKED
                           or t.path == "person.role")
            return Unsat(linked, "no item of the rulebook satisfies " + "; ".join(_show(t) for t in linked)
                         + " (an item fixes finding.category, finding.base_grade, the range of "
                         "finding.grade and which roles are typical bearers)")
        return None

    @staticmethod
    def _explain(bad: Unsat, conj: Sequence[Test], derived: bool = False) -> Unsat:
        """Point at the written tests (not the derived ones) where possible."""
        lines = {t.span.line for t in bad.tests if t.span}
        written = tuple(t for t in conj if t.span and t.span.line in lines) or bad.tests
        why = bad.why
        if derived:
            why += " (given what the other tests imply)"
        return Unsat(written, why)

    def check_in_stage(self, conj: Sequence[Test], stage: str) -> Unsat | None:
        """:meth:`check`, plus what the stage implies: ``pf`` facts (and ``outcome`` facts of an error
        case) exist only when some ``error_case`` status rule fires."""
        bad = self.check(conj, stage)
        if bad is not None:
            return bad
        needs_error = stage == "pf"
        if stage == "outcome":
            tests = self._normalize(conj, stage)
            tests += self._implied(tests, stage)
            needs_error = self.domain("outcome.status", tests) == frozenset({"error_case"})
        if not needs_error:
            return None
        if not self.error_alts:
            return None  # reported once, as a gap-outcome
        for alt in self.error_alts:
            if self.check(list(conj) + alt, stage) is None:
                return None
        case_tests = tuple(t for t in conj if t.path.startswith(("case.", "policy.")))
        shown = "; ".join(_show(t) for t in case_tests) or "its tests"
        return Unsat(case_tests, "it is evaluated only for error cases, and no error_case status rule can "
                     f"fire together with {shown}")

    def rule_unsat(self, entry: RuleEntry) -> Unsat | None:
        """Why ``entry`` can never fire (``None`` if it can, or its DNF is too large to decide)."""
        alts = self.alts(entry)
        if alts is None:
            return None
        reasons = []
        for alt in alts:
            bad = self.check_in_stage(alt, entry.stage)
            if bad is None:
                return None
            reasons.append(bad)
        if len(reasons) == 1:
            return reasons[0]
        first = reasons[0]
        return Unsat(first.tests, f"none of its {len(reasons)} alternatives can hold; e.g. {first.why}")

    def can_fire_with(self, entry: RuleEntry, extra: Sequence[Test]) -> bool:
        """Whether ``entry`` can fire on a fact that also satisfies ``extra``."""
        alts = self.alts(entry)
        if alts is None:
            return True
        return any(self.check_in_stage(alt + list(extra), entry.stage) is None for alt in alts)

    def overlap(self, a: RuleEntry, b: RuleEntry, section: Sequence[RuleEntry] = ()) -> list[Test] | None:
        """A conjunction under which both rules fire and survive (``None``: they never do).

        A rule does not survive when another rule of ``section`` that names it in ``exception_to``
        fires too, so the witness must also leave every such rule silent.
        """
        alts_a, alts_b = self.alts(a), self.alts(b)
        if alts_a is None or alts_b is None:
            return None
        blockers = []
        for d in section:
            if d is not a and d is not b and (a.id in d.rule.exception_to or b.id in d.rule.exception_to):
                pos, neg = self.alts(d), self.negated_alts(d)
                if pos is not None and neg is not None:
                    blockers.append((pos, neg))
        for x in alts_a:
            for y in alts_b:
                if self.check_in_stage(x + y, a.stage) is None:
                    w = _uncovered(self, blockers, x + y, a.stage)
                    if w is not None:
                        return w
        return None


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _holds(t: Test, v: Any) -> bool:
    op = t.op
    if op == "eq":
        return bool(v == t.value)
    if op == "ne":
        return bool(v != t.value)
    if op == "in":
        return v in t.value
    if op == "not_in":
        return v not in t.value
    if op == "lt":
        return bool(v < t.value)
    if op == "le":
        return bool(v <= t.value)
    if op == "gt":
        return bool(v > t.value)
    if op == "ge":
        return bool(v >= t.value)
    return True


# --------------------------------------------------------------------------- checks


def _d(code: str, message: str, span: SourceSpan | None, rule_id: str | None = None,
       severity: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, span, severity=(severity or CODES[code]), rule_id=rule_id)  # type: ignore[arg-type]


def _check_rules(book: Rulebook, rs: Reasoner) -> tuple[list[Diagnostic], set[str]]:
    out: list[Diagnostic] = []
    dead: set[str] = set()
    policy = [Test(p, "eq", getattr(book.manifest.policy, p.split(".", 1)[1])) for p in FACTS
              if p.startswith("policy.") and hasattr(book.manifest.policy, p.split(".", 1)[1])]
    for e in book.rules:
        bad = rs.rule_unsat(e)
        if bad is not None:
            dead.add(e.id)
            out.append(_d("unsatisfiable", f"rule '{e.id}' ({e.section}) can never fire: {bad.why}.", e.span, e.id))
            continue
        alts = rs.alts(e)
        if alts is not None and any(t.path.startswith("policy.") for alt in alts for t in alt) and all(
                rs.check_in_stage(alt + policy, e.stage) is not None for alt in alts):
            dead.add(e.id)
            shown = ", ".join(f"{t.path} is {_fmt(t.value)}" for t in policy)
            out.append(_d("dormant", f"rule '{e.id}' ({e.section}) cannot fire under this rulebook's policy "
                          f"({shown}); it takes effect only if the policy in rulebook.yaml changes.", e.span, e.id))
            continue
        if e.rule.when is None or e.rule.when == "always":
            continue
        neg = rs.negated_alts(e)
        if neg is not None and all(rs.check(alt, e.stage) is not None for alt in neg):
            out.append(_d("never-silent", f"rule '{e.id}' ({e.section}) fires on every {e.stage} fact: its "
                          "condition is always true. Omit 'when' (or write 'when: always') if that is meant; "
                          "otherwise a test is missing.", e.span, e.id))
    return out, dead


def _names(e: RuleEntry, other: RuleEntry) -> bool:
    return other.id in e.rule.exception_to or e.id in other.rule.exception_to


def _witness(rs: Reasoner, conj: Sequence[Test]) -> str:
    """A readable description of a conjunction: one clause per fact path."""
    by_path: dict[str, list[Test]] = defaultdict(list)
    for t in conj:
        by_path[t.path].append(t)
    shown = []
    for path in sorted(by_path):
        dom = rs.domain(path, by_path[path]) if FACTS[path].type != "list" else None
        full = rs.domain(path, [])
        if dom is not None and full is not None and dom != full:
            vals = sorted(map(_fmt, dom))
            shown.append(f"{path} == {vals[0]}" if len(vals) == 1 else f"{path} in [{', '.join(vals)}]")
        elif dom is None:
            shown.extend(sorted({t.describe() for t in by_path[path]}))
    return " and ".join(shown) if shown else "any facts"


def _check_conflicts(book: Rulebook, rs: Reasoner, dead: set[str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    status = [e for e in book.by_section["status_rules"] if e.id not in dead]
    for i, b in enumerate(status):
        for a in status[:i]:
            sa, sb = a.rule.then.status, b.rule.then.status  # type: ignore[attr-defined]
            if sa == sb or _names(a, b):
                continue
            w = rs.overlap(a, b, status)
            if w is not None:
                out.append(_d("conflict", f"status rules '{a.id}' ({sa}) and '{b.id}' ({sb}) can fire together "
                              f"(e.g. when {_witness(rs, w)}) and neither names the other in exception_to; the "
                              f"evaluation would fail with a rule conflict. Add 'exception_to: [{a.id}]' to the "
                              f"rule that should win, or narrow one of them.", b.span, b.id))
    channels = [e for e in book.by_section["channel_rules"] if e.id not in dead]
    for i, b in enumerate(channels):
        for a in channels[:i]:
            ca, cb = a.rule.then.channel, b.rule.then.channel  # type: ignore[attr-defined]
            if ca == cb or _names(a, b):
                continue
            w = rs.overlap(a, b, channels)
            if w is not None:
                out.append(_d("overlap", f"channel rules '{a.id}' ({ca}) and '{b.id}' ({cb}) can both fire "
                              f"(e.g. when {_witness(rs, w)}); '{a.id}' wins only because it comes first. Say so "
                              f"with exception_to, or narrow one of them.", b.span, b.id))
    levels = book.levels
    lrules = [e for e in book.by_section["level_rules"] if e.id not in dead]
    for a in lrules:
        for b in lrules:
            lo, hi = a.rule.then.min_level, b.rule.then.max_level  # type: ignore[attr-defined]
            if lo is None or hi is None or a is b or lo not in levels or hi not in levels:
                continue
            if levels[lo].rank > levels[hi].rank and not _names(a, b) and \
                    rs.overlap(a, b, lrules) is not None:
                later = b if b.order > a.order else a
                out.append(_d("floor-above-ceiling", f"level rules '{a.id}' (at least {lo}) and '{b.id}' (at "
                              f"most {hi}) can apply together; the ceiling wins. Make one an exception to the "
                              "other if that is not meant.", later.span, later.id))
    return out


def _check_gaps(book: Rulebook, rs: Reasoner, dead: set[str]) -> tuple[list[Diagnostic], set[int]]:
    out: list[Diagnostic] = []
    live = {s: [e for e in es if e.id not in dead] for s, es in book.by_section.items()}
    levels = book.levels
    resp_rank = {r.id: r.rank for r in book.responsibilities.values()}
    chain_liable = [e for e in live["chain"] if e.rule.then.responsibility != "none"]  # type: ignore[attr-defined]
    reachable_cells: set[tuple[str, str]] = set()
    grade_ids_by_value = {g.value: g.id for g in book.grades.values()}

    def grade_id(v: int) -> str | None:
        if not grade_ids_by_value:
            return None
        return grade_ids_by_value.get(v) or grade_ids_by_value[min(grade_ids_by_value, key=lambda x: abs(x - v))]

    for item in book.items.values():
        pin = [Test("finding.item", "eq", item.id)]
        resps = sorted({e.rule.then.responsibility for e in chain_liable  # type: ignore[attr-defined]
                        if rs.can_fire_with(e, pin)}, key=lambda r: -resp_rank.get(r, 0))
        if not resps:
            out.append(_d("gap-item", f"item {item.id} can never lead to accountability: no chain rule can give "
                          "anyone a responsibility for it. Add a chain rule that covers it.", item.span))
            continue
        base = book.grades[item.base_grade].value if item.base_grade in book.grades else 0
        lo, hi = rs.grade_range(base, personal=True)
        grades = sorted({g for v in range(lo, hi + 1) if (g := grade_id(v))})
        cells = [(g, r) for g in grades for r in resps if g in book.matrix.cells]
        reachable_cells.update(cells)
        ranks = [levels[getattr(book.matrix.cells[g], r)].rank for g, r in cells
                 if getattr(book.matrix.cells[g], r) in levels]
        if ranks and max(ranks) == 0:
            shown = ", ".join(f"{g}×{r}" for g, r in cells)
            out.append(_d("gap-item", f"item {item.id} can never lead to accountability: every matrix cell it "
                          f"can reach ({shown}) is a level of rank 0.", item.span))

    # circumstances nobody handles
    handled = {e.rule.then.code for e in live["circumstance_effects"] + live["exemptions"]}  # type: ignore[attr-defined]
    # a code a chain rule tests (e.g. a dissent or an unlawful norm that frees the person) is handled too
    for e in live["chain"]:
        for alt in rs.alts(e) or []:
            handled.update(str(t.value) for t in alt if t.path == "person.circumstances" and t.op == "contains")
    for c in book.circumstances.values():
        if c.code not in handled:
            kind = "exemption rule" if c.kind == "exempting" else "circumstance effect"
            out.append(_d("gap-circumstance", f"circumstance {c.code} ({c.kind}) is handled by no {kind}: "
                          "claiming it changes nothing.", c.span))

    # outcomes for which no status rule fires in some case
    status = book.by_section["status_rules"]
    anchor = status[0].span if status else book.manifest.span
    pairs = [(rs.alts(e), rs.negated_alts(e)) for e in status]
    if not any(e.rule.then.status == "error_case" for e in status):  # type: ignore[attr-defined]
        out.append(_d("gap-outcome", "no status rule makes any case an error case, so no person is ever held "
                      "accountable. Add the status rules (T1…).", anchor))
    elif all(p is not None and n is not None for p, n in pairs):
        alts = [(p, n) for p, n in pairs if p is not None and n is not None]
        for outcome in m.OUTCOMES:
            found = [(o, w) for o in m.ORIGINS if (w := _uncovered(rs, alts, [
                Test("case.outcome", "eq", outcome), Test("case.origin", "eq", o)], "case")) is not None]
            if found:
                origins = ", ".join(o for o, _ in found)
                out.append(_d("gap-outcome", f"case.outcome '{outcome}' is not covered for case.origin {origins}: "
                              f"e.g. when {_witness(rs, found[0][1])}, no status rule fires and the case falls "
                              "to not_error_case with no cited reason. Add a status rule (an explicit "
                              "not_error_case rule documents the legal basis).", anchor))

    # the ladder
    ranks = sorted(lv.rank for lv in book.ladder)
    base_ranks = {levels[getattr(book.matrix.cells[g], r)].rank for g, r in reachable_cells
                  if getattr(book.matrix.cells[g], r) in levels}
    effects = {e.rule.then.effect for e in live["circumstance_effects"]}  # type: ignore[attr-defined]
    cap = levels[book.manifest.policy.aggravation_cap].rank if book.manifest.policy.aggravation_cap in levels \
        else max(ranks, default=0)
    step1 = {r for r in base_ranks if r > 0}
    keep = keeps_rank(levels, book.manifest.policy) if book.manifest.policy.exemption_keeps in levels else 0
    by_rank = {lv.rank: lv for lv in book.ladder}
    for r in list(step1):
        if "aggravate" in effects:
            step1.add(max(r, min(step_up(by_rank, levels, r), cap)))
        if "mitigate" in effects:
            step1.add(step_down(ranks, r, keep))
    if live["exemptions"]:
        step1 |= {exempted_rank(r, c.exemption, keep) for r in list(step1)
                  for c in book.circumstances.values() if c.kind == "exempting"}
    floors = [levels[e.rule.then.min_level].rank for e in live["level_rules"]  # type: ignore[attr-defined]
              if e.rule.then.min_level in levels]  # type: ignore[attr-defined]
    ceilings = [levels[e.rule.then.max_level].rank for e in live["level_rules"]  # type: ignore[attr-defined]
                if e.rule.then.max_level in levels]  # type: ignore[attr-defined]
    step2 = set(step1) | {f for f in floors if any(0 < r < f for r in step1)}
    step3 = set(step2) | {c for c in ceilings if any(c < r for r in step2)} | {0}
    for lv in book.ladder:
        if lv.rank not in step3:
            out.append(_d("unreachable-level", f"ladder level '{lv.id}' (rank {lv.rank}) can never be reached: no "
                          "reachable matrix cell gives it, no aggravation or mitigation step leads to it and no "
                          "level rule sets it.", lv.span))
    return out, step3


def _uncovered(rs: Reasoner, rules: Sequence[tuple[list[list[Test]], list[list[Test]]]], start: list[Test],
               stage: str) -> list[Test] | None:
    """A conjunction (from ``start``) under which none of ``rules`` fires, or ``None``.

    ``rules`` are (condition, negated condition) of each rule, in DNF. Rules that cannot fire under
    ``start`` are skipped; the search gives up (``None``) after :data:`WITNESS_BUDGET` checks.
    """
    if rs.check_in_stage(start, stage) is not None:
        return None
    relevant = []
    for pos, neg in rules:
        if all(rs.check(start + a, stage) is not None for a in pos):
            continue  # cannot fire here
        ok = [a for a in neg if rs.check(start + a, stage) is None]
        if not ok:
            return None  # always fires here
        relevant.append(ok)
    relevant.sort(key=len)
    budget = [WITNESS_BUDGET]

    def dfs(i: int, conj: list[Test], keys: frozenset[tuple[str, str, str]]) -> list[Test] | None:
        if i == len(relevant):
            return conj if rs.check_in_stage(conj, stage) is None else None
        for alt in relevant[i]:
            budget[0] -= 1
            if budget[0] < 0:
                return None
            new = [t for t in alt if _key(t) not in keys]
            nxt = conj + new
            if not new or rs.check(nxt, stage) is None:
                found = dfs(i + 1, nxt, keys | {_key(t) for t in new})
                if found is not None:
                    return found
        return None

    return dfs(0, list(start), frozenset(_key(t) for t in start))


from .substance import exempted_rank, keeps_rank, step_down, step_up


def _check_unused(book: Rulebook) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    sec = book.by_section
    used_defs = {e.rule.then.definition for e in sec["status_rules"]}  # type: ignore[attr-defined]
    used_channels = {e.rule.then.channel for e in sec["channel_rules"]}  # type: ignore[attr-defined]
    used_units = {mid for e in sec["unit_measures"] for mid in e.rule.then.measures}  # type: ignore[attr-defined]
    used_tracks = {e.rule.then.track for e in sec["review"]} | {"routine"}  # type: ignore[attr-defined]
    used_measures = {mid for lv in book.ladder for ms in lv.measures.values() for mid in ms}
    cited: set[str] = set()
    for _owner, _span, c in iter_citations(book):
        cited.add(c.instrument)
    checks: list[tuple[str, Mapping[str, Any], set[str], str]] = [
        ("definition", book.definitions, used_defs, "no status rule names it"),
        ("channel", book.channels, used_channels, "no channel rule selects it"),
        ("unit measure", book.unit_measure_types, used_units, "no unit_measures rule gives it"),
        ("review track", book.review_tracks, used_tracks, "no review rule selects it"),
        ("measure", book.measures, used_measures, "no ladder level lists it"),
        ("instrument", book.instruments, cited, "nothing cites it"),
    ]
    for kind, objs, used, why in checks:
        for key, obj in objs.items():
            if key not in used:
                out.append(_d("unused", f"{kind} '{key}' is never used: {why}.", obj.span))
    return out


def iter_citations(book: Rulebook) -> Iterable[tuple[str, SourceSpan | None, rb.CitationSpec]]:
    """Every citation of the rulebook: (owner, where the owner is written, citation).

    Owners are rule ids, ``items.P2``, ``ladder.talk``, ``ladder.talk.influence.default``,
    ``matrix``, ``definitions.T1``, ``responsibilities.direct``, ``channels.x``,
    ``circumstances.AG1`` and ``unit_measure_types.x``.
    """
    for e in book.rules:
        for c in e.rule.citations:
            yield e.id, e.span, c
    sections: list[tuple[str, Mapping[str, Any]]] = [
        ("definitions", book.definitions), ("items", book.items), ("responsibilities", book.responsibilities),
        ("ladder", book.levels), ("channels", book.channels), ("circumstances", book.circumstances),
        ("unit_measure_types", book.unit_measure_types)]
    for name, objs in sections:
        for key, obj in objs.items():
            for c in obj.citations:
                yield f"{name}.{key}", obj.span, c
            if name == "ladder":
                for ch, inf in obj.influence.items():
                    for c in inf.citations:
                        yield f"ladder.{key}.influence.{ch}", obj.span, c
    for c in book.matrix.citations:
        yield "matrix", book.matrix.span, c


def _check_roles(book: Rulebook) -> list[Diagnostic]:
    """Items' typical roles must be contract roles (``finding.role_is_direct`` compares them)."""
    from .diagnostics import allowed, did_you_mean

    out = []
    for item in book.items.values():
        for kind in ("direct", "oversight"):
            for role in getattr(item.roles, kind):
                if role not in m.ROLES:
                    out.append(_d("unknown-value", f"item {item.id}: roles.{kind} names '{role}', which is not a "
                                  f"role, so finding.role_is_{kind} never matches it{did_you_mean(role, m.ROLES)} "
                                  f"{allowed(m.ROLES)}", item.span))
    return out


def _check_versions(book: Rulebook) -> list[Diagnostic]:
    """Instruments whose version is a placeholder (a year before 1900, e.g. ``0000``: date unknown).

    Validation accepts them (the pattern is ``YYYY``), so every citation of such an instrument is, in
    substance, a citation without a version.
    """
    uses: dict[str, list[str]] = defaultdict(list)
    for owner, span, c in iter_citations(book):
        if c.version is None:
            uses[c.instrument].append(f"{owner} ({book.source(span)})")
    out = []
    for inst in book.instruments.values():
        if inst.version is not None and int(inst.version[:4]) < 1900 and uses.get(inst.id):
            owners = list(dict.fromkeys(uses[inst.id]))
            shown = ", ".join(owners[:3]) + (f", … ({len(owners) - 3} more)" if len(owners) > 3 else "")
            out.append(_d("missing-version", f"instrument '{inst.id}' has the placeholder version {inst.version}, so "
                          f"its {len(uses[inst.id])} citation(s) have no real version; cited by {shown}. Find the "
                          "date of the text, or cite a dated instrument.", inst.span, severity="warning"))
    return out


def _check_durable(book: Rulebook) -> list[Diagnostic]:
    from .rules import compile as comp

    out: list[Diagnostic] = []
    try:
        compiled = comp.compile_rulebook(book)
    except RuleFileError as exc:
        return [_d("durable-limit", f"{d.message} ({d.code})", d.span or book.manifest.span, d.rule_id)
                for d in exc.diagnostics]
    out += [_d("durable-limit", f"{d.message} ({d.code})", d.span or book.manifest.span, d.rule_id)
            for d in compiled.durable_problems]
    n = len(compiled.durable_rules)
    if compiled.durable_problems:
        return out
    if n > NEAR_LIMIT * comp.MAX_DURABLE_RULES:
        out.append(_d("durable-limit", f"the rulebook compiles to {n} durable rules, near the limit of "
                      f"{comp.MAX_DURABLE_RULES} (durable-rules refuses more than 4,096).", book.manifest.span,
                      severity="warning"))
    per_rule: dict[int, int] = defaultdict(int)
    for r in compiled.durable_rules:
        per_rule[r.rule_index] += 1
    for idx, k in sorted(per_rule.items()):
        if k > 128:
            e = book.rules[idx]
            out.append(_d("durable-limit", f"rule '{e.id}' expands to {k} durable rules (one per alternative); "
                          "split it or replace long 'in' lists.", e.span, e.id, severity="warning"))
    fanout: dict[tuple[Any, ...], int] = defaultdict(int)
    for r in compiled.durable_rules:
        terms = r.expr["$and"][1:]
        prefix = tuple(sorted(repr(t) for t in terms if not ("$iany" in t or "$iall" in t)))
        fanout[(r.stage,) + prefix] += sum(1 for t in terms if "$iany" in t or "$iall" in t)
    worst = max(fanout.values(), default=0)
    if worst > NEAR_LIMIT * comp.MAX_LIST_TESTS_PER_NODE:
        out.append(_d("durable-limit", f"{worst} list tests hang under one condition node, near durable-rules' "
                      f"limit ({comp.MAX_LIST_TESTS_PER_NODE}); add a distinguishing equality test.",
                      book.manifest.span, severity="warning"))
    n_keys = len(FACTS) + sum(1 for s in FACTS.values() if s.type == "list") + 3
    if n_keys > NEAR_LIMIT * comp.MAX_FACT_KEYS:  # pragma: no cover - the fact vocabulary is fixed
        out.append(_d("durable-limit", f"facts have {n_keys} keys; durable-rules allows 255 per fact.",
                      book.manifest.span, severity="warning"))
    return out


def lint(book: Rulebook) -> list[Diagnostic]:
    """Every lint finding of a validated rulebook, sorted by position.

    Args:
        book: a rulebook from :func:`~accountrules.rules.load_rulebook` (or :func:`load_for_lint`).

    Returns:
        Errors and warnings (``Diagnostic.severity``), sorted by file, line and column.
    """
    rs = Reasoner(book)
    out, dead = _check_rules(book, rs)
    out += _check_conflicts(book, rs, dead)
    gaps, _ = _check_gaps(book, rs, dead)
    out += gaps
    out += _check_unused(book)
    out += _check_versions(book)
    out += _check_roles(book)
    out += _check_durable(book)
    return sort_diagnostics(out)


# --------------------------------------------------------------------------- loading


def load_for_lint(path: str | Path | None = None) -> tuple[Rulebook | None, list[Diagnostic]]:
    """Load a rulebook for linting.

    A rulebook whose only validation problems are ones lint reports itself
    (:data:`DEFERRED_CODES`, e.g. ``missing-version``) is still assembled and analysed.

    Returns:
        The rulebook (``None`` when it cannot be assembled) and the validation problems.
    """
    from .load import YamlProblem, load_file
    from .rules import validate as v

    try:
        return v.load_rulebook(path), []
    except RuleFileError as exc:
        problems = exc.diagnostics
    if not problems or any(d.code not in DEFERRED_CODES for d in problems):
        return None, problems
    # the same steps as load_rulebook, keeping the book despite the deferred problems
    directory = Path(path) if path is not None else v.default_rulebook_dir()
    root = str(path).rstrip("/") if path is not None else "rules"
    parsed: list[Any] = []
    digest = hashlib.sha256()
    names: list[str] = []
    found: list[Diagnostic] = []
    for f in v._rule_files(directory):
        rel = f.relative_to(directory).as_posix()
        names.append(rel)
        try:
            doc = load_file(f, display=f"{root}/{rel}")
        except YamlProblem:  # pragma: no cover - load_rulebook reported no such problem
            return None, problems
        digest.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
        if isinstance(doc.data, dict):
            try:
                parsed.append((doc, rb.RuleFile.model_validate(doc.data)))
            except ValidationError:  # pragma: no cover - idem
                return None, problems
    book = v._assemble(directory, root, digest.hexdigest(), names, parsed, found)
    if book is None or any(d.code not in DEFERRED_CODES for d in found):  # pragma: no cover
        return None, problems
    return book, problems


def split(diags: Sequence[Diagnostic]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(errors, warnings)."""
    return [d for d in diags if d.severity == "error"], [d for d in diags if d.severity != "error"]


def render(diags: Sequence[Diagnostic], fmt: str) -> str:
    """Findings as text (errors, then warnings apart), JSON or GitHub annotations."""
    errors, warnings = split(diags)
    if fmt == "json":
        import json

        return json.dumps({"errors": json.loads(format_json(errors)), "warnings": json.loads(format_json(warnings)),
                           "summary": {"errors": len(errors), "warnings": len(warnings)}},
                          ensure_ascii=False, indent=2)
    if fmt == "github":
        return format_github(list(errors) + list(warnings))
    parts = []
    if errors:
        parts.append(f"errors ({len(errors)}):\n{format_text(errors)}")
    if warnings:
        parts.append(f"warnings ({len(warnings)}):\n{format_text(warnings)}")
    parts.append(f"{len(errors)} error(s), {len(warnings)} warning(s)")
    return "\n\n".join(parts)
