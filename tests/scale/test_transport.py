"""Recommendations and their JSON from workers to the parent (accountrules.transport, issue #6).

What is decoded must be what was encoded — equal models with the same ``__dict__`` order and
fields set, the same JSON bytes — whatever the objects share, however chunks from several workers
interleave, and across epochs (the tables forgotten and rebuilt).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from accountrules import Engine, transport
from accountrules import models as m
from accountrules.batch import evaluate_many, evaluate_many_json
from accountrules.intake import read_case_file
from accountrules.render import json_pieces, to_json, to_jsonl
from accountrules.rules import Rulebook
from accountrules.transport import Decoder, Encoder, TextDecoder, TextEncoder

from ..conftest import ROOT

SETTINGS = settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _generated(book: Rulebook, n: int, seed: int) -> list[dict[str, Any]]:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return run.generate_cases(book, n, seed)  # type: ignore[no-any-return]


def _identical(a: Any, b: Any) -> None:
    """``b`` is ``a`` rebuilt: equal, and so is every nested model's key order and fields set."""
    assert type(a) is type(b)
    if isinstance(a, BaseModel):
        assert a == b
        assert list(a.__dict__) == list(b.__dict__)
        assert a.model_fields_set == b.model_fields_set
        assert a.model_dump_json(indent=2) == b.model_dump_json(indent=2)
        for k in a.__dict__:
            _identical(a.__dict__[k], b.__dict__[k])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _identical(x, y)
    else:
        assert a == b


@pytest.fixture(scope="module")
def recs(default_book: Rulebook, py_engine: Engine) -> list[m.Recommendation]:
    cases = [read_case_file(p) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    return [py_engine.evaluate(c) for c in cases] + [py_engine.evaluate(c) for c in _generated(default_book, 120, 3)]


# --------------------------------------------------------------------------- models


def test_real_recommendations_round_trip_and_shared_objects_travel_once(recs: list[m.Recommendation]) -> None:
    enc, dec = Encoder(), Decoder()
    first = enc.chunk(recs[:60])
    again = enc.chunk(recs[:60])  # the same objects: every shared one is a number now
    assert len(again) < len(first) / 3
    for payload in (first, again):
        for a, b in zip(recs[:60], dec.chunk(payload), strict=True):
            _identical(a, b)
    for a, b in zip(recs[60:], dec.chunk(enc.chunk(recs[60:])), strict=True):
        _identical(a, b)
    # what the engine shares, the parent shares too
    out = dec.chunk(enc.chunk(recs[:2]))
    assert out[0].rulebook is out[1].rulebook


def test_errors_and_other_values_pass_through(recs: list[m.Recommendation]) -> None:
    enc, dec = Encoder(), Decoder()
    packed = ("InvalidCase", [])
    out = dec.chunk(enc.chunk([recs[0], packed, None, recs[1]]))
    assert out[1] == packed and out[2] is None
    _identical(recs[0], out[0])
    _identical(recs[1], out[3])


class _Foreign(BaseModel):
    x: int


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_unusual_objects_travel_as_themselves() -> None:
    cit = m.Citation(instrument="I", article="A", version="V")
    reason = m.Reason(rule="r", text="t", citation=cit, source="s")
    reordered = m.ItemOutcome.model_construct(item="P1", responsibility="none", grade=None, level="L0", rank=0)
    object.__setattr__(reordered, "__dict__", dict(reversed(reordered.__dict__.items())))
    odd = [
        # keys in another order than the declared one (pydantic writes them in that order)
        reordered,
        # some fields unset
        m.trusted(m.Considered, code="AG1", applied=True, effect="aggravate", why="w"),
        # a list field holding something that is not a list, and a foreign model inside a list
        m.Situation.model_construct(item="P1", category="c", name="n", persons=["p1"], reasons=(reason,)),
        m.Review.model_construct(track="routine", reasons=[reason, _Foreign(x=1)]),
        # a model field holding a plain value
        m.Influence.model_construct(months=6, effects=[], verified=True, basis="not a reason"),
        # a key that is not a field, and a model outside the output classes
        m.Citation.model_construct(instrument="I", article="A", version="V", extra_key=1),
        _Foreign(x=2),
    ]
    enc, dec = Encoder(), Decoder()
    for a, b in zip(odd, dec.chunk(enc.chunk(odd)), strict=True):
        _identical(a, b)
    for a, b in zip(odd, dec.chunk(enc.chunk(odd)), strict=True):  # and again, shared
        _identical(a, b)


def test_epochs_keep_both_sides_in_step(recs: list[m.Recommendation]) -> None:
    enc, dec = Encoder(max_entries=7), Decoder()
    for i in range(0, 60, 6):
        for a, b in zip(recs[i:i + 6], dec.chunk(enc.chunk(recs[i:i + 6])), strict=True):
            _identical(a, b)
    assert enc.epoch > 3


@SETTINGS
@given(order=st.lists(st.sampled_from([0, 1, 2]), min_size=1, max_size=30), limit=st.sampled_from([3, 50, 10_000]))
def test_interleaved_workers(recs: list[m.Recommendation], order: list[int], limit: int) -> None:
    """Chunks of three workers, decoded in any interleaving that keeps each worker's own order
    (what the parent sees: each worker takes chunks in submission order)."""
    encoders = [Encoder(max_entries=limit) for _ in range(3)]
    dec = Decoder()
    position = [0, 0, 0]
    for w in order:
        start = (position[w] * 5 + 17 * w) % (len(recs) - 5)
        position[w] += 1
        chunk = recs[start:start + 5]
        for a, b in zip(chunk, dec.chunk(encoders[w].chunk(chunk)), strict=True):
            assert a == b and a.model_dump_json() == b.model_dump_json()


def test_encoded_chunk_is_plain_data(recs: list[m.Recommendation]) -> None:
    """The wire form holds no model (a payload that does would fail on a parent without them)."""
    payload = Encoder().chunk(recs[:20])
    assert b"accountrules.models" not in payload
    assert pickle.loads(payload)[2]


# --------------------------------------------------------------------------- JSON text


@pytest.mark.parametrize("compact", [False, True])
def test_text_round_trip(recs: list[m.Recommendation], compact: bool) -> None:
    render = to_jsonl if compact else to_json
    pieces = [json_pieces(r, compact=compact) for r in recs]
    enc, dec = TextEncoder(), TextDecoder()
    first = enc.chunk(pieces[:60])
    again = enc.chunk(pieces[:60])
    assert len(again) < len(first) / 3
    assert dec.chunk(first) == dec.chunk(again) == [render(r) for r in recs[:60]]
    small = TextEncoder(max_entries=10, max_chars=20_000)
    for i in range(0, len(recs), 7):
        assert dec.chunk(small.chunk(pieces[i:i + 7])) == [render(r) for r in recs[i:i + 7]]
    assert small.epoch > 3
    assert dec.chunk(enc.chunk([("EvaluationError", []), pieces[0]])) == [("EvaluationError", []), render(recs[0])]


# --------------------------------------------------------------------------- through real workers


def test_evaluate_many_with_default_rulebook_and_small_epochs(default_book: Rulebook, py_engine: Engine,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Two forked workers whose tables restart every few objects: still what one process gives."""
    monkeypatch.setattr(transport, "MAX_ENTRIES", 40)
    monkeypatch.setattr(transport, "MAX_TEXT_CHARS", 30_000)
    cases = _generated(default_book, 90, 5)
    expected = [py_engine.evaluate(c) for c in cases]
    got = evaluate_many(cases, engine=py_engine, workers=2, chunksize=4)
    for a, b in zip(expected, got, strict=True):
        _identical(a, b)
    assert evaluate_many_json(cases, engine=py_engine, workers=2, chunksize=4) == [to_json(r) for r in expected]
    assert evaluate_many_json(cases, engine=py_engine, workers=2, chunksize=5, compact=True) == [
        to_jsonl(r) for r in expected]


def test_transport_constants_are_in_step_with_the_models() -> None:
    """Every output class has a code and a generated encoder and decoder."""
    out_classes = {c for c in vars(m).values() if isinstance(c, type) and issubclass(c, m._Out) and c is not m._Out}
    assert set(transport.CLASSES) == out_classes
    assert transport.SHARED_CLASSES <= out_classes
    assert Path(transport.__file__).exists()
