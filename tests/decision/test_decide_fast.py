"""The decision stage's shortcuts keep its output valid and independent of what it shares.

``decide`` builds output objects without validation (:func:`accountrules.models.trusted`) and
shares immutable objects (reasons, item outcomes, influences) between evaluations. These tests pin
what that must not change: every recommendation validates against the contract's models, equals
its own validated round trip, and does not depend on what earlier evaluations left in the caches.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from accountrules import Engine, load_rulebook
from accountrules import models as m
from accountrules.intake import read_case_file
from accountrules.render import to_json
from accountrules.testing import cases

from ..conftest import EXAMPLE, ROOT

BOOK = load_rulebook()


def _fresh(rec_case: m.Case, lang: str, detail: str) -> str:
    """The same evaluation by a new engine (empty caches)."""
    return to_json(Engine(BOOK, backend="python").evaluate(rec_case, lang=lang, detail=detail))


def test_trusted_equals_validated() -> None:
    kw = {"item": "P2", "responsibility": "direct", "grade": "G2", "level": "talk", "rank": 3}
    fast = m.trusted(m.ItemOutcome, **kw)
    slow = m.ItemOutcome(**kw)
    assert fast == slow
    assert fast.exempted_by is None  # the default of a field not given
    assert fast.model_dump_json() == slow.model_dump_json()
    with pytest.raises(ValidationError):  # still frozen
        fast.rank = 4  # type: ignore[misc]


def test_trusted_fills_factories_per_object() -> None:
    a = m.trusted(m.Considered, code="EX1", applied=False, effect="exempt", why="x")
    b = m.trusted(m.Considered, code="EX1", applied=False, effect="exempt", why="x")
    assert a.reasons == [] and a.reasons is not b.reasons


def _round_trip(rec: m.Recommendation) -> None:
    again = m.Recommendation.model_validate_json(rec.model_dump_json())
    assert again == rec
    assert again.model_dump_json() == rec.model_dump_json()


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.name)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_examples_validate(path, lang, py_engine) -> None:
    rec = py_engine.evaluate(read_case_file(path), lang=lang)
    _round_trip(rec)


@settings(max_examples=60, deadline=None)
@given(case=cases(BOOK, max_persons=4, max_findings=3), lang=st.sampled_from(["zh", "en"]),
       detail=st.sampled_from(["full", "compact"]))
def test_generated_recommendations_validate_and_do_not_depend_on_caches(case, lang, detail, py_engine) -> None:
    rec = py_engine.evaluate(case, lang=lang, detail=detail)
    _round_trip(rec)
    # the long-lived engine (caches warm from every earlier example) and a new one agree byte for byte
    assert to_json(rec) == _fresh(case, lang, detail)


def test_example_twice_is_identical(py_engine) -> None:
    case = read_case_file(EXAMPLE)
    first = to_json(py_engine.evaluate(case))
    for _ in range(3):
        assert to_json(py_engine.evaluate(case)) == first


def test_trusted_keeps_declaration_order() -> None:
    # pydantic writes fields in the order of the instance's __dict__: trusted must not follow the caller's
    fast = m.trusted(m.ItemOutcome, rank=3, level="talk", grade="G2", responsibility="direct", item="P2",
                     exempted_by=None)
    assert list(fast.__dict__) == list(m.ItemOutcome.model_fields)
    assert fast.model_dump_json() == m.ItemOutcome(item="P2", responsibility="direct", grade="G2", level="talk",
                                                   rank=3).model_dump_json()


def test_repeated_cases_add_nothing_to_any_cache() -> None:
    """Memory stays flat over a long batch: once a set of cases has been seen, evaluating and
    rendering them again must not grow the reason cache, the shared objects or the JSON writer's
    identity caches (an object made afresh per evaluation must never be cached by identity)."""
    from accountrules import jsonout
    from accountrules.casefile import find_case_files, load_cases
    from accountrules.intake import parse_case
    from accountrules.render import to_jsonl

    engine = Engine(BOOK, backend="python")
    pool = [read_case_file(p) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    for path in find_case_files(ROOT / "rules"):
        for rc in load_cases(path):
            if not rc.policy and "error" not in rc.expect:
                pool.append(parse_case(rc.data))
    assert len(pool) > 100

    def sizes() -> tuple[int, ...]:
        rc = engine.reason_cache
        return (len(rc.reasons), sum(map(len, rc.by_lang.values())), len(engine.prepared.shared),
                jsonout._count[0])

    def run() -> None:
        for case in pool:
            for lang in ("zh", "en"):
                rec = engine.evaluate(case, lang=lang)
                to_json(rec)
                to_jsonl(rec)

    jsonout.clear_caches()
    run()
    first = sizes()
    run()
    run()
    assert sizes() == first
