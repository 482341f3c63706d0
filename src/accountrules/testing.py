"""Hypothesis strategies that generate valid case files from any rulebook's vocabularies.

This is an explicit import, never an auto-registered Hypothesis plugin (``docs/consistency.md``)::

    from hypothesis import given
    from accountrules import Engine, load_rulebook
    from accountrules.testing import cases

    book = load_rulebook("my-rules/")
    engine = Engine(book, backend="python")

    @given(cases(book, error_only=True))
    def test_everyone_gets_a_level(case):
        rec = engine.evaluate(case)
        assert len(rec.persons) == len(case.persons)

Every generated :class:`~accountrules.models.Case` is valid for the rulebook it was built from:
finding items and circumstance codes come from the rulebook, every person a finding names
exists, ids are unique and no list holds a value twice. Values are short and readable (persons
``p1``, ``p2`` …, case ``H-1``) and shrink towards the simplest case: one handler without fault,
no circumstances, no consequences.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from . import models as m
from .rules.validate import Rulebook

__all__ = [
    "CASE_ID",
    "FIELDS",
    "NAMES",
    "case_infos",
    "cases",
    "circumstance_codes",
    "error_combinations",
    "findings",
    "is_error_case",
    "person",
    "person_ids",
    "persons",
]

#: The id of every generated case.
CASE_ID = "H-1"
#: Readable names, one per person position (``p1`` is 张某 …).
NAMES: tuple[str, ...] = ("张某", "李某", "王某", "赵某", "刘某", "陈某", "杨某", "黄某")
#: Enforcement fields the generated agencies belong to.
FIELDS: tuple[str, ...] = ("natural_resources", "market_regulation", "public_security", "transport")
_AGENCIES = {"township": "某镇人民政府", "county": "某县自然资源局", "city": "某市市场监督管理局",
             "province": "某省交通运输厅"}
#: Economic losses that sit on typical rule thresholds (yuan).
LOSSES: tuple[int, ...] = (10_000, 50_000, 100_000, 300_000, 500_000, 1_000_000, 5_000_000)

_lock = threading.Lock()
_engines: dict[tuple[int, str], tuple[Rulebook, Any]] = {}
_combos: dict[tuple[int, str], tuple[tuple[str, str, bool], ...]] = {}


def person_ids(n: int) -> list[str]:
    """The ids of ``n`` generated persons: ``p1`` … ``pn``."""
    return [f"p{i}" for i in range(1, n + 1)]


def _engine(rulebook: Rulebook) -> Any:
    key = (id(rulebook), rulebook.sha256)
    with _lock:
        hit = _engines.get(key)
        if hit is None:
            from .engine import Engine

            hit = (rulebook, Engine(rulebook, backend="python"))  # keep the rulebook alive with its id
            _engines[key] = hit
        return hit[1]


def is_error_case(rulebook: Rulebook, info: m.CaseInfo) -> bool:
    """Whether ``rulebook`` classifies the case ``info`` (without persons) as an error case.

    A case whose status rules conflict counts as not an error case here.
    """
    from .errors import EvaluationError

    bare = info.model_copy(update={"findings": [f.model_copy(update={"persons": []}) for f in info.findings]})
    try:
        rec = _engine(rulebook).evaluate(m.Case(case=bare, persons=[]))
    except EvaluationError:
        return False
    return bool(rec.error_case.status == "error_case")


def error_combinations(rulebook: Rulebook) -> tuple[tuple[str, str, bool], ...]:
    """The ``(origin, outcome, effective)`` triples that make a plain case an error case.

    A plain case is a penalty with no grounds, no hearing and no findings; rulebooks whose status
    rules need more than that yield an empty tuple (:func:`case_infos` then filters instead).
    """
    key = (id(rulebook), rulebook.sha256)
    with _lock:
        hit = _combos.get(key)
    if hit is not None:
        return hit
    out: list[tuple[str, str, bool]] = []
    for effective in (True, False):
        for origin in m.ORIGINS:
            for outcome in m.OUTCOMES:
                info = m.CaseInfo(id=CASE_ID, origin=origin, outcome=outcome, effective=effective,  # type: ignore[arg-type]
                                  act_type="penalty", agency=_agency("county", FIELDS[0]))
                if is_error_case(rulebook, info):
                    out.append((origin, outcome, effective))
    result = tuple(out)
    with _lock:
        _combos[key] = result
    return result


def _agency(level: str, field: str) -> m.Agency:
    return m.Agency(name=_AGENCIES[level], level=level, field=field)  # type: ignore[arg-type]


def circumstance_codes(rulebook: Rulebook, *, kind: str | None = None, max_size: int = 3
                       ) -> st.SearchStrategy[list[str]]:
    """Lists of distinct circumstance codes of ``rulebook`` (optionally of one ``kind``).

    Args:
        rulebook: Where the codes come from.
        kind: ``aggravating``, ``mitigating`` or ``exempting``; ``None`` for every code.
        max_size: The longest list.
    """
    codes = [c for c, spec in rulebook.circumstances.items() if kind is None or spec.kind == kind]
    if not codes or max_size <= 0:
        return st.just([])
    return st.lists(st.sampled_from(codes), unique=True, max_size=min(max_size, len(codes)))


def person(rulebook: Rulebook, pid: str = "p1", *, name: str | None = None,
           max_circumstances: int = 3) -> st.SearchStrategy[m.Person]:
    """One person with id ``pid``: role, fault, conduct and circumstances from the vocabularies.

    Args:
        rulebook: Where circumstance codes come from.
        pid: The person's id.
        name: The person's name (default: a readable surname for ``pN``).
        max_circumstances: The most circumstance codes the person claims.
    """
    if name is None:
        digits = pid[1:] if pid[1:].isdigit() else "1"
        name = NAMES[(int(digits) - 1) % len(NAMES)]
    return st.builds(
        m.Person,
        id=st.just(pid),
        name=st.just(name),
        role=st.sampled_from(m.ROLES),
        fault=st.sampled_from(m.FAULTS),
        conduct=st.lists(st.sampled_from(m.CONDUCTS), unique=True, max_size=3),
        circumstances=circumstance_codes(rulebook, max_size=max_circumstances),
        party_member=st.booleans(),
        leading_cadre=st.booleans(),
        private_gain=st.booleans(),
        superior_order_manifestly_unlawful=st.booleans(),
        diligent_review=st.booleans(),
        crime_suspected=st.booleans(),
    )


def persons(rulebook: Rulebook, *, min_size: int = 1, max_size: int = 4,
            max_circumstances: int = 3) -> st.SearchStrategy[list[m.Person]]:
    """Lists of persons ``p1`` … ``pn`` (``min_size`` ≤ n ≤ ``max_size``)."""
    if min_size < 0 or max_size < min_size:
        raise ValueError("need 0 <= min_size <= max_size")

    @st.composite
    def build(draw: st.DrawFn) -> list[m.Person]:
        n = draw(st.integers(min_size, max_size))
        return [draw(person(rulebook, pid, max_circumstances=max_circumstances)) for pid in person_ids(n)]

    return build()


def findings(rulebook: Rulebook, ids: Sequence[str], *, max_size: int = 3
             ) -> st.SearchStrategy[list[m.Finding]]:
    """Lists of findings: an item of ``rulebook`` and distinct persons among ``ids`` each."""
    items = sorted(rulebook.items)
    if not items or max_size <= 0:
        return st.just([])
    who: st.SearchStrategy[list[str]] = (
        st.lists(st.sampled_from(list(ids)), unique=True, max_size=len(ids)) if ids else st.just([]))
    finding = st.builds(m.Finding, item=st.sampled_from(items), persons=who)
    return st.lists(finding, max_size=max_size)


_DATES = st.one_of(st.none(), st.dates(_dt.date(2015, 1, 1), _dt.date(2025, 12, 31)))


def case_infos(rulebook: Rulebook, ids: Sequence[str] = (), *, max_findings: int = 3,
               error_only: bool = False, error_bias: bool = False) -> st.SearchStrategy[m.CaseInfo]:
    """The ``case`` part of case files whose findings name persons among ``ids``.

    Args:
        rulebook: Where items come from (and which decides what an error case is).
        ids: The person ids findings may name.
        max_findings: The most findings.
        error_only: Only cases ``rulebook`` classifies as error cases.
        error_bias: Draw mostly (about 3 in 4) error cases, shrinking towards one, but keep the
            others possible (ignored when ``error_only``).
    """
    combos = error_combinations(rulebook) if (error_only or error_bias) else ()
    anything = st.tuples(st.sampled_from(m.ORIGINS), st.sampled_from(m.OUTCOMES), st.booleans())
    triple: st.SearchStrategy[tuple[str, str, bool]]
    if combos and error_only:
        triple = st.sampled_from(combos)
    elif combos:
        err = st.sampled_from(combos)
        triple = st.one_of(err, err, err, anything)
    else:
        triple = anything

    @st.composite
    def build(draw: st.DrawFn) -> m.CaseInfo:
        origin, outcome, effective = draw(triple)
        level = draw(st.sampled_from(m.AGENCY_LEVELS[1:] + m.AGENCY_LEVELS[:1]))
        hearing = None
        if origin == "court":
            hearing = draw(st.one_of(st.none(), st.builds(
                m.Hearing, head_summoned=st.booleans(), head_appeared=st.booleans(),
                absence_reason=st.sampled_from(m.ABSENCE_REASONS), absence_documented=st.booleans(),
                staff_appeared=st.booleans())))
        loss = draw(st.one_of(st.just(0), st.sampled_from(LOSSES), st.integers(0, 100_000_000)))
        return m.CaseInfo(
            id=CASE_ID,
            origin=origin,  # type: ignore[arg-type]
            outcome=outcome,  # type: ignore[arg-type]
            effective=effective,
            decided_on=draw(_DATES),
            conduct_date=draw(_DATES),
            act_type=draw(st.sampled_from(m.ACT_TYPES)),
            grounds=draw(st.lists(st.sampled_from(m.GROUNDS), unique=True, max_size=3)),
            agency=_agency(level, draw(st.sampled_from(FIELDS))),
            hearing=hearing,
            findings=draw(findings(rulebook, ids, max_size=max_findings)),
            consequences=m.Consequences(
                economic_loss_yuan=loss,
                social_impact=draw(st.sampled_from(m.SOCIAL_IMPACTS)),  # type: ignore[arg-type]
                state_compensation=draw(st.booleans()),
                mass_incident=draw(st.booleans()),
            ),
            history=m.History(
                same_field_losses_3y=draw(st.integers(0, 12)),
                same_issue_lost_before=draw(st.booleans()),
                series_cases=draw(st.integers(0, 6)),
            ),
        )

    strategy = build()
    if error_only:
        strategy = strategy.filter(lambda info: is_error_case(rulebook, info))
    return strategy


def cases(rulebook: Rulebook, *, max_persons: int = 4, max_findings: int = 3, error_only: bool = False,
          min_persons: int = 1, error_bias: bool = False) -> st.SearchStrategy[m.Case]:
    """Valid case files for ``rulebook``.

    Args:
        rulebook: Where items and circumstance codes come from.
        max_persons: The most persons (ids ``p1`` … ``pN``).
        max_findings: The most findings.
        error_only: Only cases ``rulebook`` classifies as error cases (status ``error_case``).
        min_persons: The fewest persons.
        error_bias: Mostly error cases, but not only (see :func:`case_infos`).

    Returns:
        A strategy of :class:`~accountrules.models.Case` that shrinks towards one handler
        without fault, circumstances, findings or consequences.
    """

    @st.composite
    def build(draw: st.DrawFn) -> m.Case:
        people = draw(persons(rulebook, min_size=min_persons, max_size=max_persons))
        info = draw(case_infos(rulebook, [p.id for p in people], max_findings=max_findings,
                               error_only=error_only, error_bias=error_bias))
        return m.Case(case=info, persons=people)

    return build()
