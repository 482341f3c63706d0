"""The fast JSON writer (issue #6): byte for byte what pydantic writes, with its caches exercised.

``render.to_json``/``to_jsonl`` are written by :mod:`accountrules.jsonout`; the reference is
pydantic's ``model_dump_json`` (``render.to_json_reference``/``to_jsonl_reference``).
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer
from pydantic_core import PydanticSerializationError

from accountrules import Engine, jsonout
from accountrules import models as m
from accountrules.intake import read_case_file
from accountrules.render import to_json, to_json_reference, to_jsonl, to_jsonl_reference
from accountrules.rules import Rulebook
from accountrules.testing import cases

from ..conftest import ROOT, requires_durable

CASE_FILES = sorted((ROOT / "examples").glob("*.yaml")) + sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))
NASTY = [
    "", " ", '"', "\\", '\\"', "a\"b\\c/d", "\n\r\t\b\f", "\x00\x01\x1f", "\x7f", "\u0080\u009f", "\u2028\u2029",
    "😀", "e\u0301", "\ufeff", "\uffff", "\U0010ffff", "中文「引号」“”", "</script>", "'", "{}[]:,", "null",
]
SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _same(obj: Any) -> None:
    """The fast writer and pydantic agree on ``obj`` in both layouts."""
    assert jsonout.dumps(obj, indent=True) == obj.model_dump_json(indent=2)
    assert jsonout.dumps(obj, indent=False) == obj.model_dump_json()


def _same_rec(rec: m.Recommendation) -> None:
    assert to_json(rec) == to_json_reference(rec) == rec.model_dump_json(indent=2) + "\n"
    assert to_jsonl(rec) == to_jsonl_reference(rec) == rec.model_dump_json()


@pytest.fixture()
def no_fallback() -> Iterator[None]:
    """The test must not make the fast writer hand anything to pydantic."""
    before = jsonout.stats["fallbacks"]
    yield
    assert jsonout.stats["fallbacks"] == before, "the fast writer fell back to pydantic"


# --------------------------------------------------------------------------- real recommendations


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: Path(p).stem)
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("detail", ["full", "compact"])
def test_case_files(py_engine: Engine, path: Path, lang: str, detail: str, no_fallback: None) -> None:
    case = read_case_file(path)
    rec = py_engine.evaluate(case, lang=lang, detail=detail)
    _same_rec(rec)
    _same_rec(rec)  # again, from the caches
    _same_rec(py_engine.evaluate(case, lang=lang, detail=detail))  # a new recommendation sharing reasons


@requires_durable
@pytest.mark.parametrize("path", CASE_FILES[:3], ids=lambda p: Path(p).stem)
def test_case_files_durable_backend(engine: Engine, path: Path, no_fallback: None) -> None:
    _same_rec(engine.evaluate(read_case_file(path)))


@SETTINGS
@given(data=st.data())
def test_generated_cases(default_book: Rulebook, py_engine: Engine, data: st.DataObject) -> None:
    case = data.draw(cases(default_book, max_persons=5, error_bias=True))
    lang = data.draw(st.sampled_from(["zh", "en"]))
    detail = data.draw(st.sampled_from(["full", "compact"]))
    before = jsonout.stats["fallbacks"]
    _same_rec(py_engine.evaluate(case, lang=lang, detail=detail))
    assert jsonout.stats["fallbacks"] == before


def test_many_generated_cases_share_reasons(default_book: Rulebook, py_engine: Engine, no_fallback: None) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "bench"))
    recs = [py_engine.evaluate(c) for c in run.generate_cases(default_book, 150, 11)]
    for rec in recs + recs:
        _same_rec(rec)


# --------------------------------------------------------------------------- hand-made recommendations


def _cit(s: str = "c", quote: str | None = None) -> m.Citation:
    return m.Citation(instrument=f"I{s}", article=f"A{s}", version=f"V{s}", quote=quote)


def _reason(s: str = "r", facts: dict[str, Any] | None = None, **kw: Any) -> m.Reason:
    return m.Reason(rule=f"R{s}", text=f"T{s}", citation=_cit(s, quote=kw.pop("quote", None)),
                    source=f"S{s}", facts=facts or {}, **kw)


def _rec(reasons: list[m.Reason], *, s: str = "x", persons: list[m.PersonOutcome] | None = None,
         **kw: Any) -> m.Recommendation:
    r0 = reasons[0] if reasons else _reason()
    return m.Recommendation(
        case_id=s, rulebook=m.RulebookRef(id=s, version=s, sha256=s),
        engine=m.EngineRef(version=s, backend="python"),
        error_case=m.ErrorCaseOut(status="error_case", definition=kw.get("definition", s), reasons=reasons),
        situations=kw.get("situations", [m.Situation(item=s, category=s, name=s, persons=[s, s], reasons=reasons)]),
        persons=persons if persons is not None else [_person(s, reasons)],
        unit_measures=kw.get("unit_measures", [m.UnitMeasure(measure=s, code=s, name=s, reasons=reasons[:1])]),
        review=m.Review(track="key", reasons=[r0]),
    )


def _person(s: str, reasons: list[m.Reason], *, empty: bool = False) -> m.PersonOutcome:
    r0 = reasons[0] if reasons else _reason()
    if empty:
        return m.PersonOutcome(id=s, responsibility="none", level=s, rank=0, measures=[], exemption=None,
                               referral=None, influence=None, reasons=[])
    return m.PersonOutcome(
        id=s, name=s, role=s, responsibility="direct", level=s, rank=-3, measures=[s, "", s],
        exemption=m.Exemption(code=s, reasons=reasons), referral="criminal",
        influence=m.Influence(months=None, effects=[s, s], verified=False, basis=r0),
        channel=s, band="upper",
        items=[m.ItemOutcome(item=s, responsibility="direct", grade=None, level=s, rank=2**70, exempted_by=s),
               m.ItemOutcome(item=s, responsibility="none", grade=s, level=s, rank=0)],
        considered=[m.Considered(code=s, applied=True, effect=s, why=s, reasons=reasons),
                    m.Considered(code=s, applied=False, effect=s, why=s)],
        reasons=reasons,
    )


@pytest.mark.parametrize("s", NASTY, ids=repr)
def test_nasty_strings(s: str, no_fallback: None) -> None:
    reasons = [_reason(s, {s: s, "k": [s, 1, True, None, [s]], "": {}}, quote=s, inference=s,
                       citations=[_cit(s), _cit(s + s, quote=s)]), _reason(s + "2")]
    _same_rec(_rec(reasons, s=s))


def test_every_code_point() -> None:
    s = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    _same(m.Reason(rule=s, text=s[:300], citation=_cit(s[:1000], quote=s), source="s", facts={s: s, "x": s[:256]}))
    for i in range(0, 0x3000, 7):  # short strings (cached) too
        _same(m.Citation(instrument=s[i:i + 7], article=s[i:i + 1], version=s[i:i + 200]))


def test_empty_and_none_everywhere(no_fallback: None) -> None:
    rec = _rec([], s="", persons=[_person("", [], empty=True)], situations=[], unit_measures=[], definition=None)
    _same_rec(rec)
    _same_rec(_rec([], s="", persons=[]))
    _same(m.Reason(rule="", text="", citation=m.Citation(instrument="", article="", version=""), source=""))


FACT_VALUES: list[Any] = [
    0, -1, 2**63, -(2**64), 10**40, True, False, None, "", [], {}, [[]], [{}], {"a": {"b": [1, [2, [3, {}]]]}},
    1.0, 0.1, -0.0, 1e-7, 1e16, 1.5e300, 5e-324, 123456789.123, float("inf"), float("-inf"), float("nan"),
    [1.5, float("nan")], {"x": float("inf")},
]


@pytest.mark.parametrize("value", FACT_VALUES, ids=repr)
def test_fact_values(value: Any, no_fallback: None) -> None:
    r = _reason("f", {"v": value, "w": [value, value], "z": {"in": value}})
    _same_rec(_rec([r, _reason("g", {"v": value})]))


class Colour(enum.Enum):
    RED = "red"


class Size(str, enum.Enum):
    BIG = "big\n"


class Level(enum.IntEnum):
    ONE = 1


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("value", [dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5), (1, "a"), {1, 2},
                                   Colour.RED, Size.BIG, Level.ONE, b"bytes", frozenset(), {1: "int key"},
                                   {Size.BIG: 1}, ["ok", dt.time(1, 2)], m.Citation(instrument="i", article="a",
                                                                                 version="v")],
                         ids=repr)
def test_fact_values_pydantic_writes(value: Any) -> None:
    """Values the writer does not know inside ``facts`` are written by pydantic (the field only)."""
    r = m.Reason.model_construct(rule="r", text="t", citation=_cit(), citations=[], source="s",
                                 facts={"v": value, "s": "x"}, inference=None)
    _same_rec(_rec([r]))


@SETTINGS
@given(
    text=st.text(), key=st.text(), ints=st.integers(), floats=st.floats(),
    json=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                      max_leaves=8),
)
def test_generated_strings_and_facts(text: str, key: str, ints: int, floats: float, json: Any) -> None:
    r = _reason(text, {key: json, "i": ints, "f": floats, text: [text]}, quote=text, inference=text)
    _same_rec(_rec([r, _reason(key)], s=text))


def test_lone_surrogate_raises_as_pydantic_does() -> None:
    rec = _rec([_reason("\ud800")])
    for fast, ref in ((to_json, to_json_reference), (to_jsonl, to_jsonl_reference)):
        with pytest.raises(PydanticSerializationError) as ref_err:
            ref(rec)
        with pytest.raises(PydanticSerializationError) as fast_err:
            fast(rec)
        assert str(fast_err.value) == str(ref_err.value)


# --------------------------------------------------------------------------- key order, constructed objects


def test_dict_order_of_constructed_objects(no_fallback: None) -> None:
    """pydantic writes a model's fields in its ``__dict__`` order, so a model built from keywords in
    another order (``models.trusted``, ``model_construct``) comes out in that order."""
    c = m.trusted(m.Citation, version="v", quote=None, instrument="i", article="a")
    r = m.trusted(m.Reason, facts={"b": 1, "a": 2}, inference=None, source="s", rule="r", text="t",
                  citation=c, citations=[c, _cit()])
    u = m.UnitMeasure.model_construct(reasons=[r], name="n", measure="m", code="c")
    rec = _rec([r, _reason()], unit_measures=[u, m.UnitMeasure(measure="m", reasons=[])])
    assert '"version":"v","quote":null' in to_jsonl_reference(rec)
    _same_rec(rec)
    _same_rec(m.trusted(m.Recommendation, **dict(reversed(list(rec.__dict__.items())))))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("change", [
    {"rank": "3"}, {"rank": True}, {"rank": 1.5}, {"rank": Level.ONE}, {"measures": ("a",)}, {"measures": ["a", 1]},
    {"level": 5}, {"level": None}, {"level": Size.BIG}, {"name": Colour.RED}, {"referral": ["x"]},
    {"influence": "not a model"}, {"exemption": m.Review(track="key", reasons=[])}, {"reasons": (_reason(),)},
    {"reasons": [_cit()]}, {"considered": [None]},
])
def test_values_of_the_wrong_type(change: dict[str, Any]) -> None:
    """``model_construct`` skips validation: whatever pydantic makes of it, the writer does too."""
    p = _person("p", [_reason()])
    bad = m.PersonOutcome.model_construct(**{**p.__dict__, **change})
    rec = _rec([_reason()], persons=[p, bad])
    for fast, ref in ((to_json, to_json_reference), (to_jsonl, to_jsonl_reference)):
        try:
            expected = ref(rec)
        except Exception as exc:  # noqa: BLE001 - then the writer must raise the same
            with pytest.raises(type(exc)):
                fast(rec)
        else:
            assert fast(rec) == expected


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_missing_and_unknown_keys() -> None:
    missing = m.trusted(m.Citation, instrument="i", article="a")  # version is PydanticUndefined
    with pytest.raises(PydanticSerializationError):
        jsonout.dumps(missing, indent=True)
    c = _cit()
    c.__dict__["bogus"] = 1
    _same(c)
    del c.__dict__["version"]
    _same(c)  # pydantic writes what it has (with a warning)


# --------------------------------------------------------------------------- the identity caches


def test_cache_same_recommendation_twice(no_fallback: None) -> None:
    rec = _rec([_reason("a", {"n": 1}), _reason("b")])
    jsonout.clear_caches()
    first = to_json(rec), to_jsonl(rec)
    entries = jsonout._count[0]
    assert entries > 0
    assert (to_json(rec), to_jsonl(rec)) == first
    assert jsonout._count[0] == entries  # all from the caches
    _same_rec(rec)


def test_cache_shared_reasons_at_several_depths(no_fallback: None) -> None:
    """One Reason object at depths 3 (error case), 4 (persons[].reasons, influence basis), 5
    (exemption), 6 (considered) — in two recommendations that share it."""
    shared = _reason("shared", {"list": ["a", "b"], "n": 2}, quote="「引」\n\"q\"")
    a = _rec([shared])
    b = _rec([_reason("own"), shared, shared], s="y")
    c = _rec([_reason("other")], s="z", persons=[_person("z", [_reason("p")]),
                                                  _person("w", [shared])])
    for _ in range(2):
        for rec in (a, b, c):
            _same_rec(rec)
    text = to_json(a)
    assert text.count('"rule": "Rshared"') == 8
    indents = {line[: len(line) - len(line.lstrip())] for line in text.splitlines() if '"rule": "Rshared"' in line}
    assert len(indents) >= 4  # really at several depths


def test_cache_objects_are_not_confused_after_they_die(no_fallback: None) -> None:
    """New objects (which may reuse the ids of dead ones) are never given an old text."""
    for i in range(300):
        rec = _rec([_reason(f"n{i}", {"i": i})], s=f"s{i}")
        expected = to_json_reference(rec), to_jsonl_reference(rec)
        assert (to_json(rec), to_jsonl(rec)) == expected
        del rec


def test_cache_bound(monkeypatch: pytest.MonkeyPatch, no_fallback: None) -> None:
    monkeypatch.setattr(jsonout, "CACHE_MAX_ENTRIES", 5)
    recs = [_rec([_reason(f"b{i}"), _reason(f"c{i}")], s=f"b{i}") for i in range(20)]
    for rec in recs + recs:
        _same_rec(rec)
        assert jsonout._count[0] <= 5
    monkeypatch.setattr(jsonout, "CACHE_MAX_ENTRIES", 50_000)
    monkeypatch.setattr(jsonout, "CACHE_MAX_CHARS", 100)
    for rec in recs:
        _same_rec(rec)
        assert jsonout._count[1] < 100 + len(to_json(rec)) * 2


def test_threads(py_engine: Engine, no_fallback: None) -> None:
    recs = [py_engine.evaluate(read_case_file(p), lang=lang) for p in CASE_FILES for lang in ("zh", "en")]
    expected = [(to_json_reference(r), to_jsonl_reference(r)) for r in recs]
    errors: list[str] = []

    def work(k: int) -> None:
        for i in range(30):
            for rec, exp in zip(recs, expected, strict=True):
                if (to_json(rec), to_jsonl(rec)) != exp:
                    errors.append(rec.case_id)
            if k == 0 and i % 5 == 0:
                jsonout.clear_caches()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# --------------------------------------------------------------------------- any pydantic model


class Inner(BaseModel):
    model_config = ConfigDict(frozen=True)
    a: str
    b: list[int] = Field(default_factory=list)


class Empty(BaseModel):
    pass


class Odd(BaseModel):
    """Fields the generator does not write itself (pydantic writes them, one at a time)."""

    f: float
    g: float | None = None
    day: dt.date
    when: dt.datetime | None = None
    tags: set[str] = Field(default_factory=set)
    pair: tuple[int, str] = (1, "a")
    strict: int = Field(default=3, ge=0)
    blob: bytes = b"x\n"
    anything: Any = None
    mapping: dict[str, Any] = Field(default_factory=dict)
    ints: dict[str, int] = Field(default_factory=dict)
    lit: Literal["a", "b"] = "a"
    mixed: Literal["a", 1] = 1
    nested: list[list[str]] = Field(default_factory=list)
    models: list[Inner | None] = Field(default_factory=list)
    opt_models: list[Inner] | None = None
    empty: Empty = Field(default_factory=Empty)


class WithSerializer(BaseModel):
    x: int
    name: str

    @field_serializer("x")
    def _x(self, v: int) -> str:
        return f"<{v}>"


class WithComputed(BaseModel):
    x: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def double(self) -> int:
        return self.x * 2


class WithAlias(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)
    x: int = Field(serialization_alias="X")


class WithExtra(BaseModel):
    model_config = ConfigDict(extra="allow")
    x: int


class WithExclude(BaseModel):
    x: int
    secret: str = Field(default="s", exclude=True)


class SubInner(Inner):
    extra_field: str = "sub"


class Holder(BaseModel):
    odd: Odd
    ser: WithSerializer
    comp: WithComputed
    alias: WithAlias
    extra: WithExtra
    excl: WithExclude
    inner: Inner
    inners: list[Inner]


def _holder(**kw: Any) -> Holder:
    odd = Odd(f=kw.get("f", 1e-7), g=float("nan"), day=dt.date(2024, 2, 29), tags={"t"},
              anything={"d": dt.date(2020, 1, 1), "l": [1.5, "s\n"]}, mapping={"k": [1, {"z": None}], "e": Colour.RED},
              ints={"a": 1}, nested=[["a", "\n"], []], models=[Inner(a="i"), None], opt_models=[], blob=b"\x00")
    return Holder(odd=odd, ser=WithSerializer(x=1, name="n"), comp=WithComputed(x=2), alias=WithAlias(x=3),
                  extra=WithExtra(x=4, y="extra"), excl=WithExclude(x=5), inner=Inner(a="a", b=[1, 2]),
                  inners=[Inner(a="b"), Inner(a="c", b=[])])


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_any_model() -> None:
    h = _holder()
    _same(h)
    _same(Empty())
    _same(Odd(f=math.pi, day=dt.date(2000, 1, 1)))
    _same(_holder(f=float("inf")))
    sub = Holder.model_construct(**{**h.__dict__, "inner": SubInner(a="x"), "inners": [SubInner(a="y"), Inner(a="z")]})
    _same(sub)


def test_deep_nesting_falls_back() -> None:
    value: Any = "leaf"
    for _ in range(jsonout.MAX_DEPTH + 5):
        value = [value]
    r = _reason("deep", {"v": value})
    _same_rec(_rec([r]))
