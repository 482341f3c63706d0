"""The symbolic reasoner: can a conjunction of tests hold, given what the fact vocabulary allows?"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ...language.conditions import DnfTooLarge, Test, to_dnf
from ...language.facts import FACTS, FAULT_RANK, IMPACT_RANK, FactSpec
from ...rules import schema as rb
from ...rules.validate import Rulebook, RuleEntry
from .base import WITNESS_BUDGET

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
                  if e.typed(rb.StatusRule).then.status == "error_case"]
        self.error_alts: list[list[Test]] = []
        for e in errors:
            self.error_alts.extend(self.alts(e) or [[]])

    @staticmethod
    def _delta_range(entries: Sequence[RuleEntry]) -> tuple[int, int]:
        groups: dict[str, list[int]] = defaultdict(list)
        for e in entries:
            groups[e.typed(rb.GradeRule).then.group].append(e.typed(rb.GradeRule).then.delta)
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

    def _path_unsat(self, path: str, tests: Sequence[Test]) -> str | None:  # noqa: C901 - one branch per fact type and operator; the reasoner is tested against the reference evaluator
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
