"""The python backend's matcher, generated as Python source from the validated condition trees.

For each stage one function ``m(f) -> list[int]`` is generated and compiled once per rulebook.
It keeps the discrimination index of :class:`~accountrules.rules.compile.StageIndex`: every rule is
guarded by its most selective top-level ``eq``/``in``/``contains``/``contains_any`` test
(:func:`~accountrules.rules.compile.guard_of`), and the rules that share a guard value form a
*bucket*, compiled into one function ``b<n>(f, ap)`` that tests its rules in rulebook order and
appends the index of each that holds. The stage function tests the unguarded rules inline, then,
for each guard path, looks the fact's value (or each element of a list fact) up in a dict
``value → bucket`` and calls the bucket found. So the cost of a fact does not grow with rules that
cannot match it, and no closure is called per rule.

Inside a bucket the guard test is not repeated (the lookup proved it). A fact value a function
reads more than once is fetched into a local first; one read once is fetched where it is tested,
so short-circuiting still skips it.

**No rulebook text is ever written into the source.** Every constant and every fact path is
bound to a generated global name (``k0``, ``k1`` …) of the namespace the source runs in (sets of
values for ``in`` & co. as frozensets); the source holds only generated identifiers, rule indexes
and operators, and runs with empty builtins (``len``, ``sorted`` and ``set`` are bound
explicitly). :func:`stage_sources` returns it for inspection (tests check that it contains no quote
character). A condition nested deeper than :data:`MAX_DEPTH` is not inlined: its rule calls the
closure :func:`~accountrules.conditions.compile_predicate` builds.

Semantics are those of :func:`~accountrules.conditions.holds`, as :func:`compile_predicate`
implements them (``in``/``not_in``/``contains_any``/``contains_none`` against a frozenset of the
values). Generated functions cannot be pickled: they are built per process, by
:class:`~accountrules.engine.PythonMatcher`; only the :class:`Rulebook` is cached.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..language.conditions import TRUE, All, Cond, Not, Test, compile_predicate
from ..language.facts import STAGES
from ..rules.validate import Rulebook
from .compile import guard_of

#: Conditions nested deeper than this call a closure instead of being inlined (Python's parser
#: refuses expressions nested about 200 levels deep).
MAX_DEPTH = 40
#: A guard path with at most this many distinct values is tested inline (``if x == k1: … elif``);
#: one with more gets a dict value → bucket function, so no fact pays for more than this many tests.
INLINE_VALUES = 2

StageMatch = Callable[[Mapping[str, Any]], list[int]]
_SET_OPS = ("in", "not_in", "contains_any", "contains_none")
_COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


@dataclass(frozen=True)
class GeneratedMatcher:
    """The generated matcher of one rulebook: per stage, its source and its function."""

    sources: dict[str, str]
    functions: dict[str, StageMatch]

    def match(self, stage: str, facts: Mapping[str, Any]) -> list[int]:
        """Indexes (rulebook order, ascending) of the rules of ``stage`` whose condition holds."""
        return self.functions[stage](facts)


def _depth(c: Cond) -> int:
    if isinstance(c, Test):
        return 1
    if isinstance(c, Not):
        return 1 + _depth(c.part)
    return 1 + max((_depth(p) for p in c.parts), default=0)


def _without(c: Cond, guard: Test) -> Cond:
    """The condition with its guard conjunct removed (the bucket lookup already proved it)."""
    if c is guard:
        return All(())
    if isinstance(c, All):
        parts = list(c.parts)
        for i, p in enumerate(parts):
            if p is guard:
                del parts[i]
                break
        return All(tuple(parts))
    return c  # pragma: no cover - guard_of only picks the condition itself or a top-level conjunct


def _count_paths(c: Cond, into: dict[str, int]) -> None:
    if isinstance(c, Test):
        into[c.path] = into.get(c.path, 0) + 1
    elif isinstance(c, Not):
        _count_paths(c.part, into)
    else:
        for p in c.parts:
            _count_paths(p, into)


class _Module:
    """The source of one stage and the objects its generated names stand for."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {}
        self._consts: dict[tuple[type, Any], str] = {}
        self._n = 0
        self.lines: list[str] = []

    def fresh(self, prefix: str) -> str:
        """A new generated identifier."""
        self._n += 1
        return f"{prefix}{self._n - 1}"

    def bind(self, prefix: str, obj: Any) -> str:
        """A new generated name standing for ``obj``."""
        name = self.fresh(prefix)
        self.names[name] = obj
        return name

    def const(self, v: Any) -> str:
        """The name of a constant (shared by equal constants of the same type)."""
        k = (type(v), v)
        name = self._consts.get(k)
        if name is None:
            name = self._consts[k] = self.bind("k", v)
        return name


class _Function:
    """One generated function: rule tests in order, fact values read more than once fetched once."""

    def __init__(self, mod: _Module, header: str) -> None:
        self.mod = mod
        self.header = header
        self.locals: dict[str, str] = {}
        self.body: list[str] = []

    def fetch(self, uses: Mapping[str, int]) -> None:
        """Fetch into locals the fact values the body reads more than once (``uses``: path → reads)."""
        for path, n in uses.items():
            if n > 1:
                name = f"x{len(self.locals)}"
                self.locals[path] = name
                self.line(1, f"{name} = f[{self.mod.const(path)}]")

    def line(self, indent: int, text: str) -> None:
        self.body.append("    " * indent + text)

    def source(self) -> list[str]:
        return [self.header, *self.body, ""]

    def fact(self, path: str) -> str:
        return self.locals.get(path) or f"f[{self.mod.const(path)}]"

    def expr(self, c: Cond) -> str:
        if isinstance(c, Test):
            return self.test(c)
        if isinstance(c, Not):
            return f"(not {self.expr(c.part)})"
        if not c.parts:
            return "True" if isinstance(c, All) else "False"
        if len(c.parts) == 1:
            return self.expr(c.parts[0])
        word = " and " if isinstance(c, All) else " or "
        return "(" + word.join(self.expr(p) for p in c.parts) + ")"

    def test(self, t: Test) -> str:
        a = self.fact(t.path)
        op = t.op
        if op in _SET_OPS:
            k = self.mod.const(frozenset(t.value))
            if op == "in":
                return f"({a} in {k})"
            if op == "not_in":
                return f"({a} not in {k})"
            if op == "contains_any":
                return f"(not {k}.isdisjoint({a}))"
            return f"{k}.isdisjoint({a})"
        k = self.mod.const(t.value)
        if op in _COMPARE:
            return f"({a} {_COMPARE[op]} {k})"
        if op == "contains":
            return f"({k} in {a})"
        if op == "excludes":
            return f"({k} not in {a})"
        raise AssertionError(op)  # pragma: no cover - parse_condition admits only OPS

    def rules(self, rules: list[tuple[int, Cond]], indent: int) -> None:
        """``ap(order)`` for each rule whose condition holds, in order."""
        for order, c in rules:
            if c == TRUE:
                self.line(indent, f"ap({order})")
                continue
            if _depth(c) > MAX_DEPTH:
                cond = f"{self.mod.bind('p', compile_predicate(c))}(f)"
            else:
                cond = self.expr(c)
            self.line(indent, f"if {cond}:")
            self.line(indent + 1, f"ap({order})")


def _uses(rules: list[tuple[int, Cond]], into: dict[str, int]) -> None:
    for _, c in rules:
        if _depth(c) <= MAX_DEPTH:
            _count_paths(c, into)


Bucket = list[tuple[int, Cond]]  # (rule order, condition without its guard), in rulebook order


def _stage_module(rules: Iterable[tuple[int, Cond]], vocabs: Mapping[str, tuple[str, ...]]
                  ) -> tuple[str, dict[str, Any]]:
    """The source of one stage's matcher and the objects its generated names stand for."""
    mod = _Module()
    always: Bucket = []
    # guard path → (kind, value → bucket), in first-seen order
    index: dict[str, tuple[str, dict[Any, Bucket]]] = {}
    for order, cond in rules:
        g = guard_of(cond, vocabs)
        if g is None:
            always.append((order, cond))
            continue
        kind, test, values = g
        rest = _without(cond, test)
        buckets = index.setdefault(test.path, (kind, {}))[1]
        for v in dict.fromkeys(values):
            buckets.setdefault(v, []).append((order, rest))

    # Guard paths with few values are tested inline; the others get a table value → bucket function
    # (so the stage function's length is bounded whatever the number of rules).
    inline = {path: entry for path, entry in index.items() if len(entry[1]) <= INLINE_VALUES}
    lines: list[str] = []
    tables: dict[str, str] = {}
    for path, (_kind, buckets) in index.items():
        if path in inline:
            continue
        entries: list[str] = []
        for value, bucket in buckets.items():
            name = mod.fresh("b")
            fn = _Function(mod, f"def {name}(f, ap):")
            uses: dict[str, int] = {}
            _uses(bucket, uses)
            fn.fetch(uses)
            fn.rules(bucket, 1)
            lines.extend(fn.source())
            entries.append(f"{mod.const(value)}: {name}")
        tables[path] = mod.fresh("t")
        lines.append(f"{tables[path]} = {{" + ", ".join(entries) + "}")
        lines.append("")

    main = _Function(mod, "def m(f):")
    main.line(1, "r = []")
    main.line(1, "ap = r.append")
    uses = {}
    _uses(always, uses)
    for path, (kind, buckets) in index.items():
        uses[path] = uses.get(path, 0) + (len(buckets) if path in inline else 1)
        if path in inline:
            for bucket in buckets.values():
                _uses(bucket, uses)
    main.fetch(uses)
    main.rules(always, 1)
    for path, (kind, buckets) in index.items():
        fact = main.fact(path)
        if path in tables and kind == "scalar":
            main.line(1, f"g = {tables[path]}.get({fact})")
            main.line(1, "if g is not None:")
            main.line(2, "g(f, ap)")
        elif path in tables:
            main.line(1, f"for v in {fact}:")
            main.line(2, f"g = {tables[path]}.get(v)")
            main.line(2, "if g is not None:")
            main.line(3, "g(f, ap)")
        else:
            for n, (value, bucket) in enumerate(buckets.items()):
                k = mod.const(value)
                if kind == "scalar":
                    main.line(1, f"{'elif' if n else 'if'} {fact} == {k}:")
                else:
                    main.line(1, f"if {k} in {fact}:")
                main.rules(bucket, 2)
    main.line(1, "if len(r) > 1:")
    main.line(2, "return sorted(set(r))")
    main.line(1, "return r")
    lines.extend(main.source())
    return "\n".join(lines), mod.names


def _stage_rules(book: Rulebook, stage: str) -> list[tuple[int, Cond]]:
    return [(e.order, e.cond) for e in book.rules if e.stage == stage]


def compile_stage(rules: Iterable[tuple[int, Cond]], vocabs: Mapping[str, tuple[str, ...]] | None = None, *,
                  filename: str = "<accountrules matcher>") -> tuple[str, StageMatch]:
    """Generate and compile the matcher of one stage.

    Args:
        rules: ``(index, condition)`` of the stage's rules, in rulebook order.
        vocabs: the rulebook's vocabularies (they rank the guards; without them every
            vocabulary-valued fact counts as unknown).
        filename: the name the compiled code and its tracebacks carry.

    Returns:
        The source, and the function ``facts → indexes of the rules that hold`` (ascending).
    """
    source, names = _stage_module(rules, vocabs or {})
    namespace: dict[str, Any] = {"__builtins__": {}, "len": len, "sorted": sorted, "set": set, **names}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - generated; constants bound by name
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    fn: StageMatch = namespace["m"]
    return source, fn


def stage_sources(book: Rulebook) -> dict[str, str]:
    """The generated source of every stage's matcher (for inspection and tests)."""
    return {stage: _stage_module(_stage_rules(book, stage), book.vocabs)[0] for stage in STAGES}


def generate(book: Rulebook) -> GeneratedMatcher:
    """Generate and compile the matcher of every stage of ``book``."""
    sources: dict[str, str] = {}
    functions: dict[str, StageMatch] = {}
    for stage in STAGES:
        sources[stage], functions[stage] = compile_stage(
            _stage_rules(book, stage), book.vocabs, filename=f"<accountrules matcher {book.sha256[:12]} {stage}>")
    return GeneratedMatcher(sources, functions)


__all__ = ["INLINE_VALUES", "MAX_DEPTH", "GeneratedMatcher", "compile_stage", "generate", "stage_sources"]
