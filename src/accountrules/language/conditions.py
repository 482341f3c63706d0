"""The condition language: a small, closed language of data, never Python source.

::

    when:
      all:
        - {fact: case.origin, eq: court}
        - {fact: case.outcome, in: [revoked, partly_revoked]}
        - not: {fact: person.conduct, contains: failed_to_detect}
        - any:
            - {fact: case.consequences.economic_loss_yuan, ge: 100000}
            - {fact: case.consequences.mass_incident, eq: true}

Operators: ``eq ne in not_in lt le gt ge`` on scalars; ``contains excludes contains_any
contains_none`` on lists; ``all any not`` combine. ``when`` omitted (or ``always``) is true.

This module parses raw YAML into :class:`Cond` trees (with positions and all problems reported
at once), compiles them to Python closures (the generated matcher of :mod:`accountrules.rules.codegen`
falls back to them for very deep conditions), evaluates them with an
explanation (which facts made a rule true or false), and rewrites them into disjunctive normal
form for the durable-rules compiler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..contract.yaml_source import Loc, RawDocument
from ..diagnostics import Diagnostic, SourceSpan, allowed, did_you_mean
from .facts import FACTS, FactSpec

SCALAR_OPS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge")
LIST_OPS = ("contains", "excludes", "contains_any", "contains_none")
OPS = SCALAR_OPS + LIST_OPS
NEGATE = {
    "eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in", "lt": "ge", "ge": "lt", "gt": "le",
    "le": "gt", "contains": "excludes", "excludes": "contains", "contains_any": "contains_none",
    "contains_none": "contains_any",
}
SYMBOL = {
    "eq": "==", "ne": "!=", "in": "in", "not_in": "not in", "lt": "<", "le": "<=", "gt": ">",
    "ge": ">=", "contains": "contains", "excludes": "excludes", "contains_any": "contains any of",
    "contains_none": "contains none of",
}


@dataclass(frozen=True)
class Test:
    """One comparison of a fact with a constant."""

    path: str
    op: str
    value: Any
    span: SourceSpan | None = field(default=None, compare=False)
    param: str | None = field(default=None, compare=False)  # the rulebook parameter the value comes from

    def describe(self) -> str:
        """``case.origin == court``."""
        v = self.value
        shown = "[" + ", ".join(map(_show, v)) + "]" if isinstance(v, list | tuple) else _show(v)
        return f"{self.path} {SYMBOL[self.op]} {shown}"


@dataclass(frozen=True)
class All:
    """Every part holds (an empty ``All`` is true)."""

    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds."""

    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    """The part does not hold."""

    part: Cond


Cond = Test | All | AnyOf | Not
TRUE = All(())


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# --------------------------------------------------------------------------- parsing


@dataclass
class ParseContext:
    """What a condition may refer to."""

    doc: RawDocument
    stage: str
    vocabs: Mapping[str, tuple[str, ...]]
    rule_id: str | None = None
    forbidden: frozenset[str] = frozenset()
    problems: list[Diagnostic] = field(default_factory=list)
    #: parameter id → its values, each ``(value, from YYYYMMDD or 0, until YYYYMMDD or 0)`` (``{param: ID}``)
    params: Mapping[str, tuple[tuple[Any, int, int], ...]] = field(default_factory=dict)
    #: the parameters the parsed conditions used, in order of first use
    used_params: list[str] = field(default_factory=list)

    def err(self, code: str, msg: str, loc: Loc, *, key: bool = False) -> None:
        span = self.doc.key_span(loc) if key else self.doc.span(loc)
        self.problems.append(Diagnostic(code, msg, span, rule_id=self.rule_id))


def parse_condition(raw: Any, loc: Loc, ctx: ParseContext) -> Cond:
    """Parse a raw ``when`` value into a :data:`Cond`, collecting problems in ``ctx``."""
    if raw is None or raw == "always":
        return TRUE
    if not isinstance(raw, dict):
        ctx.err("bad-condition", "a condition must be a mapping: {all: […]}, {any: […]}, {not: …} "
                "or {fact: PATH, OP: VALUE}, or the word 'always'.", loc)
        return TRUE
    if "fact" in raw:
        return _parse_test(raw, loc, ctx)
    keys = list(raw)
    if len(keys) != 1 or keys[0] not in ("all", "any", "not"):
        extra = [k for k in keys if k not in ("all", "any", "not")]
        bad = extra[0] if extra else keys[0] if keys else ""
        ctx.err("bad-condition", f"unexpected key '{bad}' in a condition"
                f"{did_you_mean(str(bad), ('all', 'any', 'not', 'fact'))}. A condition has exactly one of "
                "all, any, not — or fact with one operator.", loc + ((bad,) if bad in raw else ()), key=True)
        return TRUE
    k = keys[0]
    body = raw[k]
    if k == "not":
        return Not(parse_condition(body, loc + ("not",), ctx))
    if not isinstance(body, list) or not body:
        ctx.err("bad-condition", f"'{k}' takes a non-empty list of conditions.", loc + (k,))
        return TRUE
    parts = tuple(parse_condition(b, loc + (k, i), ctx) for i, b in enumerate(body))
    return All(parts) if k == "all" else AnyOf(parts)


def _parse_test(raw: dict[str, Any], loc: Loc, ctx: ParseContext) -> Cond:
    path = raw.get("fact")
    ops = [k for k in raw if k != "fact"]
    span = ctx.doc.span(loc)
    if not isinstance(path, str):
        ctx.err("bad-condition", "'fact' must be a fact path such as case.origin.", loc + ("fact",))
        return TRUE
    spec = FACTS.get(path)
    if spec is None or ctx.stage not in spec.stages:
        known = [p for p, s in FACTS.items() if ctx.stage in s.stages]
        why = "unknown fact path" if spec is None else f"fact '{path}' is not available at stage '{ctx.stage}'"
        ctx.err("unknown-fact", f"{why} '{path}'{did_you_mean(path, known)}. "
                f"{allowed(known, limit=60)}", loc + ("fact",))
        return TRUE
    if path in ctx.forbidden:
        ctx.err("unknown-fact", f"fact '{path}' cannot be used in this section (it is computed from it).",
                loc + ("fact",))
        return TRUE
    if len(ops) != 1:
        what = "no operator" if not ops else f"{len(ops)} operators ({', '.join(map(str, ops))})"
        ctx.err("bad-operator", f"a test needs exactly one operator, found {what}. {allowed(OPS)}", loc)
        return TRUE
    op = ops[0]
    if op not in OPS:
        ctx.err("bad-operator", f"unknown operator '{op}'{did_you_mean(str(op), OPS)}. {allowed(OPS)}",
                loc + (op,), key=True)
        return TRUE
    value = raw[op]
    if isinstance(value, dict) and "param" in value:
        return _parse_param_test(spec, op, value, loc + (op,), span, ctx)
    is_list_fact = spec.type == "list"
    if is_list_fact and op not in LIST_OPS:
        ctx.err("bad-operator", f"'{path}' is a list; use one of {', '.join(LIST_OPS)} (not '{op}').",
                loc + (op,), key=True)
        return TRUE
    if not is_list_fact and op in LIST_OPS:
        ctx.err("bad-operator", f"'{path}' is a single {spec.type}; '{op}' is for lists. "
                f"{allowed(SCALAR_OPS)}", loc + (op,), key=True)
        return TRUE
    multi = op in ("in", "not_in", "contains_any", "contains_none")
    values = value if multi else [value]
    if multi and (not isinstance(value, list) or not value):
        ctx.err("bad-value", f"'{op}' takes a non-empty list of values.", loc + (op,))
        return TRUE
    ok = True
    for i, v in enumerate(values):
        vloc = loc + ((op, i) if multi else (op,))
        if not _check_value(spec, op, v, vloc, ctx):
            ok = False
    if not ok:
        return TRUE
    return Test(path, op, list(value) if multi else value, span)


PARAM_OPS = ("eq", "ne", "lt", "le", "gt", "ge")


def _parse_param_test(spec: FactSpec, op: str, value: dict[str, Any], loc: Loc, span: SourceSpan,
                      ctx: ParseContext) -> Cond:
    """``{fact: PATH, OP: {param: ID}}``: the fact compared with a rulebook parameter. A parameter with one
    undated value is that constant; a dated one becomes, for each value, "``case.law_date`` in its period and
    the fact compared with the value" (plain data, the same for every backend)."""
    name = value.get("param")
    if len(value) != 1 or not isinstance(name, str):
        ctx.err("bad-value", "a parameter reference is {param: ID} and nothing else.", loc)
        return TRUE
    if op not in PARAM_OPS or spec.type not in ("int", "number"):
        ctx.err("bad-operator", f"a parameter compares a number: '{spec.path}' is {spec.type} and '{op}' "
                f"{'is' if op in PARAM_OPS else 'is not'} a comparison. {allowed(PARAM_OPS)}", loc)
        return TRUE
    versions = ctx.params.get(name)
    if versions is None:
        ctx.err("unknown-reference", f"unknown parameter '{name}'{did_you_mean(name, ctx.params)}. "
                f"Parameters are declared in 'parameters:'. {allowed(ctx.params)}", loc + ("param",))
        return TRUE
    if name not in ctx.used_params:
        ctx.used_params.append(name)
    if len(versions) == 1 and versions[0][1] == 0 and versions[0][2] == 0:
        return Test(spec.path, op, versions[0][0], span, name)
    alts: list[Cond] = []
    for v, start, end in versions:
        parts: list[Cond] = []
        if start:
            parts.append(Test("case.law_date", "ge", start, span))
        if end:
            parts.append(Test("case.law_date", "le", end, span))
        parts.append(Test(spec.path, op, v, span, name))
        alts.append(All(tuple(parts)))
    return alts[0] if len(alts) == 1 else AnyOf(tuple(alts))


def _check_value(spec: FactSpec, op: str, v: Any, loc: Loc, ctx: ParseContext) -> bool:
    t = spec.type
    if op in ("lt", "le", "gt", "ge"):
        if t not in ("int", "number") or isinstance(v, bool) or not isinstance(v, int | float):
            ctx.err("bad-value", f"'{op}' compares numbers; '{spec.path}' is {t} and the value is "
                    f"{type(v).__name__} '{v}'.", loc)
            return False
        return True
    if t == "bool":
        if not isinstance(v, bool):
            ctx.err("bad-value", f"'{spec.path}' is true or false, not '{v}'.", loc)
            return False
        return True
    if t in ("int", "number"):
        if isinstance(v, bool) or not isinstance(v, int | float):
            ctx.err("bad-value", f"'{spec.path}' is a number, not '{v}'.", loc)
            return False
        return True
    if not isinstance(v, str):
        ctx.err("bad-value", f"'{spec.path}' holds text values; '{v}' is {type(v).__name__}.", loc)
        return False
    vocab = spec.vocabulary(ctx.vocabs)
    if vocab is not None and v not in vocab:
        ctx.err("unknown-value", f"'{v}' is not a value of '{spec.path}'{did_you_mean(v, vocab)}. "
                f"{allowed(vocab)}", loc)
        return False
    return True


# --------------------------------------------------------------------------- evaluation


def test_holds(t: Test, facts: Mapping[str, Any]) -> bool:
    """Evaluate one test against flat facts."""
    a = facts[t.path]
    op, v = t.op, t.value
    if op == "eq":
        return bool(a == v)
    if op == "ne":
        return bool(a != v)
    if op == "in":
        return a in v
    if op == "not_in":
        return a not in v
    if op == "lt":
        return bool(a < v)
    if op == "le":
        return bool(a <= v)
    if op == "gt":
        return bool(a > v)
    if op == "ge":
        return bool(a >= v)
    if op == "contains":
        return v in a
    if op == "excludes":
        return v not in a
    if op == "contains_any":
        return any(x in a for x in v)
    if op == "contains_none":
        return not any(x in a for x in v)
    raise AssertionError(op)  # pragma: no cover - parse_condition admits only OPS


def holds(c: Cond, facts: Mapping[str, Any]) -> bool:
    """Evaluate a condition (reference semantics)."""
    if isinstance(c, Test):
        return test_holds(c, facts)
    if isinstance(c, All):
        return all(holds(p, facts) for p in c.parts)
    if isinstance(c, AnyOf):
        return any(holds(p, facts) for p in c.parts)
    return not holds(c.part, facts)


Predicate = Callable[[Mapping[str, Any]], bool]


def compile_predicate(c: Cond) -> Predicate:  # noqa: C901 - one closure per operator (speed: no dispatch at match time)
    """Compile a condition once into a closure (the python backend's matcher)."""
    if isinstance(c, Test):
        p, op, v = c.path, c.op, c.value
        if op == "eq":
            return lambda f: f[p] == v
        if op == "ne":
            return lambda f: f[p] != v
        if op in ("in", "not_in"):
            vs = frozenset(v)
            return (lambda f: f[p] in vs) if op == "in" else (lambda f: f[p] not in vs)
        if op == "lt":
            return lambda f: f[p] < v
        if op == "le":
            return lambda f: f[p] <= v
        if op == "gt":
            return lambda f: f[p] > v
        if op == "ge":
            return lambda f: f[p] >= v
        if op == "contains":
            return lambda f: v in f[p]
        if op == "excludes":
            return lambda f: v not in f[p]
        vs = frozenset(v)
        if op == "contains_any":
            return lambda f: not vs.isdisjoint(f[p])
        return lambda f: vs.isdisjoint(f[p])
    if isinstance(c, All):
        parts = [compile_predicate(x) for x in c.parts]
        if not parts:
            return lambda f: True
        if len(parts) == 1:
            return parts[0]
        return lambda f: all(q(f) for q in parts)
    if isinstance(c, AnyOf):
        parts = [compile_predicate(x) for x in c.parts]
        return lambda f: any(q(f) for q in parts)
    inner = compile_predicate(c.part)
    return lambda f: not inner(f)


@dataclass(frozen=True)
class Checked:
    """A test with the fact value it saw and whether it held."""

    test: Test
    actual: Any
    held: bool

    def describe(self) -> str:
        """``case.origin == court (fact: court)``."""
        return f"{self.test.describe()}  (fact: {_show_actual(self.actual)})"


def _show_actual(a: Any) -> str:
    if isinstance(a, list):
        return "[" + ", ".join(map(_show, a)) + "]"
    return _show(a)


def explain(c: Cond, facts: Mapping[str, Any]) -> tuple[bool, list[Checked]]:
    """Evaluate with an explanation: the tests that decided the result.

    For a true condition, the tests that made it true; for a false one, the tests that failed.
    """
    if isinstance(c, Test):
        ok = test_holds(c, facts)
        return ok, [Checked(c, facts[c.path], ok)]
    if isinstance(c, Not):
        ok, why = explain(c.part, facts)
        return (not ok), why
    results = [explain(p, facts) for p in c.parts]
    if isinstance(c, All):
        ok = all(r[0] for r in results)
        used = [x for r in results for x in r[1]] if ok else [x for r in results if not r[0] for x in r[1]]
        return ok, used
    ok = any(r[0] for r in results)
    if ok:
        first = next(r for r in results if r[0])
        return True, first[1]
    return False, [x for r in results for x in r[1]]


def tests_of(c: Cond) -> list[Test]:
    """Every test in a condition."""
    if isinstance(c, Test):
        return [c]
    if isinstance(c, Not):
        return tests_of(c.part)
    return [t for p in c.parts for t in tests_of(p)]


# --------------------------------------------------------------------------- normal form

MAX_DNF = 256


class DnfTooLarge(Exception):
    """A condition expands into too many alternatives for the durable compiler."""


def to_dnf(c: Cond, negate: bool = False) -> list[list[Test]]:
    """Disjunctive normal form: a list of alternatives, each a conjunction of tests.

    Negation is pushed into the operators (``not eq`` → ``ne`` …) and ``in`` / ``contains_any``
    split into alternatives, so the result uses only operators durable-rules handles well.
    """
    if isinstance(c, Test):
        op = NEGATE[c.op] if negate else c.op
        if op == "in":
            return [[Test(c.path, "eq", v, c.span)] for v in c.value]
        if op == "not_in":
            return [[Test(c.path, "ne", v, c.span) for v in c.value]]
        if op == "contains_any":
            return [[Test(c.path, "contains", v, c.span)] for v in c.value]
        if op == "contains_none":
            return [[Test(c.path, "excludes", v, c.span) for v in c.value]]
        return [[Test(c.path, op, c.value, c.span)]]
    if isinstance(c, Not):
        return to_dnf(c.part, not negate)
    conj = isinstance(c, All) != negate
    if conj:
        out: list[list[Test]] = [[]]
        for p in c.parts:
            alts = to_dnf(p, negate)
            out = [a + b for a in out for b in alts]
            if len(out) > MAX_DNF:
                raise DnfTooLarge(f"more than {MAX_DNF} alternatives")
        return out
    res: list[list[Test]] = []
    for p in c.parts:
        res.extend(to_dnf(p, negate))
        if len(res) > MAX_DNF:
            raise DnfTooLarge(f"more than {MAX_DNF} alternatives")
    return res
