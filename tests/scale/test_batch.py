"""Batches over processes (accountrules.batch) and the rulebook cache (accountrules.cache)."""

from __future__ import annotations

import copy
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from accountrules import Engine, InvalidCase, load_rulebook
from accountrules import cache as cache_mod
from accountrules.batch import evaluate_jsonl, evaluate_many, evaluate_many_json
from accountrules.cache import load_rulebook_cached, rulebook_key
from accountrules.render import to_json, to_jsonl

from ..conftest import requires_durable

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"

BASE: dict[str, Any] = {
    "case": {"id": "C0", "origin": "reconsideration", "outcome": "revoked", "effective": True,
             "act_type": "penalty", "agency": {"name": "某县市场监督管理局", "level": "county", "field": "market"},
             "findings": [{"item": "P2", "persons": ["p1"]}]},
    "persons": [{"id": "p1", "role": "handler", "fault": "ordinary_negligence"},
                {"id": "p2", "role": "reviewer", "fault": "none", "conduct": ["failed_to_detect"],
                 "circumstances": ["EX5"]}],
}


def _cases(n: int) -> list[dict[str, Any]]:
    """Varied valid cases for the mini rulebook."""
    out = []
    for i in range(n):
        c = copy.deepcopy(BASE)
        c["case"]["id"] = f"C{i}"
        c["case"]["effective"] = i % 5 != 4
        c["case"]["outcome"] = ("revoked", "varied", "upheld")[i % 3]
        c["case"]["consequences"] = {"economic_loss_yuan": 150000 if i % 2 else 0}
        if i % 4 == 1:
            c["persons"][0]["circumstances"] = ["AG2"]
        if i % 4 == 2:
            c["persons"][0]["fault"] = "intentional"
            c["persons"][0]["circumstances"] = ["MT7"]
        out.append(c)
    return out


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_rulebook(MINI), backend="python")


# --------------------------------------------------------------------------- evaluate_many


def test_evaluate_many_two_workers_equals_in_process(engine: Engine) -> None:
    cases = _cases(13)
    expected = [engine.evaluate(c) for c in cases]
    got = evaluate_many(cases, engine=engine, workers=2, chunksize=3)
    assert [r.case_id for r in got] == [c["case"]["id"] for c in cases]
    assert got == expected
    assert [to_json(r) for r in got] == [to_json(r) for r in expected]


def test_evaluate_many_from_a_rulebook_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOUNTRULES_CACHE_DIR", str(tmp_path / "cache"))
    cases = _cases(5)
    one = evaluate_many(cases, rulebook_dir=MINI, workers=1)
    two = evaluate_many(cases, rulebook_dir=MINI, workers=2, chunksize=2)
    assert one == two
    assert all(r.engine.backend == "python" for r in one)


@requires_durable
def test_evaluate_many_durable_workers_agree(engine: Engine) -> None:
    cases = _cases(6)
    durable = Engine(engine.rulebook, backend="durable")
    got = evaluate_many(cases, engine=durable, workers=2, chunksize=2)
    assert [r.engine.backend for r in got] == ["durable"] * 6
    assert [to_json(r).replace('"durable"', '"python"') for r in got] == [to_json(engine.evaluate(c))
                                                                          for c in cases]


def test_evaluate_many_json_equals_to_json(engine: Engine) -> None:
    cases = _cases(7)
    expected = [to_json(engine.evaluate(c)) for c in cases]
    assert evaluate_many_json(cases, engine=engine, workers=2, chunksize=2) == expected
    assert evaluate_many_json(cases, engine=engine, workers=1) == expected
    compact = evaluate_many_json(cases, engine=engine, workers=2, compact=True)
    assert compact == [to_jsonl(engine.evaluate(c)) for c in cases]


def test_evaluate_many_raises_the_workers_error_with_its_diagnostics(engine: Engine) -> None:
    cases = _cases(4)
    cases[2]["case"]["findings"] = [{"item": "Q9", "persons": ["p1"]}]  # unknown item code
    with pytest.raises(InvalidCase) as info:
        evaluate_many(cases, engine=engine, workers=2, chunksize=1)
    (d,) = info.value.diagnostics
    assert d.code == "unknown-code"
    assert d.path == "case.findings[0].item"


def test_the_cyclic_gc_is_back_on_after_a_batch(engine: Engine) -> None:
    """Workers pause this process's cyclic GC while results are rebuilt; it must come back on,
    also when the batch fails — and stay off if it was off."""
    import gc

    cases = _cases(6)
    assert gc.isenabled()
    evaluate_many(cases, engine=engine, workers=2, chunksize=2)
    evaluate_many_json(cases, engine=engine, workers=2, chunksize=2)
    assert gc.isenabled()
    cases[3]["case"]["findings"] = [{"item": "Q9", "persons": ["p1"]}]
    with pytest.raises(InvalidCase):
        evaluate_many(cases, engine=engine, workers=2, chunksize=2)
    assert gc.isenabled()
    gc.disable()
    try:
        evaluate_many(_cases(4), engine=engine, workers=2, chunksize=2)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_evaluate_many_rejects_bad_arguments(engine: Engine) -> None:
    with pytest.raises(ValueError):
        evaluate_many([], engine=engine, workers=0)
    with pytest.raises(ValueError):
        evaluate_many([], engine=engine, lang="fr")


# --------------------------------------------------------------------------- evaluate_jsonl


def _batch_file(tmp_path: Path) -> Path:
    good, good2 = _cases(2)
    invalid = copy.deepcopy(BASE)
    invalid["persons"][0]["role"] = "janitor"
    unknown = copy.deepcopy(BASE)
    unknown["case"]["findings"][0]["item"] = "Q9"
    lines = [
        json.dumps(good, ensure_ascii=False),  # 1
        '{"case": {"id": "broken",',  # 2: not JSON
        json.dumps(invalid, ensure_ascii=False),  # 3: not a valid case
        "",  # 4: blank, skipped
        json.dumps(unknown, ensure_ascii=False),  # 5: unknown item code
        json.dumps(good2, ensure_ascii=False),  # 6
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("workers", [1, 2])
def test_evaluate_jsonl_writes_good_lines_and_reports_bad_ones(engine: Engine, tmp_path: Path,
                                                               workers: int) -> None:
    path = _batch_file(tmp_path)
    out = io.StringIO()
    problems = evaluate_jsonl(engine, path, lang="zh", workers=workers, out=out)
    written = out.getvalue().splitlines()
    good, good2 = _cases(2)
    assert written == [to_jsonl(engine.evaluate(good)), to_jsonl(engine.evaluate(good2))]
    where = sorted({d.path for d in problems})
    assert where == [f"{path}:2", f"{path}:3", f"{path}:5"]
    codes = {d.path: d.code for d in problems}
    assert codes[f"{path}:2"] == "json-syntax"
    assert codes[f"{path}:3"] == "bad-value"
    assert codes[f"{path}:5"] == "unknown-code"
    assert all(d.span is None for d in problems)
    assert any("persons[0].role" in d.message for d in problems if d.path == f"{path}:3")


def test_evaluate_jsonl_binary_sink_gets_the_same_bytes(engine: Engine, tmp_path: Path) -> None:
    path = _batch_file(tmp_path)
    text = io.StringIO()
    evaluate_jsonl(engine, path, workers=1, out=text)
    raw = io.BytesIO()
    sink = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
    sink.write("before\n")
    problems = evaluate_jsonl(engine, path, workers=2, out=sink)
    assert len(problems) == 3
    assert raw.getvalue().decode("utf-8") == "before\n" + text.getvalue()


@pytest.mark.parametrize("chunksize", [1, 2, 64])
def test_evaluate_jsonl_workers_agree_with_one_process_across_chunk_boundaries(engine: Engine, tmp_path: Path,
                                                                                chunksize: int) -> None:
    # CRLF endings, blank and whitespace-only lines, and no newline at the end: line numbers and
    # output must not depend on how the file is cut into runs for the workers
    good, good2 = _cases(2)
    lines = ["", json.dumps(good, ensure_ascii=False), "  ", "{broken", "", json.dumps(good2, ensure_ascii=False),
             json.dumps(good, ensure_ascii=False)]
    path = tmp_path / "crlf.jsonl"
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    one, two = io.StringIO(), io.StringIO()
    p1 = evaluate_jsonl(engine, path, workers=1, out=one)
    p2 = evaluate_jsonl(engine, path, workers=2, out=two, chunksize=chunksize)
    assert one.getvalue() == two.getvalue()
    assert len(one.getvalue().splitlines()) == 3
    assert [(d.path, d.code) for d in p1] == [(d.path, d.code) for d in p2] == [(f"{path}:4", "json-syntax")]


@pytest.mark.parametrize("workers", [1, 2])
def test_evaluate_jsonl_stops_at_the_first_line_that_is_not_utf8(engine: Engine, tmp_path: Path,
                                                                  workers: int) -> None:
    good, good2 = _cases(2)
    data = (json.dumps(good, ensure_ascii=False) + "\n").encode("utf-8") * 3
    data += b'{"case": "\xff\xfe"}\n' + (json.dumps(good2, ensure_ascii=False) + "\n").encode("utf-8") * 3
    path = tmp_path / "latin.jsonl"
    path.write_bytes(data)
    out = io.StringIO()
    problems = evaluate_jsonl(engine, path, workers=workers, out=out, chunksize=2)
    assert len(out.getvalue().splitlines()) == 3  # the lines before the bad one, nothing after
    assert [(d.code, d.path) for d in problems] == [("bad-encoding", f"{path}:4")]
    assert "line 4 is not UTF-8" in problems[0].message


def test_evaluate_jsonl_missing_file(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(InvalidCase):
        evaluate_jsonl(engine, tmp_path / "nope.jsonl", out=io.StringIO())


# --------------------------------------------------------------------------- the rulebook cache


def test_cache_round_trip(tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    where = tmp_path / "cache"
    first = load_rulebook_cached(MINI, cache_dir=where)
    entries = list(where.glob("rulebook-*.pickle"))
    assert len(entries) == 1

    def no_load(*a: Any, **k: Any) -> None:
        raise AssertionError("the second load must come from the cache")

    monkeypatch.setattr(cache_mod, "load_rulebook", no_load)
    second = load_rulebook_cached(MINI, cache_dir=where)
    assert second is not first
    assert second.sha256 == first.sha256 == engine.rulebook.sha256
    # pydantic private attributes (source spans) survive pickling
    assert [e.rule.span for e in second.rules] == [e.rule.span for e in engine.rulebook.rules]
    assert second.rules[0].rule.span is not None
    assert second.items["P2"].span == engine.rulebook.items["P2"].span
    cached_engine = Engine(second, backend="python")
    for c in _cases(6):
        assert to_json(cached_engine.evaluate(c)) == to_json(engine.evaluate(c))


def test_changed_rule_file_invalidates_the_cache(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    where = tmp_path / "cache"
    before = load_rulebook_cached(book, cache_dir=where)
    key = rulebook_key(book)
    text = (book / "book.yaml").read_text(encoding="utf-8")
    (book / "book.yaml").write_text(text.replace("title: {zh: 复议纠错, en: reconsideration corrected}",
                                                 "title: {zh: 复议纠错, en: corrected on reconsideration}"),
                                    encoding="utf-8")
    assert rulebook_key(book) != key
    after = load_rulebook_cached(book, cache_dir=where)
    assert after.sha256 != before.sha256
    assert after.by_id["T3-reconsideration"].rule.title.en == "corrected on reconsideration"
    assert len(list(where.glob("rulebook-*.pickle"))) == 2


def test_changed_law_text_invalidates_the_cache(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    key = rulebook_key(book)
    law = next((book / "law").iterdir())
    law.write_text(law.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert rulebook_key(book) != key


def test_corrupt_or_foreign_entry_is_ignored(tmp_path: Path) -> None:
    where = tmp_path / "cache"
    good = load_rulebook_cached(MINI, cache_dir=where)
    (entry,) = where.glob("rulebook-*.pickle")
    blob = entry.read_bytes()
    entry.write_bytes(blob[:-10] + b"0123456789")  # payload no longer matches its digest
    again = load_rulebook_cached(MINI, cache_dir=where)
    assert again.sha256 == good.sha256
    assert entry.read_bytes() == blob  # rewritten
    key = rulebook_key(MINI)
    assert key is not None
    assert cache_mod._read(entry, "0" * 64) is None  # an entry for another key is never unpickled


def test_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    book = load_rulebook_cached(MINI, cache_dir=blocker / "cache")
    assert book.manifest.id == "mini"


def test_evaluate_many_with_spawned_workers(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where processes are spawned (macOS, Windows), chunks travel as lists of cases and each
    worker builds its engine from the pickled rulebook: the results are the same."""
    import multiprocessing

    from accountrules import batch

    monkeypatch.setattr(batch, "_mp_context", lambda: multiprocessing.get_context("spawn"))
    cases = _cases(11)
    assert evaluate_many(cases, engine=engine, workers=2) == [engine.evaluate(c) for c in cases]
    assert evaluate_many_json(cases, engine=engine, workers=2, compact=True) == [
        to_jsonl(engine.evaluate(c)) for c in cases]


def test_guided_chunks_cover_every_case_once() -> None:
    from accountrules.batch import _spans

    for n in (0, 1, 7, 8, 9, 100, 6000):
        for workers in (1, 2, 3):
            spans = _spans(n, workers, None)
            assert [i for a, b in spans for i in range(a, b)] == list(range(n))
            assert all(b - a <= 128 for a, b in spans)
            if len(spans) > 2:  # they shrink towards the end
                assert spans[-2][1] - spans[-2][0] <= spans[0][1] - spans[0][0]
        assert _spans(n, 2, 5) == [(i, min(n, i + 5)) for i in range(0, n, 5)]
