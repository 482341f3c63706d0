"""The python backend's generated matcher (issue #6): exactly the rules ``conditions.holds`` finds.

* properties: on facts built by the engine's own pipeline from generated cases, and on fact dicts
  drawn from every stage's fact vocabulary (then steered, rule by rule, to make each test hold or
  fail), the generated matcher returns exactly the rules whose condition holds — for the default
  rulebook and ``tests/fixtures/mini``;
* the generated source holds no text of the rulebook: no string literal, only generated names;
* every operator, ``all``/``any``/``not`` nesting, empty lists, deep nesting, on tiny conditions.
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import tokenize
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountrules import Engine, conditions, load_rulebook
from accountrules.conditions import TRUE, All, AnyOf, Cond, Not, holds
from accountrules.conditions import Test as Leaf  # (not collected by pytest as a test class)
from accountrules.engine import PythonMatcher
from accountrules.facts import FACTS, STAGES
from accountrules.rules import Rulebook
from accountrules.rules.codegen import INLINE_VALUES, MAX_DEPTH, compile_stage, generate, stage_sources
from accountrules.rules.compile import compile_rulebook
from accountrules.testing import cases

from ..conftest import MINI

# the same budget as tests/test_properties.py's profiles (accountrules-ci by default)
_DEV = os.environ.get("ACCOUNTRULES_HYPOTHESIS_PROFILE") == "accountrules-dev"
SETTINGS = settings(max_examples=400 if _DEV else 60, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
FACT_SETTINGS = settings(SETTINGS, max_examples=400 if _DEV else 80)

BOOKS: dict[str, Rulebook] = {}


def book(name: str) -> Rulebook:
    if name not in BOOKS:
        BOOKS[name] = load_rulebook(MINI) if name == "mini" else load_rulebook()
    return BOOKS[name]


def expected(rb: Rulebook, stage: str, facts: Mapping[str, Any]) -> list[int]:
    """The reference: every rule of the stage, evaluated by ``conditions.holds``."""
    return [e.order for e in rb.rules if e.stage == stage and holds(e.cond, facts)]


# --------------------------------------------------------------------------- facts from the vocabulary


CONSTANTS: dict[int, dict[str, list[Any]]] = {}


def _constants(rb: Rulebook) -> dict[str, list[Any]]:
    """Per fact path, every value a rule compares it with (so generated facts hit the guards)."""
    if id(rb) not in CONSTANTS:
        out: dict[str, list[Any]] = {}
        for e in rb.rules:
            for t in conditions.tests_of(e.cond):
                for v in t.value if isinstance(t.value, list) else [t.value]:
                    if v not in out.setdefault(t.path, []):
                        out[t.path].append(v)
        CONSTANTS[id(rb)] = out
    return CONSTANTS[id(rb)]


def _pool(path: str, rb: Rulebook, consts: Mapping[str, list[Any]]) -> list[Any]:
    """Values (list facts: elements) worth drawing for a fact: its vocabulary, what rules compare it
    with (and next to it, for numbers), and one value no rule names."""
    spec = FACTS[path]
    used = consts.get(path, [])
    if spec.type == "bool":
        return [False, True]
    if spec.type in ("int", "number"):
        near = sorted({n + d for n in used for d in (-1, 0, 1)} | {0, 1, 2, 3})
        return near + [n + 0.5 for n in near] if spec.type == "number" else near
    return list(dict.fromkeys([*(spec.vocabulary(rb.vocabs) or ()), *used, "zz_unknown"]))


def _value(path: str, rb: Rulebook, consts: Mapping[str, list[Any]]) -> st.SearchStrategy[Any]:
    spec = FACTS[path]
    pool = st.sampled_from(_pool(path, rb, consts))
    if spec.type in ("int", "number"):
        return st.one_of(pool, st.integers(-3, 2_000_000))
    if spec.type == "list":
        # empty lists often; duplicates allowed (the matcher must not care)
        return st.one_of(st.just([]), st.lists(pool, min_size=1, max_size=5))
    return pool


def stage_facts(rb: Rulebook, stage: str) -> st.SearchStrategy[dict[str, Any]]:
    consts = _constants(rb)
    return st.fixed_dictionaries({p: _value(p, rb, consts) for p, s in FACTS.items() if stage in s.stages})


def _steer(t: Leaf, facts: dict[str, Any], want: bool, pool: list[Any], rnd: random.Random) -> None:
    """Change ``facts`` so that test ``t`` holds (``want``) or fails — when some value can do it."""
    op, v, a = t.op, t.value, facts[t.path]
    if op in ("lt", "le", "gt", "ge"):  # the boundary, either side (whether it holds is checked after)
        near = [v - 1, v, v + 1] + ([v - 0.5, v + 0.5] if FACTS[t.path].type == "number" else [])
        facts[t.path] = rnd.choice(near)
        return
    if op in ("ne", "not_in", "excludes", "contains_none"):
        want, op = not want, {"ne": "eq", "not_in": "in", "excludes": "contains", "contains_none": "contains_any"}[op]
    vs = v if isinstance(v, list) else [v]
    if op in ("eq", "in"):
        choices = vs if want else [x for x in pool if x not in vs]
        if choices:
            facts[t.path] = rnd.choice(choices)
    elif want:  # contains / contains_any: add one of the values, somewhere
        new = [*a, rnd.choice(vs)]
        rnd.shuffle(new)
        facts[t.path] = new
    else:
        facts[t.path] = [x for x in a if x not in vs]


def steered(rb: Rulebook, stage: str, base: Mapping[str, Any], seed: int) -> list[dict[str, Any]]:
    """For each rule of the stage, ``base`` with the rule's tests each made to hold, made to fail or
    left alone at random: deep conjunctions are reached, and every operator is seen both ways."""
    consts = _constants(rb)
    out = []
    for e in rb.rules:
        if e.stage != stage:
            continue
        rnd = random.Random(seed * 100_003 + e.order)
        facts = dict(base)
        for t in conditions.tests_of(e.cond):
            how = rnd.choice(("hold", "hold", "fail", "keep"))
            if how != "keep":
                _steer(t, facts, how == "hold", _pool(t.path, rb, consts), rnd)
        out.append(facts)
    return out


def stage_and_facts(rb: Rulebook) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    stages = [s for s in STAGES if any(e.stage == s for e in rb.rules)]
    return st.sampled_from(stages).flatmap(lambda s: st.tuples(st.just(s), stage_facts(rb, s)))


MATCHERS: dict[str, PythonMatcher] = {}


def matcher(name: str) -> PythonMatcher:
    if name not in MATCHERS:
        MATCHERS[name] = PythonMatcher(compile_rulebook(book(name)))
    return MATCHERS[name]


@pytest.mark.parametrize("name", ["mini", "default"])
def test_vocabulary_facts_match_exactly_the_rules_that_hold(name: str) -> None:
    rb = book(name)
    m = matcher(name)
    idx = compile_rulebook(rb).indexes

    @FACT_SETTINGS
    @given(stage_and_facts(rb), st.integers(0, 2**32))
    def check(drawn: tuple[str, dict[str, Any]], seed: int) -> None:
        stage, base = drawn
        for facts in [base, *steered(rb, stage, base, seed)]:
            want = expected(rb, stage, facts)
            assert m.match([(stage, facts)]) == [want], facts
            # the closure index (the bench's reference) agrees too
            assert [i for i, pred in idx[stage].candidates(facts) if pred(facts)] == want

    check()


@pytest.mark.parametrize("name", ["mini", "default"])
def test_pipeline_facts_match_exactly_the_rules_that_hold(name: str) -> None:
    """Every fact the engine builds from generated cases, at every stage it reaches."""
    rb = book(name)
    engine = Engine(rb, backend="python")
    inner = engine.matcher
    seen: set[str] = set()

    class Checking:
        backend = "python"

        def match(self, batch: Any) -> list[list[int]]:
            got = inner.match(batch)
            for (stage, facts), hit in zip(batch, got, strict=True):
                seen.add(stage)
                assert hit == expected(rb, stage, facts), (stage, dict(facts))
            return got

    engine.matcher = Checking()

    @SETTINGS
    @given(cases(rb, error_bias=True))
    def check(case: Any) -> None:
        engine.evaluate(case)

    check()
    assert seen == set(STAGES)


def test_batches_keep_their_order_and_stages() -> None:
    rb = book("default")
    consts = _constants(rb)
    rnd = random.Random(6)
    batch = []
    for stage in ("outcome", "pf", "case", "pf", "person", "pf"):
        base = {}
        for p, spec in FACTS.items():
            if stage in spec.stages:
                pool = _pool(p, rb, consts)
                base[p] = rnd.sample(pool, min(3, len(pool))) if spec.type == "list" else rnd.choice(pool)
        batch.extend((stage, f) for f in steered(rb, stage, base, rnd.randrange(1000)))
    got = matcher("default").match(batch)
    assert got == [expected(rb, s, f) for s, f in batch]
    assert sum(map(len, got)) > len(batch)  # not vacuous: many rules match
    assert matcher("default").match([]) == []


# --------------------------------------------------------------------------- no rulebook text in the source

_NAMES = re.compile(r"[kbtpx]\d+")
_WORDS = {"def", "if", "elif", "for", "in", "not", "and", "or", "is", "None", "True", "False", "return",
          "f", "r", "ap", "g", "v", "m", "len", "sorted", "set", "isdisjoint", "append", "get"}


def _assert_generated_only(source: str) -> None:
    assert not set(source) & set("'\"#\\"), "a quote, comment or escape in the generated source"
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING:  # pragma: no cover - the check above catches quotes first
            pytest.fail(f"string literal in the generated source: {tok.string}")
        if tok.type == tokenize.NAME:
            assert tok.string in _WORDS or _NAMES.fullmatch(tok.string), tok.string
        if tok.type == tokenize.NUMBER:
            assert tok.string.isdigit(), tok.string  # only rule indexes; every constant is a kN name


@pytest.mark.parametrize("name", ["mini", "default"])
def test_generated_source_holds_no_rulebook_text(name: str) -> None:
    sources = stage_sources(book(name))
    assert set(sources) == set(STAGES)
    for source in sources.values():
        _assert_generated_only(source)
    assert "def m(f):" in sources["pf" if name == "default" else "case"]


HOSTILE = ("x'); import os; os.system('false') #", '"""', "\\", "a\nb", "{k0}", "__import__")


def test_hostile_strings_stay_constants(tmp_path: Path) -> None:
    """Values a naive generator would splice into code: they stay data, and still match."""
    d = tmp_path / "book"
    shutil.copytree(MINI, d)
    text = (d / "book.yaml").read_text(encoding="utf-8")
    rule = ("  - id: hostile\n    title: {zh: 怪, en: hostile}\n"
            "    when: {any: [{fact: case.agency.field, eq: %s}, {fact: case.agency.field, in: [%s]}]}\n"
            "    then: {track: key}\n    citations: [{instrument: S09, article: 第七十六条}]\n")
    quoted = [_yaml_str(s) for s in HOSTILE]
    (d / "book.yaml").write_text(text + rule % (quoted[0], ", ".join(quoted[1:])), encoding="utf-8")
    rb = load_rulebook(d)
    hostile = next(e for e in rb.rules if e.id == "hostile")
    for source in stage_sources(rb).values():
        _assert_generated_only(source)
    gm = generate(rb)
    base = {p: False for p, s in FACTS.items() if "outcome" in s.stages}
    base.update({"outcome.status": "pending", "outcome.definition": "", "outcome.items": [],
                 "outcome.categories": [], "case.grounds": [], "case.items": [], "case.categories": []})
    for value in (*HOSTILE, "natural_resources"):
        facts = {**base, "case.agency.field": value}
        got = gm.match("outcome", facts)
        assert got == expected(rb, "outcome", facts)
        assert (hostile.order in got) == (value in HOSTILE)


def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# --------------------------------------------------------------------------- every operator, by hand

STAGE = "case"
BASE: dict[str, Any] = {
    "case.origin": "court", "case.effective": True, "case.history.series_cases": 2,
    "case.consequences.economic_loss_yuan": 100_000, "case.grounds": [], "case.items": [],
}
ORIGIN = "case.origin"
SERIES = "case.history.series_cases"
LOSS = "case.consequences.economic_loss_yuan"
GROUNDS = "case.grounds"

# (condition, [(facts overriding BASE, expected result), …]): each operator both ways
CASES: list[tuple[Cond, list[tuple[dict[str, Any], bool]]]] = [
    (Leaf(ORIGIN, "eq", "court"), [({ORIGIN: "court"}, True), ({ORIGIN: "supervision"}, False)]),
    (Leaf(ORIGIN, "ne", "court"), [({ORIGIN: "court"}, False), ({ORIGIN: "supervision"}, True)]),
    (Leaf(ORIGIN, "in", ["court", "supervision"]),
     [({ORIGIN: "court"}, True), ({ORIGIN: "supervision"}, True), ({ORIGIN: "reconsideration"}, False)]),
    (Leaf(ORIGIN, "not_in", ["court", "supervision"]),
     [({ORIGIN: "court"}, False), ({ORIGIN: "reconsideration"}, True)]),
    (Leaf("case.effective", "eq", True), [({"case.effective": True}, True), ({"case.effective": False}, False)]),
    (Leaf("case.effective", "eq", False), [({"case.effective": True}, False), ({"case.effective": False}, True)]),
    (Leaf(SERIES, "lt", 2), [({SERIES: 1}, True), ({SERIES: 2}, False), ({SERIES: 3}, False)]),
    (Leaf(SERIES, "le", 2), [({SERIES: 1}, True), ({SERIES: 2}, True), ({SERIES: 3}, False)]),
    (Leaf(SERIES, "gt", 2), [({SERIES: 1}, False), ({SERIES: 2}, False), ({SERIES: 3}, True)]),
    (Leaf(SERIES, "ge", 2), [({SERIES: 1}, False), ({SERIES: 2}, True), ({SERIES: 3}, True)]),
    (Leaf(SERIES, "eq", 2), [({SERIES: 2}, True), ({SERIES: 3}, False)]),
    (Leaf(SERIES, "in", [0, 2]), [({SERIES: 2}, True), ({SERIES: 1}, False)]),
    (Leaf(LOSS, "ge", 100_000), [({LOSS: 99_999.5}, False), ({LOSS: 100_000}, True), ({LOSS: 100_000.5}, True)]),
    (Leaf(GROUNDS, "contains", "void"),
     [({GROUNDS: []}, False), ({GROUNDS: ["void"]}, True), ({GROUNDS: ["wrong_law"]}, False),
      ({GROUNDS: ["void", "wrong_law"]}, True), ({GROUNDS: ["void", "void"]}, True)]),
    (Leaf(GROUNDS, "excludes", "void"),
     [({GROUNDS: []}, True), ({GROUNDS: ["void"]}, False), ({GROUNDS: ["wrong_law"]}, True)]),
    (Leaf(GROUNDS, "contains_any", ["void", "wrong_law"]),
     [({GROUNDS: []}, False), ({GROUNDS: ["void"]}, True), ({GROUNDS: ["wrong_law", "void"]}, True),
      ({GROUNDS: ["ultra_vires"]}, False)]),
    (Leaf(GROUNDS, "contains_none", ["void", "wrong_law"]),
     [({GROUNDS: []}, True), ({GROUNDS: ["void"]}, False), ({GROUNDS: ["ultra_vires"]}, True),
      ({GROUNDS: ["ultra_vires", "wrong_law"]}, False)]),
    (TRUE, [({}, True)]),
    (Not(TRUE), [({}, False)]),
    (All((TRUE,)), [({}, True)]),
    (All((Leaf(ORIGIN, "eq", "court"), AnyOf((Leaf(GROUNDS, "contains", "void"), Not(Leaf(SERIES, "ge", 2)))))),
     [({ORIGIN: "court", GROUNDS: ["void"], SERIES: 5}, True), ({ORIGIN: "court", GROUNDS: [], SERIES: 1}, True),
      ({ORIGIN: "court", GROUNDS: [], SERIES: 2}, False), ({ORIGIN: "supervision", GROUNDS: ["void"]}, False)]),
    (AnyOf((Leaf(GROUNDS, "contains", "void"), All((Leaf(ORIGIN, "ne", "court"), Leaf(SERIES, "lt", 1))))),
     [({GROUNDS: ["void"]}, True), ({GROUNDS: [], ORIGIN: "supervision", SERIES: 0}, True),
      ({GROUNDS: [], ORIGIN: "court", SERIES: 0}, False), ({GROUNDS: [], ORIGIN: "supervision", SERIES: 1}, False)]),
    (Not(All((Leaf(GROUNDS, "contains_any", ["void"]), Leaf(ORIGIN, "in", ["court"])))),
     [({GROUNDS: ["void"], ORIGIN: "court"}, False), ({GROUNDS: [], ORIGIN: "court"}, True),
      ({GROUNDS: ["void"], ORIGIN: "supervision"}, True)]),
    # the same fact read several times (fetched once into a local)
    (All((Leaf(SERIES, "ge", 1), Leaf(SERIES, "le", 3), Not(Leaf(SERIES, "eq", 2)))),
     [({SERIES: 1}, True), ({SERIES: 2}, False), ({SERIES: 3}, True), ({SERIES: 4}, False)]),
]


def _nested(depth: int) -> Cond:
    c: Cond = Leaf(SERIES, "ge", 2)
    for _ in range(depth):
        c = Not(Not(c))
    return c


# deeper than the generator inlines: the rule calls the compiled closure instead
DEEP = len(CASES)
CASES.append((All((Leaf(ORIGIN, "eq", "court"), _nested(MAX_DEPTH))),
              [({ORIGIN: "court", SERIES: 2}, True), ({ORIGIN: "court", SERIES: 1}, False),
               ({ORIGIN: "supervision", SERIES: 2}, False)]))
CASES.append((Not(_nested(MAX_DEPTH)), [({SERIES: 2}, False), ({SERIES: 1}, True)]))


def _positions(c: Cond) -> list[Cond]:
    """The condition alone (guarded when it can be), under a guard, and where no guard applies."""
    return [c, All((Leaf(ORIGIN, "in", ["court", "supervision"]), c)), AnyOf((c, Leaf(SERIES, "eq", -1)))]


@pytest.mark.parametrize("n", range(len(CASES)))
def test_each_operator_both_ways(n: int) -> None:
    cond, rows = CASES[n]
    variants = _positions(cond)
    source, fn = compile_stage(list(enumerate(variants)))
    for over, want in rows:
        facts = {**BASE, **over}
        assert holds(cond, facts) is want  # the hand-written expectation is the reference's
        assert fn(facts) == [i for i, v in enumerate(variants) if holds(v, facts)], (source, facts)
    _assert_generated_only(source)
    assert (re.search(r"p\d+\(f\)", source) is not None) == (n >= DEEP)


def test_many_values_use_a_table_and_few_are_inline() -> None:
    """Guards with more than INLINE_VALUES values go through a dict; results are the same."""
    origins = ["court", "procuratorate", "reconsideration", "supervision"]
    rules: list[tuple[int, Cond]] = []
    for i, o in enumerate(origins):
        rules.append((2 * i, Leaf(ORIGIN, "eq", o)))
        rules.append((2 * i + 1, All((Leaf(GROUNDS, "contains", "void"), Leaf(SERIES, "ge", i)))))
    rules.append((8, Leaf(GROUNDS, "contains_any", ["void", "wrong_law"])))
    source, fn = compile_stage(rules)
    assert len(origins) > INLINE_VALUES and ".get(" in source
    few_source, _ = compile_stage(rules[:2])
    assert ".get(" not in few_source
    for o in [*origins, "other"]:
        for grounds in ([], ["void"], ["void", "wrong_law"], ["wrong_law", "void", "void"]):
            for s in range(5):
                facts = {**BASE, ORIGIN: o, GROUNDS: grounds, SERIES: s}
                assert fn(facts) == [i for i, c in rules if holds(c, facts)]


def test_no_rules_match_nothing() -> None:
    source, fn = compile_stage([])
    assert fn(BASE) == []
    _assert_generated_only(source)
