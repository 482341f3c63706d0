"""Sanction consistency: the properties every rulebook should satisfy, and a runner that checks them.

Equal cases must get equal outcomes, and more fault must never mean less accountability. Each
property is a plain function ``check(checker, case, params) -> Violation | None`` over a
:class:`Checker` (the engines, with a small evaluation cache), a valid case and a few small
integers (:class:`Params`) that pick which person, code or permutation a transformation uses.
A check raises :class:`NotApplicable` when its transformation does not apply to the case (the
person's fault is already intentional, the person already claims every mitigating code …).

:func:`run_properties` drives Hypothesis programmatically over
:func:`accountrules.testing.cases`, shrinks every violated property to a minimal counterexample,
optionally walks the small exhaustive space (every item × role × fault × single circumstance),
and checks determinism across processes and ``PYTHONHASHSEED`` values once per run.
:func:`write_counterexample` turns a violation into ready-to-run YAML case files. The
``accountrules check`` command (:mod:`accountrules.certify`) prints the result as a certificate.
See ``docs/consistency.md``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .._version import __version__
from ..contract import models as m
from ..contract.intake import read_case_text
from ..engine import Engine
from ..errors import AccountRulesError
from ..language.facts import FAULT_RANK
from ..output.render import to_json
from ..rules.validate import Rulebook

__all__ = [
    "PROPERTIES",
    "Checker",
    "EvaluationFailed",
    "NotApplicable",
    "Params",
    "Property",
    "PropertyResult",
    "Report",
    "Violation",
    "case_yaml",
    "check",
    "exhaustive_cases",
    "minimize",
    "run_properties",
    "write_counterexample",
]

try:  # the C emitter is about 10x faster
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]

#: Levels of a worse consequence, in order.
LOSS_STEPS: tuple[int, ...] = (100_000, 1_000_000, 10_000, 10_000_000, 50_000, 500_000, 100_000_000)
#: The exhaustive space gives each role the conduct typical of it, so chain rules can fire.
TYPICAL_CONDUCT: dict[str, tuple[str, ...]] = {
    "handler": ("proposed_wrong_opinion",),
    "reviewer": ("failed_to_detect",),
    "legal_reviewer": ("failed_to_detect",),
    "approver": ("failed_to_detect",),
    "leader_in_charge": ("failed_to_detect",),
    "principal": ("decided_without_review",),
    "collective_member": ("held_wrong_opinion_in_collective",),
    "superior": ("instructed_or_interfered",),
}
#: How many generated cases are replayed in other processes for cross-process determinism.
PROCESS_SAMPLE = 24
#: The ``PYTHONHASHSEED`` values of the replaying processes.
HASH_SEEDS: tuple[str, ...] = ("1", "2")
PROCESS_PROPERTY = "deterministic_across_processes"
MULTIPLE_BUGS = True


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Params:
    """Small integers that pick what a transformation changes (they shrink towards 0).

    Attributes:
        person: Index (modulo the number of persons) of the person a transformation targets.
        pick: Selects the code, item, consequence or role a transformation adds.
        seed: Seeds the permutation of the reordering property (0 reverses every list).
    """

    person: int = 0
    pick: int = 0
    seed: int = 0


@dataclass
class Violation:
    """A property that does not hold, with the case that shows it.

    Attributes:
        property: The property's name (a key of :data:`PROPERTIES`).
        message: What went wrong, in words, with ranks and levels.
        case: The (minimal) case the property was checked on.
        variant: For relational properties, the transformed case whose outcome contradicts
            ``case``'s (``None`` for single-case properties).
        person: The id of the person concerned, if one is.
        params: The parameters the check ran with (to reproduce it with :func:`check`).
    """

    property: str
    message: str
    case: m.Case
    variant: m.Case | None = None
    person: str | None = None
    params: Params | None = None


class NotApplicable(Exception):
    """Raised by a check whose transformation does not apply to the case (vacuously true)."""


class EvaluationFailed(Exception):
    """A valid case could not be evaluated (raised by :class:`Checker`; becomes ``evaluates``)."""

    def __init__(self, case: m.Case, backend: str, error: BaseException) -> None:
        self.case = case
        self.backend = backend
        self.error = error
        super().__init__(f"{backend} backend: {type(error).__name__}: {error}")


CheckFn = Callable[["Checker", m.Case, Params], "Violation | None"]


@dataclass(frozen=True)
class Property:
    """A registered property.

    Attributes:
        name: Its name (used on the command line and in counterexample file names).
        check: The check function.
        doc: One sentence saying what must hold.
        durable: The check uses the durable-rules backend.
    """

    name: str
    check: CheckFn
    doc: str
    durable: bool = False


# --------------------------------------------------------------------------- the checker


class Checker:
    """The engines properties run against, with a small cache of python-backend evaluations.

    Args:
        rulebook: The rulebook under test.
        durable: Also build the durable-rules engine (needed by ``durable_agrees``).
        cache_size: How many recent evaluations to keep (cases are compared by their JSON).
    """

    def __init__(self, rulebook: Rulebook, *, durable: bool | None = None, cache_size: int = 128) -> None:
        if durable is None:  # where durable-rules imports
            from ..engine import default_backend

            durable = default_backend() == "durable"
        self.rulebook = rulebook
        self.python = Engine(rulebook, backend="python")
        self.durable: Engine | None = Engine(rulebook, backend="durable") if durable else None
        self._cache: OrderedDict[str, m.Recommendation] = OrderedDict()
        self._cache_size = cache_size

    def evaluate(self, case: m.Case) -> m.Recommendation:
        """Evaluate with the python backend (cached).

        Raises:
            EvaluationFailed: the engine raised (a rule conflict, an engine failure …).
        """
        key = case.model_dump_json()
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        rec = self.fresh(case)
        self._cache[key] = rec
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return rec

    def fresh(self, case: m.Case, backend: str = "python") -> m.Recommendation:
        """Evaluate without the cache, with ``backend`` (``python`` or ``durable``).

        Raises:
            EvaluationFailed: the engine raised (an evaluation error, or any other exception).
            RuntimeError: ``durable`` was asked of a checker built without it.
        """
        engine = self.python if backend == "python" else self.durable
        if engine is None:
            raise RuntimeError("this Checker was built with durable=False")
        try:
            return engine.evaluate(case)
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as exc:  # a crash on a valid case is what `evaluates` reports
            raise EvaluationFailed(case, backend, exc) from exc


# --------------------------------------------------------------------------- helpers


def _rebuild(data: Mapping[str, Any]) -> m.Case:
    return m.Case.model_validate(data)


def _dump(case: m.Case) -> dict[str, Any]:
    return case.model_dump()


def _pick_person(checker: Checker, case: m.Case, params: Params, *, eligible: Callable[[m.Person], bool],
                 liable: str) -> int:
    """The index of the person a transformation targets.

    Args:
        checker: To know who has a rank above 0.
        case: The case.
        params: ``params.person`` picks among the candidates.
        eligible: Persons the transformation applies to.
        liable: ``"only"``: only persons with a rank above 0 (whose rank can be lowered at all);
            ``"mostly"``: those 3 times in 4 when there are some (``params.seed``), else anyone.

    Raises:
        NotApplicable: nobody is a candidate.
    """
    people = [i for i, p in enumerate(case.persons) if eligible(p)]
    if not people:
        raise NotApplicable("no person the transformation applies to")
    rec = checker.evaluate(case)
    ranked = [i for i in people if rec.persons[i].rank > 0]
    if liable == "only":
        if not ranked:
            raise NotApplicable("nobody has a rank above 0 that could be lowered")
        people = ranked
    elif ranked and params.seed % 4 != 3:
        people = ranked
    return people[params.person % len(people)]


def _outcome(rec: m.Recommendation, pid: str) -> m.PersonOutcome:
    for po in rec.persons:
        if po.id == pid:
            return po
    raise KeyError(pid)


def _lv(po: m.PersonOutcome) -> str:
    return f"{po.rank} ({po.level})"


def _person_sig(po: m.PersonOutcome, *, ordered: bool) -> dict[str, Any]:
    """What must not change about a person's outcome (reasons and texts excluded)."""
    return {
        "responsibility": po.responsibility,
        "level": po.level,
        "rank": po.rank,
        "measures": list(po.measures),
        "exemption": (po.exemption.code if po.exemption else None) if ordered else po.exemption is not None,
        "referral": po.referral,
        "channel": po.channel,
        "band": po.band,
        "items": sorted((i.item, i.responsibility, i.grade or "", i.level, i.rank, i.exempted_by or "")
                        for i in po.items),
        "considered": sorted((c.code, c.applied, c.effect) for c in po.considered),
    }


def _case_sig(rec: m.Recommendation, rename: Mapping[str, str] | None = None) -> dict[str, Any]:
    ren = rename or {}
    return {
        "error_case.status": rec.error_case.status,
        "error_case.definition": rec.error_case.definition,
        "situations": sorted((s.item, s.category, tuple(sorted(ren.get(p, p) for p in s.persons)))
                             for s in rec.situations),
        "unit_measures": [u.measure for u in rec.unit_measures],
        "review": rec.review.track,
    }


def _diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    keys = [k for k in a if a.get(k) != b.get(k)]
    return "; ".join(f"{k}: {a.get(k)!r} → {b.get(k)!r}" for k in keys)


def _first_diff(a: Any, b: Any, path: str = "") -> str | None:
    """The path of the first difference between two JSON values, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            d = _first_diff(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            d = _first_diff(x, y, f"{path}[{i}]")
            if d:
                return d
        if len(a) != len(b):
            return f"{path}: {len(a)} entries vs {len(b)}"
        return None
    if a != b:
        return f"{path}: {json.dumps(a, ensure_ascii=False)[:200]} vs {json.dumps(b, ensure_ascii=False)[:200]}"
    return None


def _cited(reasons: Sequence[m.Reason]) -> bool:
    """A reason cites an article — or says expressly that no cited text was in force (无当时有效文本)."""
    return any(r.rule and r.citation.instrument.strip() not in ("", "—")
               and (r.citation.article.strip() not in ("", "—") or r.citation.in_force is False) for r in reasons)


def _codes(book: Rulebook, kind: str) -> list[str]:
    return sorted(c for c, spec in book.circumstances.items() if spec.kind == kind)


# --------------------------------------------------------------------------- single-case properties


def evaluates(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Every valid case evaluates: no rule conflict, no engine failure, no crash."""
    try:
        checker.evaluate(case)
    except EvaluationFailed as exc:
        return Violation("evaluates", f"evaluation failed ({exc.backend} backend): {exc.error}", case)
    return None


def deterministic(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """The same case, evaluated again from its JSON, gives byte-identical JSON."""
    first = to_json(checker.evaluate(case))
    again = to_json(checker.fresh(m.Case.model_validate_json(case.model_dump_json())))
    if first != again:
        d = _first_diff(json.loads(first), json.loads(again))
        return Violation("deterministic", f"two evaluations of the same case differ at {d}", case)
    return None


def _exempt_ceiling(book: Rulebook, code: str | None) -> int:
    """The highest rank an item exempted by ``code`` may keep: 0 for 不予追究, the kept level for 免予处分."""
    circ = book.circumstances.get(code or "")
    if circ is None or circ.exemption == "not_liable" or not book.manifest.policy.exemption_keeps:
        return 0
    return book.levels[book.manifest.policy.exemption_keeps].rank


def exemption_sound(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """An applied exemption means rank 0 (不予追究) or at most the kept lighter level (免予处分), and never
    coexists with intent (fault or AG1)."""
    rec = checker.evaluate(case)
    book = checker.rulebook
    for p, po in zip(case.persons, rec.persons, strict=True):
        applied = [i for i in po.items if i.exempted_by]
        if po.exemption is None and not applied:
            continue
        code = po.exemption.code if po.exemption else applied[0].exempted_by
        if po.exemption is not None and po.rank > _exempt_ceiling(book, code):
            return Violation("exemption_sound", f"{p.id} is exempted ({code}) but has rank {_lv(po)}", case,
                             person=p.id)
        for i in applied:
            if i.rank > _exempt_ceiling(book, i.exempted_by):
                return Violation("exemption_sound", f"{p.id}'s item {i.item} is exempted ({i.exempted_by}) but "
                                 f"has rank {i.rank} ({i.level})", case, person=p.id)
        if p.fault == "intentional":
            return Violation("exemption_sound", f"exemption {code} applied to {p.id} although {p.id}'s fault is "
                             f"intentional (exemptions are barred for intent); {p.id} gets {_lv(po)}",
                             case, person=p.id)
        if "AG1" in p.circumstances:
            return Violation("exemption_sound", f"exemption {code} applied to {p.id} although {p.id} claims AG1 "
                             f"(intent); {p.id} gets {_lv(po)}", case, person=p.id)
    return None


def non_error_zero(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """When the case is not an error case, every person is at rank 0 and nobody is referred."""
    rec = checker.evaluate(case)
    if rec.error_case.status == "error_case":
        raise NotApplicable("an error case")
    for po in rec.persons:
        if po.rank != 0 or po.referral is not None:
            return Violation("non_error_zero", f"the case is '{rec.error_case.status}' but {po.id} gets "
                             f"{_lv(po)}" + (f", referral {po.referral}" if po.referral else ""), case, person=po.id)
    return None


def cited_reasons(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Every rank above 0, situation and unit measure carries a reason with a citation."""
    rec = checker.evaluate(case)
    for po in rec.persons:
        if po.rank > 0 and not _cited(po.reasons):
            return Violation("cited_reasons", f"{po.id} gets {_lv(po)} without a cited reason", case,
                             person=po.id)
    for s in rec.situations:
        if not _cited(s.reasons):
            return Violation("cited_reasons", f"situation {s.item} has no cited reason", case)
    for u in rec.unit_measures:
        if not _cited(u.reasons):
            return Violation("cited_reasons", f"unit measure {u.measure} has no cited reason", case)
    return None


def case_yaml(case: m.Case, header: Sequence[str] = ()) -> str:
    """A case as a readable YAML case file (defaults left out), after ``# header`` lines."""
    data = case.model_dump(mode="json", exclude_defaults=True)
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=None,
                     width=100)
    lines = [line for h in header for line in (h.splitlines() or [""])]
    return "".join(f"# {line}\n" if line else "#\n" for line in lines) + text


def json_roundtrip(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Case JSON and YAML, and recommendation JSON, read back to equal objects (lossless)."""
    back = m.Case.model_validate(json.loads(json.dumps(case.model_dump(mode="json"), ensure_ascii=False)))
    if back != case:
        d = _first_diff(case.model_dump(mode="json"), back.model_dump(mode="json"))
        return Violation("json_roundtrip", f"the case changes through JSON at {d}", case)
    try:
        from_yaml = read_case_text(case_yaml(case), "<roundtrip>")
    except AccountRulesError as exc:
        return Violation("json_roundtrip", f"the case's YAML does not read back: {exc}", case)
    if from_yaml != case:
        d = _first_diff(case.model_dump(mode="json"), from_yaml.model_dump(mode="json"))
        return Violation("json_roundtrip", f"the case changes through YAML at {d}", case)
    rec = checker.evaluate(case)
    text = to_json(rec)
    rec_back = m.Recommendation.model_validate_json(text)
    if rec_back != rec or to_json(rec_back) != text:
        d = _first_diff(rec.model_dump(mode="json"), rec_back.model_dump(mode="json"))
        return Violation("json_roundtrip", f"the recommendation changes through JSON at {d}", case)
    return None


def durable_agrees(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """The durable-rules matcher gives the same recommendation as the python backend."""
    if checker.durable is None:
        raise NotApplicable("no durable engine")
    py = checker.evaluate(case).model_dump(mode="json")
    du = checker.fresh(case, "durable").model_dump(mode="json")
    py["engine"]["backend"] = du["engine"]["backend"] = "*"
    if py != du:
        return Violation("durable_agrees", f"durable-rules and the python interpreter differ at "
                         f"{_first_diff(py, du)} (python vs durable)", case)
    return None


# --------------------------------------------------------------------------- invariance


def _permute(seq: Sequence[Any], rnd: random.Random | None) -> list[Any]:
    out = list(seq)
    if rnd is None:
        out.reverse()
    else:
        rnd.shuffle(out)
    return out


def reordered(case: m.Case, seed: int = 0) -> m.Case:
    """``case`` with persons, findings, finding persons, circumstances, conduct and grounds permuted.

    Seed 0 reverses every list; any other seed shuffles with :class:`random.Random` (seed).
    """
    rnd = random.Random(seed) if seed else None
    data = _dump(case)
    c = data["case"]
    c["grounds"] = _permute(c["grounds"], rnd)
    c["findings"] = _permute(c["findings"], rnd)
    for f in c["findings"]:
        f["persons"] = _permute(f["persons"], rnd)
    data["persons"] = _permute(data["persons"], rnd)
    for p in data["persons"]:
        p["circumstances"] = _permute(p["circumstances"], rnd)
        p["conduct"] = _permute(p["conduct"], rnd)
    return _rebuild(data)


def reorder_invariant(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Reordering persons, findings and circumstances changes nobody's outcome."""
    variant = reordered(case, params.seed)
    if variant == case:
        raise NotApplicable("nothing to reorder")
    a, b = checker.evaluate(case), checker.evaluate(variant)
    if _case_sig(a) != _case_sig(b):
        return Violation("reorder_invariant", f"reordering changed the case outcome: "
                         f"{_diff(_case_sig(a), _case_sig(b))}", case, variant)
    for po in a.persons:
        sa, sb = _person_sig(po, ordered=False), _person_sig(_outcome(b, po.id), ordered=False)
        if sa != sb:
            return Violation("reorder_invariant", f"reordering changed {po.id}'s outcome: {_diff(sa, sb)}",
                             case, variant, po.id)
    return None


def renamed(case: m.Case) -> tuple[m.Case, dict[str, str]]:
    """``case`` with every person id and name, the case id and the agency name replaced.

    Returns:
        The renamed case and the map from old to new person ids.
    """
    n = len(case.persons)
    ids = {p.id: f"x{n - i}" for i, p in enumerate(case.persons)}
    data = _dump(case)
    data["case"]["id"] = "R-9"
    data["case"]["agency"]["name"] = "某地某机关"
    for f in data["case"]["findings"]:
        f["persons"] = [ids[pid] for pid in f["persons"]]
    for i, p in enumerate(data["persons"]):
        p["id"] = ids[p["id"]]
        p["name"] = "甲乙丙丁戊己庚辛"[i % 8] + "某某"
    return _rebuild(data), ids


def rename_invariant(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Renaming person ids and names (and the case id) consistently changes no outcome."""
    variant, ids = renamed(case)
    a, b = checker.evaluate(case), checker.evaluate(variant)
    if _case_sig(a, ids) != _case_sig(b):
        return Violation("rename_invariant", f"renaming changed the case outcome: "
                         f"{_diff(_case_sig(a, ids), _case_sig(b))}", case, variant)
    for po in a.persons:
        sa, sb = _person_sig(po, ordered=True), _person_sig(_outcome(b, ids[po.id]), ordered=True)
        if sa != sb:
            return Violation("rename_invariant", f"renaming {po.id} to {ids[po.id]} changed the outcome: "
                             f"{_diff(sa, sb)}", case, variant, po.id)
    return None


def with_unrelated_person(case: m.Case, params: Params) -> tuple[m.Case, str]:
    """``case`` plus a person no finding names, without fault, conduct or circumstances."""
    taken = {p.id for p in case.persons}
    k = len(case.persons) + 1
    while f"p{k}" in taken:
        k += 1
    pid = f"p{k}"
    new = m.Person(id=pid, name="无关某", role=m.ROLES[params.pick % len(m.ROLES)], fault="none")  # type: ignore[arg-type]
    data = _dump(case)
    data["persons"].insert(params.person % (len(case.persons) + 1), new.model_dump())
    return _rebuild(data), pid


def unrelated_person_invariant(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Adding an unrelated person (no finding, no conduct, no fault) changes nobody else's outcome."""
    variant, pid = with_unrelated_person(case, params)
    a, b = checker.evaluate(case), checker.evaluate(variant)
    for po in a.persons:
        sa, sb = _person_sig(po, ordered=True), _person_sig(_outcome(b, po.id), ordered=True)
        if sa != sb:
            return Violation("unrelated_person_invariant", f"adding unrelated person {pid} changed {po.id}'s "
                             f"outcome: {_diff(sa, sb)}", case, variant, po.id)
    return None


# --------------------------------------------------------------------------- monotonicity


def _not_lower(name: str, what: str, checker: Checker, case: m.Case, variant: m.Case,
               pids: Sequence[str], direction: int = +1) -> Violation | None:
    a, b = checker.evaluate(case), checker.evaluate(variant)
    for pid in pids:
        pa, pb = _outcome(a, pid), _outcome(b, pid)
        if (direction > 0 and pb.rank < pa.rank) or (direction < 0 and pb.rank > pa.rank):
            verb = "lowered" if direction > 0 else "raised"
            return Violation(name, f"{what} {verb} {pid}'s rank from {_lv(pa)} to {_lv(pb)}", case, variant, pid)
    return None


def raise_fault(case: m.Case, index: int) -> m.Case:
    """``case`` with the fault of person ``index`` one step higher.

    Raises:
        NotApplicable: the fault is already intentional.
    """
    p = case.persons[index]
    rank = FAULT_RANK[p.fault]
    if rank >= len(m.FAULTS) - 1:
        raise NotApplicable("fault already intentional")
    data = _dump(case)
    data["persons"][index]["fault"] = m.FAULTS[rank + 1]
    return _rebuild(data)


def fault_monotone(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Raising a person's fault one step never lowers their rank."""
    i = _pick_person(checker, case, params, eligible=lambda p: p.fault != "intentional", liable="only")
    variant = raise_fault(case, i)
    p = case.persons[i]
    return _not_lower("fault_monotone", f"raising {p.id}'s fault from {p.fault} to {variant.persons[i].fault}",
                      checker, case, variant, [p.id])


def worsen_consequences(case: m.Case, pick: int) -> tuple[m.Case, str]:
    """``case`` with one consequence worse: more loss, more social impact, compensation or a mass incident.

    Raises:
        NotApplicable: that consequence cannot get worse.
    """
    data = _dump(case)
    cons = data["case"]["consequences"]
    kind = pick % 4
    if kind == 0:
        old = cons["economic_loss_yuan"]
        cons["economic_loss_yuan"] = old + LOSS_STEPS[(pick // 4) % len(LOSS_STEPS)]
        what = f"raising the economic loss from {old:g} to {cons['economic_loss_yuan']:g} yuan"
    elif kind == 1:
        i = m.SOCIAL_IMPACTS.index(cons["social_impact"])
        if i >= len(m.SOCIAL_IMPACTS) - 1:
            raise NotApplicable("social impact already the worst")
        cons["social_impact"] = m.SOCIAL_IMPACTS[i + 1]
        what = f"raising the social impact from {m.SOCIAL_IMPACTS[i]} to {cons['social_impact']}"
    else:
        key = "state_compensation" if kind == 2 else "mass_incident"
        if cons[key]:
            raise NotApplicable(f"{key} already true")
        cons[key] = True
        what = f"setting {key} to true"
    return _rebuild(data), what


def consequence_monotone(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Worsening a consequence never lowers anybody's rank."""
    _pick_person(checker, case, params, eligible=lambda p: True, liable="only")
    variant, what = worsen_consequences(case, params.pick)
    return _not_lower("consequence_monotone", what, checker, case, variant, [p.id for p in case.persons])


def _add_code(case: m.Case, index: int, codes: Sequence[str], pick: int) -> tuple[m.Case, str]:
    p = case.persons[index]
    free = [c for c in codes if c not in p.circumstances]
    if not free:
        raise NotApplicable("no code left to add")
    code = free[pick % len(free)]
    data = _dump(case)
    data["persons"][index]["circumstances"].append(code)
    return _rebuild(data), code


def aggravation_monotone(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Adding an aggravating circumstance to a person never lowers their rank."""
    codes = _codes(checker.rulebook, "aggravating")
    i = _pick_person(checker, case, params, eligible=lambda p: bool(set(codes) - set(p.circumstances)),
                     liable="only")
    variant, code = _add_code(case, i, codes, params.pick)
    pid = case.persons[i].id
    return _not_lower("aggravation_monotone", f"adding aggravating circumstance {code} to {pid}",
                      checker, case, variant, [pid])


def mitigation_monotone(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Adding a mitigating circumstance to a person never raises their rank."""
    codes = _codes(checker.rulebook, "mitigating")
    i = _pick_person(checker, case, params, eligible=lambda p: bool(set(codes) - set(p.circumstances)),
                     liable="mostly")
    variant, code = _add_code(case, i, codes, params.pick)
    pid = case.persons[i].id
    return _not_lower("mitigation_monotone", f"adding mitigating circumstance {code} to {pid}",
                      checker, case, variant, [pid], direction=-1)


def finding_monotone(checker: Checker, case: m.Case, params: Params) -> Violation | None:
    """Adding another finding against a person never lowers their rank."""
    i = _pick_person(checker, case, params, eligible=lambda p: True, liable="only")
    items = sorted(checker.rulebook.items)
    if not items:
        raise NotApplicable("the rulebook has no items")
    item = items[params.pick % len(items)]
    pid = case.persons[i].id
    data = _dump(case)
    data["case"]["findings"].append({"item": item, "persons": [pid]})
    variant = _rebuild(data)
    return _not_lower("finding_monotone", f"adding a finding of {item} against {pid}", checker, case, variant,
                      [pid])


# --------------------------------------------------------------------------- registry


def _prop(fn: CheckFn, durable: bool = False) -> Property:
    doc = (fn.__doc__ or "").strip().splitlines()[0]
    return Property(fn.__name__, fn, doc, durable)


#: Every property, by name, in the order they are checked and reported.
PROPERTIES: dict[str, Property] = {p.name: p for p in (
    _prop(evaluates),
    _prop(deterministic),
    _prop(reorder_invariant),
    _prop(rename_invariant),
    _prop(fault_monotone),
    _prop(consequence_monotone),
    _prop(aggravation_monotone),
    _prop(finding_monotone),
    _prop(mitigation_monotone),
    _prop(exemption_sound),
    _prop(non_error_zero),
    _prop(unrelated_person_invariant),
    _prop(cited_reasons),
    _prop(json_roundtrip),
    _prop(durable_agrees, durable=True),
)}
PROCESS_DOC = "Evaluations in other processes, under other PYTHONHASHSEED values, give byte-identical JSON."


def check(checker: Checker, name: str, case: m.Case, params: Params | None = None) -> Violation | None:
    """Check one property on one case; ``None`` when it holds or does not apply.

    An evaluation failure on the case or its variant becomes an ``evaluates`` violation.
    """
    return _check(checker, PROPERTIES[name], case, params or Params())[1]


def _check(checker: Checker, prop: Property, case: m.Case, params: Params) -> tuple[str, Violation | None]:
    try:
        v = prop.check(checker, case, params)
    except NotApplicable:
        return "n/a", None
    except EvaluationFailed as exc:
        return "fail", Violation("evaluates", f"evaluation failed ({exc.backend} backend): {exc.error}", exc.case)
    return ("fail" if v else "ok"), v


# --------------------------------------------------------------------------- runner


@dataclass
class PropertyResult:
    """How one property fared.

    Attributes:
        name: The property.
        doc: What must hold.
        checked: Cases on which it was checked and held (before the first violation, if any).
        not_applicable: Cases on which its transformation did not apply.
        violation: The minimal counterexample, if the property does not hold.
    """

    name: str
    doc: str
    checked: int = 0
    not_applicable: int = 0
    violation: Violation | None = None


@dataclass
class Report:
    """The result of :func:`run_properties` (what the certificate prints)."""

    rulebook_id: str
    rulebook_version: str
    sha256: str
    directory: str
    engine_version: str
    durable_version: str
    python_version: str
    seed: int
    examples: int
    exhaustive_cases: int
    results: list[PropertyResult]
    seconds: float = 0.0
    hash_seeds: tuple[str, ...] = HASH_SEEDS
    generated: int = 0
    error_cases: int = 0
    workers: int = 1

    @property
    def ok(self) -> bool:
        """Every property holds."""
        return all(r.violation is None for r in self.results)

    @property
    def violations(self) -> list[Violation]:
        """The counterexamples, one per violated property."""
        return [r.violation for r in self.results if r.violation is not None]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (cases as case-file dicts)."""
        return {
            "result": "pass" if self.ok else "fail",
            "rulebook": {"id": self.rulebook_id, "version": self.rulebook_version, "sha256": self.sha256,
                         "directory": self.directory},
            "engine": {"version": self.engine_version, "durable_rules": self.durable_version,
                       "python": self.python_version},
            "seed": self.seed,
            "workers": self.workers,
            "examples": self.examples,
            "generated": self.generated,
            "error_cases": self.error_cases,
            "exhaustive_cases": self.exhaustive_cases,
            "seconds": round(self.seconds, 2),
            "properties": [
                {"name": r.name, "doc": r.doc, "checked": r.checked, "not_applicable": r.not_applicable,
                 "holds": r.violation is None,
                 **({"violation": {
                     "message": r.violation.message, "person": r.violation.person,
                     "case": r.violation.case.model_dump(mode="json", exclude_defaults=True),
                     "variant": (r.violation.variant.model_dump(mode="json", exclude_defaults=True)
                                 if r.violation.variant else None)}} if r.violation else {})}
                for r in self.results
            ],
        }


class _Failed(Exception):
    """Raised inside the Hypothesis test; one subclass per property so each shrinks on its own."""

    def __init__(self, violation: Violation) -> None:
        self.violation = violation
        super().__init__(f"{violation.property}: {violation.message}")


_FAILED: dict[str, type[_Failed]] = {}


def _failed_class(name: str) -> type[_Failed]:
    cls = _FAILED.get(name)
    if cls is None:
        cls = type(f"Violated_{name}", (_Failed,), {"__module__": __name__})
        _FAILED[name] = cls
    return cls


def _collect(exc: BaseException) -> list[Violation]:
    if isinstance(exc, _Failed):
        return [exc.violation]
    if isinstance(exc, BaseExceptionGroup):
        return [v for e in exc.exceptions for v in _collect(e)]
    return []


def _durable_version() -> str:
    try:
        from importlib.metadata import version

        return version("durable_rules")
    except ImportError:  # pragma: no cover - not installed as a distribution
        return "unknown"


def exhaustive_cases(rulebook: Rulebook) -> Iterator[m.Case]:
    """The small exhaustive space: every item × role × fault × (no or one circumstance).

    Each case is an error case (the first ``(origin, outcome, effective)`` the rulebook counts as
    one) with one finding of the item naming ``p1``, who has the role, its typical conduct, the
    fault and at most one circumstance code.
    """
    from ..testing import CASE_ID, FIELDS, _agency, error_combinations

    combos = error_combinations(rulebook)
    origin, outcome, effective = combos[0] if combos else ("reconsideration", "revoked", True)
    codes: list[str | None] = [None, *sorted(rulebook.circumstances)]
    for item in sorted(rulebook.items):
        info = m.CaseInfo(id=CASE_ID, origin=origin, outcome=outcome, effective=effective,  # type: ignore[arg-type]
                          act_type="penalty", agency=_agency("county", FIELDS[0]),
                          findings=[m.Finding(item=item, persons=["p1"])])
        for role in m.ROLES:
            for fault in m.FAULTS:
                for code in codes:
                    p = m.Person(id="p1", name="张某", role=role, fault=fault,  # type: ignore[arg-type]
                                 conduct=list(TYPICAL_CONDUCT.get(role, ())),  # type: ignore[arg-type]
                                 circumstances=[code] if code else [])
                    yield m.Case(case=info, persons=[p])


def _replay_in_processes(book: Rulebook, sample: Sequence[m.Case], durable: bool,
                         checker: Checker) -> tuple[int, Violation | None]:
    """Evaluate ``sample`` in fresh processes under different PYTHONHASHSEEDs; compare the JSON."""
    if not sample:
        return 0, None
    with tempfile.TemporaryDirectory(prefix="accountrules-check-") as tmp:
        path = Path(tmp) / "sample.jsonl"
        path.write_text("".join(c.model_dump_json() + "\n" for c in sample), encoding="utf-8")
        procs = []
        for hs in HASH_SEEDS:
            env = {**os.environ, "PYTHONHASHSEED": hs}
            cmd = [sys.executable, "-m", "accountrules.consistency.properties", "replay", str(book.directory),
                   book.display_root, str(path), "durable" if durable else "python"]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env))
        outs: list[list[dict[str, str]]] = []
        for hs, proc in zip(HASH_SEEDS, procs, strict=True):
            out, err = proc.communicate(timeout=300)
            if proc.returncode != 0:
                msg = (err.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
                return 0, Violation(PROCESS_PROPERTY, f"the replay process (PYTHONHASHSEED={hs}) failed: {msg}",
                                    sample[0])
            outs.append([json.loads(line) for line in out.decode("utf-8").splitlines() if line.strip()])
    here = [to_json(checker.evaluate(c)) for c in sample]
    for i, case in enumerate(sample):
        versions = [("this process", {"python": here[i]})] + [
            (f"PYTHONHASHSEED={hs}", o[i]) for hs, o in zip(HASH_SEEDS, outs, strict=True)]
        for backend in ("python", "durable"):
            texts = [(who, r[backend]) for who, r in versions if backend in r]
            for who, text in texts[1:]:
                if text != texts[0][1]:
                    d = _first_diff(json.loads(texts[0][1]), json.loads(text))
                    return i, Violation(PROCESS_PROPERTY, f"{backend} backend: {texts[0][0]} and {who} differ at {d}",
                                        case)
    return len(sample), None


def _replay_main(argv: Sequence[str]) -> int:
    """``python -m accountrules.consistency.properties replay DIR DISPLAY_ROOT CASES.jsonl durable|python``."""
    from ..rules import load_rulebook

    _, directory, display_root, cases_file, backends = argv[:5]
    book = load_rulebook(directory, display_root=display_root)
    engines = {"python": Engine(book, backend="python")}
    if backends == "durable":
        engines["durable"] = Engine(book, backend="durable")
    out = sys.stdout
    with open(cases_file, encoding="utf-8") as fh:
        for line in fh:
            case = m.Case.model_validate_json(line)
            row: dict[str, str] = {}
            for name, eng in engines.items():
                try:
                    row[name] = to_json(eng.evaluate(case))
                except AccountRulesError as exc:
                    row[name] = f"error: {exc}"
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


@dataclass
class _State:
    results: dict[str, PropertyResult]
    props: list[Property]
    checker: Checker
    failed: bool = False
    calls: int = 0
    error_cases: int = 0
    sample: list[m.Case] = field(default_factory=list)

    def run(self, case: m.Case, params: Params, *, raise_: bool, sample: bool = True) -> None:
        counting = not self.failed
        if counting:
            self.calls += 1
            if sample and len(self.sample) < PROCESS_SAMPLE:
                self.sample.append(case)
            try:
                if self.checker.evaluate(case).error_case.status == "error_case":
                    self.error_cases += 1
            except EvaluationFailed:
                pass
        for prop in self.props:
            status, v = _check(self.checker, prop, case, params)
            if v is not None:
                v.params = params
                if raise_:
                    self.failed = True
                    raise _failed_class(v.property)(v)
                r = self.results.setdefault(v.property, PropertyResult(v.property, PROPERTIES[v.property].doc))
                if r.violation is None:
                    r.violation = v
                continue
            if counting:
                r = self.results[prop.name]
                if status == "ok":
                    r.checked += 1
                else:
                    r.not_applicable += 1


def _generate(book: Rulebook, state: _State, *, examples: int, seed: int, max_persons: int,
              max_findings: int) -> list[Violation]:
    """Run Hypothesis in this process; return the shrunk violations."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    from ..testing import cases

    strategy = cases(book, max_persons=max_persons, max_findings=max_findings, error_bias=True)
    params = st.builds(Params, st.integers(0, 7), st.integers(0, 63), st.integers(0, 2**16))

    @hseed(seed)
    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False,
              report_multiple_bugs=MULTIPLE_BUGS, phases=(Phase.generate, Phase.shrink))
    @given(case=strategy, params=params)
    def _generated(case: m.Case, params: Params) -> None:
        state.run(case, params, raise_=True)

    try:
        _generated()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        found = _collect(exc)
        if not found:
            raise
        return found
    return []


def _violation_to_dict(v: Violation) -> dict[str, Any]:
    return {"property": v.property, "message": v.message, "person": v.person, "case": v.case.model_dump_json(),
            "variant": v.variant.model_dump_json() if v.variant is not None else None,
            "params": [v.params.person, v.params.pick, v.params.seed] if v.params else None}


def _violation_from_dict(d: Mapping[str, Any]) -> Violation:
    return Violation(d["property"], d["message"], m.Case.model_validate_json(d["case"]),
                     m.Case.model_validate_json(d["variant"]) if d["variant"] else None, d["person"],
                     Params(*d["params"]) if d["params"] else None)


def _renumber(data: dict[str, Any]) -> m.Case:
    """Rebuild a case dict with persons renumbered ``p1`` … by position (findings follow)."""
    from ..testing import _name

    ids = {p["id"]: f"p{i}" for i, p in enumerate(data["persons"], 1)}
    for i, p in enumerate(data["persons"]):
        p["id"] = ids[p["id"]]
        p["name"] = _name(i)
    for f in data["case"]["findings"]:
        f["persons"] = [ids[pid] for pid in f["persons"] if pid in ids]
    return _rebuild(data)


def _at(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        data = data[part]
    return data


def _simpler(case: m.Case) -> Iterator[m.Case]:  # noqa: C901 - one shrink step per field of the case, in the order a reader wants them tried
    """Cases one step simpler than ``case``: a person, finding, code or flag fewer, a value plainer."""
    base = _dump(case)

    def edit(fn: Callable[[dict[str, Any]], object]) -> m.Case | None:
        data = _dump(case)
        if fn(data) is False:
            return None
        try:
            return _renumber(data)
        except ValueError:
            return None

    def drop_person(i: int) -> Callable[[dict[str, Any]], None]:
        def f(d: dict[str, Any]) -> None:
            pid = d["persons"].pop(i)["id"]
            for fd in d["case"]["findings"]:
                fd["persons"] = [x for x in fd["persons"] if x != pid]
        return f

    def pop(path: tuple[str | int, ...], j: int) -> Callable[[dict[str, Any]], None]:
        return lambda d: _at(d, path).pop(j)

    def put(path: tuple[str | int, ...], key: str, value: Any) -> Callable[[dict[str, Any]], bool]:
        def f(d: dict[str, Any]) -> bool:
            target = _at(d, path)
            if target.get(key) == value:
                return False
            target[key] = value
            return True
        return f

    fns: list[Callable[[dict[str, Any]], object]] = [drop_person(i) for i in range(len(base["persons"]))]
    c = base["case"]
    for j in range(len(c["findings"])):
        fns.append(pop(("case", "findings"), j))
    for j, fd in enumerate(c["findings"]):
        for k in range(len(fd["persons"])):
            fns.append(pop(("case", "findings", j, "persons"), k))
    for k in range(len(c["grounds"])):
        fns.append(pop(("case", "grounds"), k))
    for i, p in enumerate(base["persons"]):
        for key in ("circumstances", "conduct"):
            for k in range(len(p[key])):
                fns.append(pop(("persons", i, key), k))
        for key, plain in (("fault", "none"), ("role", "handler")):
            fns.append(put(("persons", i), key, plain))
        for key in ("party_member", "leading_cadre", "private_gain", "superior_order_manifestly_unlawful",
                    "diligent_review", "crime_suspected"):
            fns.append(put(("persons", i), key, False))
        if p["fault"] in ("gross_negligence", "intentional"):
            fns.append(put(("persons", i), "fault", m.FAULTS[FAULT_RANK[p["fault"]] - 1]))
    plain_case: list[tuple[str, Any]] = [("hearing", None), ("decided_on", None), ("conduct_date", None),
                                         ("act_type", "penalty")]
    for key, plain in plain_case:
        fns.append(put(("case",), key, plain))
    defaults = {"consequences": m.Consequences().model_dump(), "history": m.History().model_dump()}
    for section, values in defaults.items():
        for key, plain in values.items():
            fns.append(put(("case", section), key, plain))
    for fn in fns:
        cand = edit(fn)
        if cand is not None and cand != case:
            yield cand


def minimize(checker: Checker, violation: Violation, *, budget: int = 400) -> Violation:
    """Greedily simplify a counterexample while the same property still fails on it.

    Hypothesis shrinks by its own measure; this pass makes the case *readable*: it drops
    persons (renumbering ``p1`` …), findings, codes and flags, and plains values, one step at
    a time, keeping each step after which the same property still fails (with the same params).
    """
    if violation.property not in PROPERTIES:
        return violation
    params = violation.params or Params()
    best = violation
    tries = 0
    improved = True
    while improved and tries < budget:
        improved = False
        for cand in _simpler(best.case):
            tries += 1
            _, v = _check(checker, PROPERTIES[violation.property], cand, params) if violation.property != "evaluates" \
                else _check(checker, PROPERTIES["evaluates"], cand, params)
            if v is not None and v.property == violation.property:
                v.params = params
                best = v
                improved = True
                break
            if tries >= budget:
                break
    return best


def _work(book: Rulebook, state: _State, spec: Mapping[str, Any]) -> dict[str, Any]:
    """One share of a run: generated examples, then a slice of the exhaustive space.

    ``spec`` holds ``examples``, ``seed``, ``max_persons``, ``max_findings`` and ``exhaustive``
    (``[k, n]``: every n-th exhaustive case from the k-th, or ``None``).
    """
    found: list[Violation] = []
    if spec["examples"] > 0:
        found = _generate(book, state, examples=spec["examples"], seed=spec["seed"],
                          max_persons=spec["max_persons"], max_findings=spec["max_findings"])
    generated, error_cases = state.calls, state.error_cases
    exhaustive = 0
    if spec["exhaustive"] is not None:
        k, n = spec["exhaustive"]
        state.failed = False
        before = {name: r.violation for name, r in state.results.items()}
        for i, case in enumerate(exhaustive_cases(book)):
            if i % n == k:
                exhaustive += 1
                state.run(case, Params(person=0, pick=i, seed=0), raise_=False)
        for name, r in state.results.items():
            if r.violation is not None and before.get(name) is None:
                found.append(r.violation)
                r.violation = None
    return {"found": found, "generated": generated, "error_cases": error_cases, "exhaustive": exhaustive}


def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One worker process of a parallel run: load the rulebook, work, report back plain data."""
    from ..rules import load_rulebook

    book = load_rulebook(spec["directory"], display_root=spec["display_root"])
    if book.sha256 != spec["sha256"]:
        raise RuntimeError("the rulebook changed on disk during the check")
    props = [PROPERTIES[n] for n in spec["names"]]
    results = {p.name: PropertyResult(p.name, p.doc) for p in props}
    state = _State(results, props, Checker(book, durable=spec["durable"]))
    done = _work(book, state, spec)
    return {
        "counts": {n: (r.checked, r.not_applicable) for n, r in results.items()},
        "generated": done["generated"],
        "error_cases": done["error_cases"],
        "exhaustive": done["exhaustive"],
        "sample": [c.model_dump_json() for c in state.sample],
        "violations": [_violation_to_dict(v) for v in done["found"]],
    }


def _run_workers(specs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run :func:`_worker` for each spec in its own ``python -m accountrules.consistency.properties`` process."""
    procs = []
    for spec in specs:
        procs.append(subprocess.Popen([sys.executable, "-m", "accountrules.consistency.properties", "worker", json.dumps(spec)],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    parts: list[dict[str, Any]] = []
    failures: list[str] = []
    for proc in procs:
        out, err = proc.communicate()  # reads both pipes, so a chatty worker cannot block
        if proc.returncode != 0:
            failures.append((err.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1])
        else:
            parts.append(json.loads(out))
    if failures:
        raise RuntimeError(f"a worker process failed: {failures[0]}")
    return parts


def _size(v: Violation) -> tuple[int, int]:
    return (len(case_yaml(v.case)), len(case_yaml(v.variant)) if v.variant is not None else 0)


def run_properties(rulebook: Rulebook, *, examples: int = 2000, seed: int = 0, exhaustive: bool = False,
                   properties: Sequence[str] | None = None, durable: bool | None = None, processes: bool = True,
                   workers: int = 1, max_persons: int = 4, max_findings: int = 3) -> Report:
    """Check the properties on ``examples`` generated cases (and the exhaustive space if asked).

    Hypothesis generates the cases (:func:`accountrules.testing.cases`, mostly error cases),
    seeded and without an example database, so a run is reproducible: worker ``k`` of
    ``workers`` runs its share of the examples with seed ``seed + k``. Every violated property
    is shrunk on its own to a minimal counterexample (the smallest over the workers is kept).

    Args:
        rulebook: The rulebook under test.
        examples: How many generated cases in all (0 to skip generation).
        seed: The Hypothesis seed (of worker 0).
        exhaustive: Also check every item × role × fault × single circumstance case.
        properties: Only these properties (names of :data:`PROPERTIES`); default all.
        durable: Build the durable-rules engine (``durable_agrees`` and the durable replay).
        processes: Replay a sample in two processes with different ``PYTHONHASHSEED`` values.
        workers: Generate in this many processes (1: in this process).
        max_persons: The most persons per generated case.
        max_findings: The most findings per generated case.

    Returns:
        The :class:`Report`; ``report.ok`` is false when a property does not hold.

    Raises:
        ValueError: an unknown property name, or a negative count.
    """
    names = list(properties) if properties else list(PROPERTIES)
    unknown = [n for n in names if n not in PROPERTIES and n != PROCESS_PROPERTY]
    if unknown:
        raise ValueError(f"unknown properties: {', '.join(unknown)}; known: {', '.join(PROPERTIES)}, "
                         f"{PROCESS_PROPERTY}")
    if examples < 0 or workers < 1:
        raise ValueError("examples must be >= 0 and workers >= 1")
    if durable is None:  # where durable-rules imports
        from ..engine import default_backend

        durable = default_backend() == "durable"
    props = [PROPERTIES[n] for n in names if n in PROPERTIES and (durable or not PROPERTIES[n].durable)]
    want_processes = processes and (properties is None or PROCESS_PROPERTY in names)
    started = time.perf_counter()
    checker = Checker(rulebook, durable=durable)
    results = {p.name: PropertyResult(p.name, p.doc) for p in props}
    state = _State(results, props, checker)
    found: list[Violation] = []
    generated = exhaustive_count = error_cases = 0
    workers = max(1, min(workers, max(examples, 1 if not exhaustive else workers)))
    shares = [examples // workers + (1 if k < examples % workers else 0) for k in range(workers)]
    specs = [{"directory": str(rulebook.directory), "display_root": rulebook.display_root,
              "sha256": rulebook.sha256, "names": [p.name for p in props], "durable": durable,
              "examples": n, "seed": seed + k, "max_persons": max_persons, "max_findings": max_findings,
              "exhaustive": [k, workers] if exhaustive else None}
             for k, n in enumerate(shares)]
    if workers == 1:
        done = _work(rulebook, state, specs[0])
        found, generated, error_cases = done["found"], done["generated"], done["error_cases"]
        exhaustive_count = done["exhaustive"]
    else:
        for part in _run_workers(specs):
            for n, (ok, na) in part["counts"].items():
                r = results.setdefault(n, PropertyResult(n, PROPERTIES[n].doc))
                r.checked += ok
                r.not_applicable += na
            generated += part["generated"]
            error_cases += part["error_cases"]
            exhaustive_count += part["exhaustive"]
            for text in part["sample"][: PROCESS_SAMPLE // workers]:
                state.sample.append(m.Case.model_validate_json(text))
            found += [_violation_from_dict(d) for d in part["violations"]]
    found = [minimize(checker, v) for v in found]
    for v in sorted(found, key=_size):
        r = results.setdefault(v.property, PropertyResult(v.property, PROPERTIES[v.property].doc))
        if r.violation is None:
            r.violation = v

    if want_processes:
        res = results.setdefault(PROCESS_PROPERTY, PropertyResult(PROCESS_PROPERTY, PROCESS_DOC))
        res.checked, res.violation = _replay_in_processes(rulebook, state.sample, durable, checker)

    ordered = [results[n] for n in [*PROPERTIES, PROCESS_PROPERTY] if n in results]
    return Report(
        rulebook_id=rulebook.manifest.id, rulebook_version=rulebook.manifest.version, sha256=rulebook.sha256,
        directory=rulebook.display_root, engine_version=__version__, durable_version=_durable_version(),
        python_version=".".join(map(str, sys.version_info[:3])), seed=seed, examples=examples,
        exhaustive_cases=exhaustive_count, results=ordered, seconds=time.perf_counter() - started,
        generated=generated, error_cases=error_cases, workers=workers)


# --------------------------------------------------------------------------- counterexample files


def write_counterexample(violation: Violation, path: str | Path, *, rules: str | None = None,
                         rulebook: Rulebook | None = None) -> list[Path]:
    """Write a violation as ready-to-run YAML case files; return their paths.

    ``path`` receives the case; for a relational property, ``<stem>.variant.yaml`` beside it
    receives the transformed case, and evaluating both side by side shows the violation. Each
    file starts with comments naming the property, the rulebook and the command to run.

    Args:
        violation: The violation to write.
        path: The case file to write.
        rules: The rulebook directory as it should appear in the command (``--rules``).
        rulebook: The rulebook, to name it in the header.
    """
    main = Path(path)
    files = [main]
    if violation.variant is not None:
        name = main.name.removesuffix(".yaml")
        files.append(main.with_name(f"{name}.variant.yaml"))
    prop = PROPERTIES.get(violation.property)
    rules_opt = f" --rules {rules}" if rules else ""
    command = f"accountrules evaluate{rules_opt} --format text " + " ".join(str(f) for f in files)
    header = [f"accountrules check: counterexample for property '{violation.property}'"]
    if prop is not None:
        header.append(f"property: {prop.doc}")
    if rulebook is not None:
        header.append(f"rulebook: {rulebook.manifest.id} {rulebook.manifest.version} sha256 {rulebook.sha256}")
    header.append(f"violation: {violation.message}")
    header.append(f"run: {command}")
    first = ("this file: the case before the change" if violation.variant is not None
             else "this file: the case that shows the violation")
    texts = [case_yaml(violation.case, [*header, first])]
    if violation.variant is not None:
        after = f"this file: the case after the change (compare with {files[0].name})"
        texts.append(case_yaml(violation.variant, [*header, after]))
    for f, text in zip(files, texts, strict=True):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, encoding="utf-8")
    return files


if __name__ == "__main__":  # helper processes: the replay of determinism, the workers of a parallel run
    if len(sys.argv) >= 6 and sys.argv[1] == "replay":
        sys.exit(_replay_main(sys.argv[1:]))
    if len(sys.argv) == 3 and sys.argv[1] == "worker":
        sys.stdout.write(json.dumps(_worker(json.loads(sys.argv[2]))))
        sys.exit(0)
    print("usage: python -m accountrules.consistency.properties replay DIR DISPLAY_ROOT CASES.jsonl durable|python\n"
          "       python -m accountrules.consistency.properties worker SPEC-JSON", file=sys.stderr)
    sys.exit(2)
