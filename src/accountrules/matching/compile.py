"""Stage 3 — compile: a validated :class:`Rulebook` → matchers' inputs.

* For the python backend: one closure per rule, indexed per stage by each rule's most selective
  top-level test (:func:`guard_of`), so rules that cannot match are never called. The matcher
  itself is generated from the same guards as Python source (:mod:`accountrules.matching.codegen`);
  the closures and :meth:`StageIndex.candidates` remain the reference it is checked against.
* For durable-rules: plain JSON-able ruleset definitions, translated by
  :mod:`accountrules.matching.durable.translate` (every limit checked before durable sees them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..diagnostics import Diagnostic
from ..errors import RuleFileError
from ..language.conditions import TRUE, All, Cond, Predicate, Test, compile_predicate, tests_of
from ..language.facts import FACTS, STAGES
from ..rules.validate import Rulebook, RuleEntry
from .durable.translate import DurableRule, translate


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
        (:mod:`accountrules.matching.codegen`, which picks the same guards) is checked against.
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
    predicates = [compile_predicate(e.cond) for e in book.rules]

    durable, problems = translate(book)
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
