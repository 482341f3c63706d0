"""The engine: threads, many evaluations, backends agree, no durable error escapes."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from accountrules import Case, Engine, Recommendation
from accountrules.intake import read_case_file
from accountrules.render import to_json

from .conftest import EXAMPLE, requires_durable


def _variants(n: int) -> list[Case]:
    base = read_case_file(EXAMPLE).model_dump(mode="json")
    rng = random.Random(7)
    faults = ["none", "ordinary_negligence", "gross_negligence", "intentional"]
    out = []
    for i in range(n):
        d: dict[str, Any] = {"case": dict(base["case"], id=f"V-{i}"), "persons": [dict(p) for p in base["persons"]]}
        d["persons"][0]["fault"] = rng.choice(faults)
        d["case"]["consequences"] = {"economic_loss_yuan": rng.choice([0, 100000, 2000000])}
        out.append(Case.model_validate(d))
    return out


def test_threads_match_single_threaded(engine: Engine) -> None:
    cases = _variants(50)
    expected = [to_json(engine.evaluate(c)) for c in cases]
    work = [cases[i % len(cases)] for i in range(8 * 1000)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda c: to_json(engine.evaluate(c)), work))
    for i, g in enumerate(got):
        assert g == expected[i % len(cases)]


def test_five_thousand_in_a_row_memory_flat(engine: Engine) -> None:
    """Memory blocks the interpreter holds (``sys.getallocatedblocks``, no tracing overhead) do not
    grow over 5,000 evaluations: a leak of even one small object per evaluation would add 5,000."""
    import gc
    import sys

    case = read_case_file(EXAMPLE)
    for _ in range(200):
        engine.evaluate(case)
    gc.collect()
    before = sys.getallocatedblocks()
    for _ in range(5000):
        rec = engine.evaluate(case)
    gc.collect()
    after = sys.getallocatedblocks()
    assert isinstance(rec, Recommendation)
    assert after - before < 2_000, (before, after)


@requires_durable
def test_backends_agree_on_variants(engine: Engine, py_engine: Engine) -> None:
    for c in _variants(200):
        a = to_json(engine.evaluate(c)).replace('"backend": "durable"', '"backend": "python"')
        assert a == to_json(py_engine.evaluate(c))


def test_two_engines_same_rulebook_coexist(default_book: Any) -> None:
    e1, e2 = Engine(default_book), Engine(default_book)
    case = read_case_file(EXAMPLE)
    assert to_json(e1.evaluate(case)) == to_json(e2.evaluate(case))


def test_english_reasons(engine: Engine) -> None:
    rec = engine.evaluate(read_case_file(EXAMPLE), lang="en")
    assert all(r.text and not any("\u4e00" <= ch <= "\u9fff" for ch in r.text[:3]) for r in rec.error_case.reasons)


def test_compact_detail_keeps_the_decision_and_primary_citation(engine: Engine) -> None:
    case = read_case_file(EXAMPLE)
    full, compact = engine.evaluate(case), engine.evaluate(case, detail="compact")
    assert [(p.id, p.level, p.rank) for p in full.persons] == [(p.id, p.level, p.rank) for p in compact.persons]
    for a, b in zip(full.error_case.reasons, compact.error_case.reasons, strict=True):
        assert (a.rule, a.citation.instrument, a.citation.article) == (b.rule, b.citation.instrument, b.citation.article)
        assert b.citation.quote is None and b.citations == []
    assert len(to_json(compact)) < len(to_json(full))


@requires_durable
def test_durable_fanout_limit_is_an_error_not_a_hang(tmp_path: Any) -> None:
    """durable's create_ruleset loops forever past 512 children of one node: we refuse first."""
    import shutil

    import pytest

    from accountrules import RuleFileError, load_rulebook

    from .conftest import MINI

    d = tmp_path / "wide"
    shutil.copytree(MINI, d)
    rules = "\n".join(
        f"  - id: wide{i}\n    title: {{zh: 宽, en: wide}}\n    when: {{fact: case.agency.field, eq: f{i}}}\n"
        f"    then: {{responsibility: direct}}\n    citations: [{{instrument: S09, article: 第七十六条}}]"
        for i in range(520))
    (d / "wide.yaml").write_text("chain:\n" + rules + "\n", encoding="utf-8")
    book = load_rulebook(d)
    Engine(book, backend="python")  # the python backend has no such limit
    with pytest.raises(RuleFileError) as ei:
        Engine(book, backend="durable")
    assert ei.value.diagnostics[0].code == "too-many-branches"


@requires_durable
def test_durable_actions_parsed_in_full_when_the_head_is_not_recognised(engine: Engine, py_engine: Engine,
                                                                         monkeypatch: Any) -> None:
    """The adapter reads an action's rule and fact from the message head; a message of any other
    shape is parsed in full — and must give the same matches."""
    import re

    import accountrules.matching.durable.matcher as eng_mod

    case = read_case_file(EXAMPLE)
    fast = to_json(engine.evaluate(case))
    monkeypatch.setattr(eng_mod, "_ACTION_HEAD", re.compile(r"(?!)"))  # never matches
    slow = to_json(engine.evaluate(case))
    assert slow == fast
    assert slow.replace('"durable"', '"python"') == to_json(py_engine.evaluate(case))
