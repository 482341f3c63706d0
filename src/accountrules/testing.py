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
``p1``, ``p2`` …, case ``H-1``) and shrink towards the simplest case: one ordinarily negligent
handler named in one finding, no circumstances, no consequences.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from .contract import models as m
from .rules.validate import Rulebook

__all__ = [
    "CASE_ID",
    "FIELDS",
    "LOSSES",
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
    return _distinct(codes, min(max_size, len(codes)))


def _distinct(values: Sequence[Any], max_size: int, *, mostly_nonempty: bool = False
              ) -> st.SearchStrategy[list[Any]]:
    """Lists of distinct values that shrink well.

    ``st.lists(..., unique=True)`` draws from a shrinking pool, so ``[EX5]`` is not reachable by
    deleting from ``[AG2, MT7, EX5]``; drawing freely and dropping repeats keeps it reachable.
    """
    if not values or max_size <= 0:
        return st.just([])
    return _lists(st.sampled_from(list(values)), max_size, mostly_nonempty).map(_dedupe)


def _dedupe(xs: list[Any]) -> list[Any]:
    return list(dict.fromkeys(xs))


def _lists(element: st.SearchStrategy[Any], max_size: int, mostly_nonempty: bool) -> st.SearchStrategy[list[Any]]:
    """Lists; with ``mostly_nonempty`` about 1 in 4 is empty and they shrink towards one element."""
    if not mostly_nonempty:
        return st.lists(element, max_size=max_size)
    return st.tuples(_MOSTLY, st.lists(element, min_size=1, max_size=max_size)).map(_keep)


#: True 3 times in 4, shrinking to True (``st.one_of`` would favour its simplest branch instead).
_MOSTLY = st.sampled_from((True, True, True, False))


def _keep(flag_and_value: tuple[bool, list[Any]]) -> list[Any]:
    return flag_and_value[1] if flag_and_value[0] else []


def _either(flag_and_values: tuple[bool, Any, Any]) -> Any:
    return flag_and_values[1] if flag_and_values[0] else flag_and_values[2]


#: Faults in drawing order: Hypothesis favours (and shrinks to) the first, and a person without
#: fault is rarely liable at all, so ordinary negligence comes first.
_FAULT_ORDER: tuple[str, ...] = ("ordinary_negligence", "gross_negligence", "intentional", "none")
_PERSON_FLAGS = ("party_member", "leading_cadre", "private_gain", "superior_order_manifestly_unlawful",
                 "diligent_review", "crime_suspected", "within_sanction_period")
#: Finding flags, drawn like person flags; ``deception_detectable`` is true unless drawn (the model default).
_FINDING_FLAGS = ("undetectable", "collective", "unlawful_norm")


def _flags(names: Sequence[str], most: int = 2) -> st.SearchStrategy[dict[str, bool]]:
    """Booleans, drawn as the (short) list of those that are true: mostly false, shrinking to all false.

    Drawing each flag as a fair coin would, for example, suspect a crime of every other person
    and send half the cases to the top of the ladder.
    """
    return _distinct(names, most).map(lambda true: {n: n in true for n in names})


def _person_row(role: str, fault: str, conduct: list[str], circumstances: list[str], flags: dict[str, bool]
                ) -> dict[str, Any]:
    return {"role": role, "fault": fault, "conduct": conduct, "circumstances": circumstances, **flags}


def _person_fields(rulebook: Rulebook, max_circumstances: int) -> st.SearchStrategy[dict[str, Any]]:
    """Everything about a person but the id and name."""
    return st.builds(_person_row, st.sampled_from(m.ROLES), st.sampled_from(_FAULT_ORDER), _distinct(m.CONDUCTS, 3),
                     circumstance_codes(rulebook, max_size=max_circumstances), _flags(_PERSON_FLAGS))


def _name(index: int) -> str:
    return NAMES[index % len(NAMES)]


def person(rulebook: Rulebook, pid: str = "p1", *, name: str | None = None,
           max_circumstances: int = 3) -> st.SearchStrategy[m.Person]:
    """One person with id ``pid``: role, fault, conduct and circumstances from the vocabularies.

    Args:
        rulebook: Where circumstance codes come from.
        pid: The person's id.
        name: The person's name (default: a readable surname, 张某 for ``p1`` …).
        max_circumstances: The most circumstance codes the person claims.
    """
    if name is None:
        digits = pid[1:] if pid[1:].isdigit() else "1"
        name = _name(int(digits) - 1)
    return _person_fields(rulebook, max_circumstances).map(
        lambda fields: m.Person(id=pid, name=name, **fields))


def persons(rulebook: Rulebook, *, min_size: int = 1, max_size: int = 4,
            max_circumstances: int = 3) -> st.SearchStrategy[list[m.Person]]:
    """Lists of persons ``p1`` … ``pn`` (``min_size`` ≤ n ≤ ``max_size``), ids by position."""
    if min_size < 0 or max_size < min_size:
        raise ValueError("need 0 <= min_size <= max_size")
    return st.lists(_person_fields(rulebook, max_circumstances), min_size=min_size, max_size=max_size).map(
        lambda rows: [m.Person(id=pid, name=_name(i), **row) for i, (pid, row) in
                      enumerate(zip(person_ids(len(rows)), rows, strict=True))])


def findings(rulebook: Rulebook, ids: Sequence[str], *, max_size: int = 3
             ) -> st.SearchStrategy[list[m.Finding]]:
    """Lists of findings: an item of ``rulebook`` and distinct persons among ``ids`` each.

    About 3 in 4 lists, and 3 in 4 findings' person lists, are not empty.
    """
    items = sorted(rulebook.items)
    if not items or max_size <= 0:
        return st.just([])
    who = _distinct(ids, len(ids), mostly_nonempty=True)
    finding = st.builds(m.Finding, item=st.sampled_from(items), persons=who)
    return _lists(finding, max_size, True)


_DATES = st.one_of(st.none(), st.dates(_dt.date(2015, 1, 1), _dt.date(2025, 12, 31)))


def _info_fields(rulebook: Rulebook, *, error_only: bool, error_bias: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Every field of the ``case`` part but the findings."""
    combos = error_combinations(rulebook) if (error_only or error_bias) else ()
    anything = st.tuples(st.sampled_from(m.ORIGINS), st.sampled_from(m.OUTCOMES), st.booleans())
    triple: st.SearchStrategy[tuple[str, str, bool]]
    if combos and error_only:
        triple = st.sampled_from(combos)
    elif combos:
        triple = st.tuples(_MOSTLY, st.sampled_from(combos), anything).map(_either)
    else:
        triple = anything
    hearings = st.one_of(st.none(), st.builds(
        lambda flags, reason: m.Hearing(absence_reason=reason, **flags),
        _flags(("head_summoned", "head_appeared", "absence_documented", "staff_appeared")),
        st.sampled_from(m.ABSENCE_REASONS)))
    agencies = st.builds(_agency, st.sampled_from(m.AGENCY_LEVELS[1:] + m.AGENCY_LEVELS[:1]), st.sampled_from(FIELDS))
    losses = st.one_of(st.just(0), st.sampled_from(LOSSES), st.integers(0, 2_000_000), st.integers(0, 100_000_000))
    consequences = st.builds(
        lambda loss, impact, flags: m.Consequences(economic_loss_yuan=loss, social_impact=impact, **flags),
        losses, st.sampled_from(m.SOCIAL_IMPACTS), _flags(("state_compensation", "mass_incident"), 1))
    history = st.builds(m.History, same_field_losses_3y=st.integers(0, 12),
                        same_issue_lost_before=st.booleans(), same_act_remade=st.booleans(),
                        series_cases=st.integers(0, 6),
                        county_loss_rate=st.sampled_from((None, None, 0.0, 0.2, 0.3, 0.35, 0.6)),
                        agency_loss_rate=st.sampled_from((None, 0.1, 0.22, 0.3)),
                        prior_unit_sanctions=st.integers(0, 2))
    return st.fixed_dictionaries({
        "triple": triple,
        "decided_on": _DATES,
        "conduct_date": _DATES,
        "act_type": st.sampled_from(m.ACT_TYPES),
        "grounds": _distinct(m.GROUNDS, 3),
        "agency": agencies,
        "hearing": hearings,
        "opinion_letter": st.booleans(),
        "supervision_recommendation_refused": st.sampled_from((False, False, False, True)),
        "consequences": consequences,
        "history": history,
        "party_org_serious_breach": st.sampled_from((False, False, False, True)),
    })


def _info(fields: Mapping[str, Any], findings_: list[m.Finding]) -> m.CaseInfo:
    origin, outcome, effective = fields["triple"]
    rest = {k: v for k, v in fields.items() if k != "triple"}
    if origin != "court":
        rest["hearing"] = None
    return m.CaseInfo(id=CASE_ID, origin=origin, outcome=outcome, effective=effective, findings=findings_, **rest)


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
    strategy = st.builds(_info, _info_fields(rulebook, error_only=error_only, error_bias=error_bias),
                         findings(rulebook, ids, max_size=max_findings))
    if error_only:
        strategy = strategy.filter(lambda info: is_error_case(rulebook, info))
    return strategy


def cases(rulebook: Rulebook, *, max_persons: int = 4, max_findings: int = 3, error_only: bool = False,
          min_persons: int = 1, error_bias: bool = False) -> st.SearchStrategy[m.Case]:
    """Valid case files for ``rulebook``.

    Persons are drawn first, each with the findings (by position, modulo their number) that name
    them, so deleting a person while shrinking keeps what the others are named in: a minimal
    counterexample has only the persons it needs, renumbered ``p1`` …. About 3 persons in 4 are
    named in some finding.

    Args:
        rulebook: Where items and circumstance codes come from.
        max_persons: The most persons (ids ``p1`` … ``pN``).
        max_findings: The most findings.
        error_only: Only cases ``rulebook`` classifies as error cases (status ``error_case``).
        min_persons: The fewest persons.
        error_bias: Mostly error cases, but not only (see :func:`case_infos`).

    Returns:
        A strategy of :class:`~accountrules.models.Case` that shrinks towards one ordinarily
        negligent handler without circumstances, named in one finding of the first item.
    """
    if min_persons < 0 or max_persons < min_persons:
        raise ValueError("need 0 <= min_persons <= max_persons")
    items = sorted(rulebook.items)
    slots = list(range(max_findings))
    row = st.tuples(_person_fields(rulebook, 3), _distinct(slots, max_findings, mostly_nonempty=True))
    rows = st.lists(row, min_size=min_persons, max_size=max_persons)
    found = (_lists(st.tuples(st.sampled_from(items), _flags(_FINDING_FLAGS, 1)), max_findings, True)
             if items and max_findings > 0 else st.just([]))
    strategy = st.builds(_assemble, rows, found,
                         _info_fields(rulebook, error_only=error_only, error_bias=error_bias))
    if error_only:
        strategy = strategy.filter(lambda case: is_error_case(rulebook, case.case))
    return strategy


def _assemble(rows: list[tuple[dict[str, Any], list[int]]], items: list[tuple[str, dict[str, bool]]],
              fields: Mapping[str, Any]) -> m.Case:
    ids = person_ids(len(rows))
    people = [m.Person(id=pid, name=_name(i), **row) for i, (pid, (row, _)) in enumerate(zip(ids, rows, strict=True))]
    n = len(items)
    found = [m.Finding(item=item, persons=[pid for pid, (_, named) in zip(ids, rows, strict=True)
                                           if any(k % n == j for k in named)],
                       deception_detectable=not flags["undetectable"], collective=flags["collective"],
                       unlawful_norm=flags["unlawful_norm"])
             for j, (item, flags) in enumerate(items)]
    return m.Case(case=_info(fields, found), persons=people)
