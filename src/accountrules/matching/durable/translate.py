"""Our conditions as durable-rules definitions, and durable's limits — checked *before*
``create_ruleset`` is called.

Each rule becomes one durable rule per alternative of its disjunctive normal form (so no ``$or``
— durable caps ``$or`` fan-out at 128 and hangs joins on every alternative), with tests ordered
equalities → ranges → list tests (durable's compile time depends on that order). ``excludes``
becomes (length = 0) ∨ ``$iall`` (``$iall`` is false on an empty list). Fact paths become flat
property names (:func:`durable_key`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ...diagnostics import Diagnostic
from ...language.conditions import TRUE, DnfTooLarge, Test, to_dnf
from ...language.facts import FACTS
from ...rules.validate import Rulebook
from .numbers import threshold_problems

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


def translate(book: Rulebook) -> tuple[list[DurableRule], list[Diagnostic]]:
    """The durable rules of every conditional rule, and the problems: ``too-complex`` (a condition
    whose normal form is too large, for both backends) and durable's limits."""
    problems: list[Diagnostic] = []
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
    problems += threshold_problems(book.rules)
    return durable, problems
