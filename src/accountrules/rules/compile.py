"""Stage 3 — compile: a validated :class:`Rulebook` → matchers' inputs.

* For the python backend: one closure per rule, indexed per stage by each rule's most selective
  top-level test (:func:`guard_of`), so rules that cannot match are never called. The matcher
  itself is generated from the same guards as Python source (:mod:`accountrules.rules.codegen`);
  the closures and :meth:`StageIndex.candidates` remain the reference it is checked against.
* For durable-rules: plain JSON-able ruleset definitions. Each rule becomes one durable rule per
  alternative of its disjunctive normal form (so no ``$or`` — durable caps ``$or`` fan-out at
  128 and hangs joins on every alternative), with tests ordered equalities → ranges → list tests
  (durable's compile time depends on that order), and every limit checked *before*
  ``create_ruleset`` is called.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..conditions import TRUE, All, Cond, DnfTooLarge, Predicate, Test, compile_predicate, tests_of, to_dnf
from ..diagnostics import Diagnostic
from ..errors import RuleFileError
from ..facts import FACTS, STAGES
from .validate import Rulebook, RuleEntry

MAX_DURABLE_RULES = 4000  # durable refuses more than 4,096 (error 106)
MAX_LIST_TESTS_PER_NODE = 400  # durable's create_ruleset loops forever at 512 unshared $iany children
MAX_FACT_KEYS = 250  # durable's per-fact property limit is 255
MAX_CHILDREN_PER_NODE = 480  # durable's create_ruleset loops forever once a node has 512 distinct children


def durable_key(path: str) -> str:
    """Flat durable property name of a fact path."""
    return path.replace(".", "__")


def length_key(path: str) -> str:
    """Synthetic property holding a list fact's length (durable's ``$iall`` is false on [])."""
    return durable_key(path) + "__n"


_ORDER = {"eq": 0, "ne": 1, "lt": 2, "le": 2, "gt": 2, "ge": 2, "contains": 3, "excludes": 4, "len0": 0}


def _durable_test(t: Test) -> dict[str, Any]:
    k = durable_key(t.path)
    if t.op == "eq":
        return {k: t.value}
    if t.op == "ne":
        return {"$neq": {k: t.value}}
    if t.op in ("lt", "le", "gt", "ge"):
        return {{"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}[t.op]: {k: t.value}}
    if t.op == "contains":
        return {"$iany": {k: {"$i": t.value}}}
    if t.op == "excludes":
        return {"$iall": {k: {"$neq": {"$i": t.value}}}}
    if t.op == "len0":
        return {length_key(t.path): 0}
    raise AssertionError(t.op)  # pragma: no cover


def _split_excludes(conj: list[Test]) -> list[list[Test]]:
    """``excludes v`` holds on [] too, which ``$iall`` does not: split into (len == 0) | $iall."""
    out: list[list[Test]] = [[]]
    for t in conj:
        if t.op == "excludes":
            out = [a + [b] for a in out for b in (Test(t.path, "len0", 0, t.span), t)]
        else:
            out = [a + [t] for a in out]
    # an empty list makes every other excludes on the same path true as well: drop duplicates
    uniq: list[tuple[tuple[tuple[str, str, str], ...], list[Test]]] = []
    for alt in out:
        paths0 = {x.path for x in alt if x.op == "len0"}
        alt2 = [x for x in alt if not (x.op == "excludes" and x.path in paths0)]
        key = tuple(sorted((x.path, x.op, repr(x.value)) for x in alt2))
        if key not in [k for k, _ in uniq]:
            uniq.append((key, alt2))
    return [a for _, a in uniq]


@dataclass
class DurableRule:
    """One durable rule: which of our rules it stands for, and its condition."""

    name: str
    rule_index: int
    stage: str
    expr: dict[str, Any]


@dataclass
class StageIndex:
    """Python-backend rules of one stage, behind a discrimination index.

    Each rule is guarded by its most selective top-level test — an equality or membership on a
    single-valued fact, or a ``contains`` on a list fact. A rule is tried only when the fact
    satisfies its guard, so the cost of a fact does not grow with rules that cannot match it.
    Rules without such a test are always tried.
    """

    scalar: dict[str, dict[Any, list[int]]] = field(default_factory=dict)
    lists: dict[str, dict[Any, list[int]]] = field(default_factory=dict)
    always: list[int] = field(default_factory=list)
    predicates: dict[int, Predicate] = field(default_factory=dict)

    def candidates(self, facts: Mapping[str, Any]) -> list[tuple[int, Predicate]]:
        """Rules that may match these facts, in rulebook order."""
        found: set[int] = set(self.always)
        for path, buckets in self.scalar.items():
            hit = buckets.get(facts[path])
            if hit:
                found.update(hit)
        for path, buckets in self.lists.items():
            for v in facts[path]:
                hit = buckets.get(v)
                if hit:
                    found.update(hit)
        preds = self.predicates
        return [(i, preds[i]) for i in sorted(found)]


def guard_of(c: Cond, vocabs: Mapping[str, tuple[str, ...]]) -> tuple[str, Test, list[Any]] | None:
    """The most selective top-level test of a rule's condition usable as an index key.

    Returns ``(kind, test, values)``: ``kind`` is ``scalar`` (an ``eq``/``in`` on a single-valued
    fact: the rule can hold only when the fact equals one of ``values``) or ``list`` (a
    ``contains``/``contains_any`` on a list fact: only when the list holds one of ``values``).
    The test is one of the rule's top-level conjuncts, so a fact found under one of its keys
    satisfies it (the generated matcher relies on that and does not test it again).
    """
    parts = c.parts if isinstance(c, All) else (c,)
    best: tuple[float, tuple[str, Test, list[Any]]] | None = None
    for p in parts:
        if not isinstance(p, Test):
            continue
        spec = FACTS[p.path]
        vocab = spec.vocabulary(vocabs)
        size = 2.0 if spec.type == "bool" else float(len(vocab)) if vocab else 20.0
        if p.op == "eq" and spec.type in ("str", "bool", "int"):
            g, values = ("scalar", [p.value])
        elif p.op == "in" and spec.type in ("str", "bool", "int"):
            g, values = ("scalar", list(p.value))
        elif p.op == "contains":
            g, values = ("list", [p.value])
        elif p.op == "contains_any":
            g, values = ("list", list(p.value))
        else:
            continue
        score = len(values) / max(size, 1.0)
        if best is None or score < best[0]:
            best = (score, (g, p, values))
    return best[1] if best else None


def _guard(e: RuleEntry, vocabs: Mapping[str, tuple[str, ...]]) -> tuple[str, str, list[Any]] | None:
    """The rule's index key as ``(kind, path, values)`` (see :func:`guard_of`)."""
    g = guard_of(e.cond, vocabs)
    return (g[0], g[1].path, g[2]) if g else None


@dataclass
class CompiledRulebook:
    """Everything the matchers need, derived once per rulebook."""

    rulebook: Rulebook
    predicates: list[Predicate]
    durable_rules: list[DurableRule]
    list_paths: tuple[str, ...]
    # per stage, the fact paths its durable rules test (the only properties asserted to durable)
    stage_paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unconditional: dict[str, list[int]] = field(default_factory=dict)
    durable_problems: list[Diagnostic] = field(default_factory=list)

    @cached_property
    def indexes(self) -> dict[str, StageIndex]:
        """The closure index per stage: the reference the generated matcher
        (:mod:`accountrules.rules.codegen`, which picks the same guards) is checked against.
        Built on first use — the engine itself never needs it."""
        book = self.rulebook
        indexes: dict[str, StageIndex] = {}
        for stage in STAGES:
            idx = StageIndex()
            for e in (e for e in book.rules if e.stage == stage):
                idx.predicates[e.order] = self.predicates[e.order]
                guard = _guard(e, book.vocabs)
                if guard is None:
                    idx.always.append(e.order)
                    continue
                kind, path, values = guard
                table = idx.scalar if kind == "scalar" else idx.lists
                for v in values:
                    table.setdefault(path, {}).setdefault(v, []).append(e.order)
            indexes[stage] = idx
        return indexes


def compile_rulebook(book: Rulebook) -> CompiledRulebook:
    """Compile every rule for both backends and check durable's limits.

    Problems that concern durable-rules only (its rule count, fan-out and node limits) are kept in
    ``durable_problems`` and raised when a durable matcher is built; the python backend has no such
    limits.

    Raises:
        RuleFileError: a condition too complex to normalise.
    """
    problems: list[Diagnostic] = []
    predicates = [compile_predicate(e.cond) for e in book.rules]

    durable: list[DurableRule] = []
    fanout: dict[tuple[Any, ...], int] = defaultdict(int)
    children: dict[tuple[Any, ...], set[Any]] = defaultdict(set)
    for e in book.rules:
        if e.cond == TRUE:
            continue  # a rule without a condition matches every fact of its stage: no durable rule needed
        try:
            alts = to_dnf(e.cond)
        except DnfTooLarge as exc:
            problems.append(Diagnostic("too-complex", f"rule '{e.id}' expands to {exc}; split it into "
                                       "several rules.", e.span, rule_id=e.id))
            continue
        expanded = [alt for conj in alts for alt in _split_excludes(conj)]
        for n, conj in enumerate(expanded):
            conj = sorted(conj, key=lambda t: (_ORDER[t.op], t.path, repr(t.value)))
            terms = [{"kind": e.stage}] + [_durable_test(t) for t in conj]
            node: tuple[Any, ...] = (e.stage,)
            for t in conj:  # the alpha network durable builds: one child per distinct next test
                test_key = (t.path, t.op, repr(t.value))
                children[node].add(test_key)
                node = node + (test_key,)
            prefix = tuple((t.path, t.op, repr(t.value)) for t in conj if _ORDER[t.op] < 3)
            fanout[(e.stage,) + prefix] += sum(1 for t in conj if t.op in ("contains", "excludes"))
            durable.append(DurableRule(f"{e.id}#{n}", e.order, e.stage, {"$and": terms}))
    if len(durable) > MAX_DURABLE_RULES:
        problems.append(Diagnostic("too-many-rules", f"the rulebook compiles to {len(durable)} durable rules; "
                                   f"durable-rules accepts at most {MAX_DURABLE_RULES}. Simplify 'in' lists or "
                                   "use the python backend.", book.manifest.span))
    widest: tuple[tuple[Any, ...] | None, set[Any]] = max(children.items(), key=lambda kv: len(kv[1]),
                                                          default=(None, set()))
    if len(widest[1]) > MAX_CHILDREN_PER_NODE:
        path = " → ".join(f"{k[0]} {k[1]} {k[2]}" for k in (widest[0] or ())[1:]) or f"kind = {widest[0][0]}"  # type: ignore[index]
        problems.append(Diagnostic("too-many-branches", f"{len(widest[1])} different tests follow one condition "
                                   f"node ({path}); durable-rules loops forever past 512. Split the rules by a "
                                   "distinguishing test or use the python backend.", book.manifest.span))
    worst = max(fanout.values(), default=0)
    if worst > MAX_LIST_TESTS_PER_NODE:
        problems.append(Diagnostic("too-many-list-tests", f"{worst} list tests hang under one condition node; "
                                   f"durable-rules stops compiling at 512. Add a distinguishing equality test.",
                                   book.manifest.span))
    n_keys = len(FACTS) + sum(1 for s in FACTS.values() if s.type == "list") + 3
    if n_keys > MAX_FACT_KEYS:  # pragma: no cover - the fact vocabulary is fixed
        problems.append(Diagnostic("too-many-facts", f"facts have {n_keys} keys; durable allows 255."))
    from ..durable_numbers import threshold_problems

    problems += threshold_problems(book.rules)
    durable_problems = [d for d in problems if d.code != "too-complex"]
    if len(durable_problems) < len(problems):
        raise RuleFileError(problems)
    used = sorted({t.path for e in book.rules for t in tests_of(e.cond)})
    list_paths = tuple(p for p in used if FACTS[p].type == "list")
    tested: dict[str, set[str]] = {}
    for r in durable:
        tested.setdefault(r.stage, set()).update(t.path for t in tests_of(book.rules[r.rule_index].cond))
    stage_paths = {stage: tuple(sorted(paths)) for stage, paths in tested.items()}
    unconditional = {stage: [e.order for e in book.rules if e.stage == stage and e.cond == TRUE] for stage in STAGES}
    return CompiledRulebook(book, predicates, durable, list_paths, stage_paths, unconditional, durable_problems)
