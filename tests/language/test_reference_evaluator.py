"""``language.conditions.holds`` is the one reference evaluator of conditions; every other one is
tested against it here, on the very facts the decision asks about.

For generated cases on the bundled rulebook, every ``(stage, facts)`` batch ``decide`` hands its
matcher is recorded; for each fact, the rules whose condition ``holds`` must be exactly

* the rules whose compiled closure (``compile_predicate``) is true,
* what the generated python matcher returns,
* what durable-rules returns through the durable translation,

and for every rule that holds, lint's symbolic reasoner must not find the normal-form alternative
the facts satisfy unsatisfiable (the reasoner is sound: it never calls a condition impossible that
real facts meet).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from accountrules import Engine
from accountrules.authoring.lint import Reasoner
from accountrules.language.conditions import compile_predicate, holds, to_dnf
from accountrules.language.conditions import test_holds as holds_test
from accountrules.matching.protocol import Backend, FactBatch
from accountrules.rules import Rulebook

from ..conftest import ROOT, requires_durable


class Recording:
    """A matcher that records every batch and answers with the reference evaluator."""

    backend: Backend = "python"

    def __init__(self, book: Rulebook) -> None:
        self.book = book
        self.batches: list[tuple[str, Mapping[str, Any]]] = []

    def match(self, batch: FactBatch) -> list[list[int]]:
        self.batches.extend(batch)
        return [[e.order for e in self.book.rules if e.stage == stage and holds(e.cond, facts)]
                for stage, facts in batch]


@pytest.fixture(scope="module")
def facts_asked(default_book: Rulebook) -> list[tuple[str, Mapping[str, Any]]]:
    spec = importlib.util.spec_from_file_location("_bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    engine = Engine(default_book, backend="python")
    recording = Recording(default_book)
    engine.matcher = recording
    for case in bench.generate_cases(default_book, 120, 11):
        engine.evaluate(case)
    assert len(recording.batches) > 1000
    return recording.batches


def _reference(book: Rulebook, batch: Sequence[tuple[str, Mapping[str, Any]]]) -> list[list[int]]:
    return [[e.order for e in book.rules if e.stage == stage and holds(e.cond, facts)] for stage, facts in batch]


def test_every_stage_and_many_rules_are_exercised(default_book: Rulebook,
                                                  facts_asked: list[tuple[str, Mapping[str, Any]]]) -> None:
    assert {stage for stage, _ in facts_asked} == {"case", "pf", "person", "outcome"}
    fired = {i for hits in _reference(default_book, facts_asked) for i in hits}
    assert len(fired) > len(default_book.rules) // 2  # not a vacuous comparison


def test_compiled_closures_agree_with_the_reference(default_book: Rulebook,
                                                    facts_asked: list[tuple[str, Mapping[str, Any]]]) -> None:
    predicates = [compile_predicate(e.cond) for e in default_book.rules]
    got = [[e.order for e in default_book.rules if e.stage == stage and predicates[e.order](facts)]
           for stage, facts in facts_asked]
    assert got == _reference(default_book, facts_asked)


@pytest.mark.parametrize("backend", ["python", pytest.param("durable", marks=requires_durable)])
def test_matchers_agree_with_the_reference(backend: Backend, engine: Engine, py_engine: Engine,
                                           default_book: Rulebook,
                                           facts_asked: list[tuple[str, Mapping[str, Any]]]) -> None:
    matcher = (py_engine if backend == "python" else engine).matcher
    chunks = [facts_asked[i:i + 50] for i in range(0, len(facts_asked), 50)]
    got = [hits for chunk in chunks for hits in matcher.match(chunk)]
    assert got == _reference(default_book, facts_asked)


def test_lint_reasoner_never_refutes_what_facts_satisfy(default_book: Rulebook,
                                                        facts_asked: list[tuple[str, Mapping[str, Any]]]) -> None:
    reasoner = Reasoner(default_book)
    dnf = {e.order: to_dnf(e.cond) for e in default_book.rules}
    checked: set[tuple[int, int]] = set()
    for stage, facts in facts_asked[::7]:
        for e in default_book.rules:
            if e.stage != stage or not holds(e.cond, facts):
                continue
            for k, alt in enumerate(dnf[e.order]):
                if (e.order, k) not in checked and all(holds_test(t, facts) for t in alt):
                    checked.add((e.order, k))
                    assert reasoner.check_in_stage(alt, stage) is None, (e.id, alt)
    assert len(checked) > 50
