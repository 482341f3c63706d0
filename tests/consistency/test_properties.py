"""Sanction consistency (issue #5): strategies, properties, ``accountrules check``, mutation tests.

The Hypothesis settings live here, not in ``conftest.py``: the profiles ``accountrules-ci``
(default) and ``accountrules-dev`` (more examples) are registered but never loaded globally, so
other test modules keep their own settings. Pick one with ``ACCOUNTRULES_HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accountrules import Case, Engine, load_rulebook, models
from accountrules.properties import (
    PROCESS_PROPERTY,
    PROPERTIES,
    Checker,
    Params,
    Violation,
    _replay_in_processes,
    case_yaml,
    check,
    exhaustive_cases,
    minimize,
    reordered,
    run_properties,
    with_unrelated_person,
    write_counterexample,
)
from accountrules.rules import Rulebook
from accountrules.testing import (
    CASE_ID,
    case_infos,
    cases,
    error_combinations,
    findings,
    is_error_case,
    persons,
)

from ..conftest import DURABLE, MINI, ROOT

_EXPECTED = [n for n in PROPERTIES if DURABLE or not PROPERTIES[n].durable]  # durable_agrees needs durable

FIXTURES = ROOT / "tests" / "fixtures"

settings.register_profile("accountrules-ci", max_examples=60, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("accountrules-dev", max_examples=400, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
PROFILE = settings.get_profile(os.environ.get("ACCOUNTRULES_HYPOTHESIS_PROFILE", "accountrules-ci"))
#: Generated examples per property run (the CLI's default of 2,000 is certified by `accountrules check`).
RUN_EXAMPLES = 150 if PROFILE.max_examples < 100 else 1000


@pytest.fixture(scope="module")
def mini() -> Rulebook:
    return load_rulebook(MINI)


@pytest.fixture(scope="module")
def default() -> Rulebook:
    return load_rulebook()


@pytest.fixture(scope="module")
def mini_checker(mini: Rulebook) -> Checker:
    return Checker(mini)


def _assert_valid(case: Case, book: Rulebook) -> None:
    """A generated case is valid, readable, and uses the rulebook's vocabularies only."""
    again = Case.model_validate_json(case.model_dump_json())
    assert again == case
    assert case.case.id == CASE_ID
    ids = [p.id for p in case.persons]
    assert ids == [f"p{i}" for i in range(1, len(ids) + 1)]
    for f in case.case.findings:
        assert f.item in book.items
        assert set(f.persons) <= set(ids) and len(set(f.persons)) == len(f.persons)
    for p in case.persons:
        assert set(p.circumstances) <= set(book.circumstances)
        assert len(set(p.circumstances)) == len(p.circumstances)
        assert len(set(p.conduct)) == len(p.conduct)
    assert len(set(case.case.grounds)) == len(case.case.grounds)
    if case.case.origin != "court":
        assert case.case.hearing is None


# --------------------------------------------------------------------------- strategies


@PROFILE
@given(data=st.data())
def test_generated_cases_are_valid_for_the_mini_rulebook(mini: Rulebook, data: st.DataObject) -> None:
    case = data.draw(cases(mini))
    _assert_valid(case, mini)
    Engine(mini, backend="python").check_case(case)


@PROFILE
@given(data=st.data())
def test_generated_cases_are_valid_for_the_default_rulebook(default: Rulebook, data: st.DataObject) -> None:
    case = data.draw(cases(default, max_persons=3))
    _assert_valid(case, default)
    Engine(default, backend="python").evaluate(case)


@PROFILE
@given(data=st.data())
def test_error_only_cases_are_error_cases(mini: Rulebook, data: st.DataObject) -> None:
    case = data.draw(cases(mini, error_only=True))
    assert is_error_case(mini, case.case)
    assert Engine(mini, backend="python").evaluate(case).error_case.status == "error_case"


@PROFILE
@given(data=st.data())
def test_component_strategies(mini: Rulebook, data: st.DataObject) -> None:
    people = data.draw(persons(mini, min_size=2, max_size=3))
    assert [p.id for p in people] == ["p1", "p2", "p3"][: len(people)]
    found = data.draw(findings(mini, [p.id for p in people]))
    assert all(set(f.persons) <= {p.id for p in people} for f in found)
    info = data.draw(case_infos(mini, [p.id for p in people]))
    Case(case=info, persons=people)


def test_error_combinations_and_the_minimal_case(mini: Rulebook) -> None:
    combos = error_combinations(mini)
    assert ("reconsideration", "revoked", True) in combos
    assert all(effective for _, _, effective in combos)
    # the simplest case (Hypothesis draws it first): an ordinarily negligent handler named in one finding
    seen: list[Case] = []

    @settings(max_examples=1, database=None, phases=[Phase.generate])
    @given(cases(mini, error_bias=True))
    def first(case: Case) -> None:
        seen.append(case)

    first()
    minimal = seen[0]
    assert [p.id for p in minimal.persons] == ["p1"]
    assert minimal.persons[0].fault == "ordinary_negligence" and minimal.persons[0].circumstances == []
    assert [f.persons for f in minimal.case.findings] == [["p1"]]
    assert (minimal.case.origin, minimal.case.outcome, minimal.case.effective) == combos[0]


# --------------------------------------------------------------------------- properties, one by one


def _case(**person: Any) -> Case:
    p = {"id": "p1", "name": "张某", "role": "handler", "fault": "ordinary_negligence", **person}
    return Case.model_validate({
        "case": {"id": "H-1", "origin": "reconsideration", "outcome": "revoked", "effective": True,
                 "act_type": "penalty", "agency": {"name": "某局", "level": "county", "field": "natural_resources"},
                 "findings": [{"item": "P2", "persons": ["p1", "p2"]}]},
        "persons": [p, {"id": "p2", "name": "李某", "role": "reviewer", "fault": "gross_negligence",
                        "conduct": ["failed_to_detect"], "circumstances": ["MT7", "AG2"]}],
    })


@pytest.mark.parametrize("name", list(PROPERTIES))
def test_each_property_holds_on_a_plain_case(mini_checker: Checker, name: str) -> None:
    for params in (Params(), Params(1, 1, 1), Params(3, 5, 7)):
        assert check(mini_checker, name, _case(circumstances=["AG2"]), params) is None


def test_transformations_give_valid_cases() -> None:
    case = _case(circumstances=["AG2", "EX5"], conduct=["proposed_wrong_opinion", "failed_to_detect"])
    back = reordered(case)
    assert [p.id for p in back.persons] == ["p2", "p1"]
    assert back.persons[1].circumstances == ["EX5", "AG2"]
    assert back.case.findings[0].persons == ["p2", "p1"]
    plus, pid = with_unrelated_person(case, Params(person=1))
    assert pid == "p3" and [p.id for p in plus.persons] == ["p1", "p3", "p2"]
    assert all(pid not in f.persons for f in plus.case.findings)


def test_exemption_and_non_error_properties_report_precisely(mini_checker: Checker) -> None:
    # the mini rulebook blocks exemptions for intent, so EX5 + intent is not exempted
    assert check(mini_checker, "exemption_sound", _case(fault="intentional", circumstances=["EX5"])) is None
    pending = _case().model_copy(update={"case": _case().case.model_copy(update={"effective": False})})
    assert check(mini_checker, "non_error_zero", pending) is None


def test_minimize_drops_what_the_violation_does_not_need() -> None:
    book = load_rulebook(FIXTURES / "broken-exemption-ignores-intent")
    checker = Checker(book, durable=False)
    big = _case(fault="intentional", circumstances=["EX5", "AG2"], private_gain=True)
    v = check(checker, "exemption_sound", big)
    assert v is not None and v.person == "p1"
    small = minimize(checker, v)
    assert len(small.case.persons) == 1
    p = small.case.persons[0]
    assert (p.fault, p.circumstances, p.private_gain) == ("intentional", ["EX5"], False)


def test_case_yaml_reads_back(mini_checker: Checker) -> None:
    from accountrules.intake import read_case_text

    case = _case(circumstances=["AG2"])
    text = case_yaml(case, ["a header"])
    assert text.startswith("# a header\n")
    assert read_case_text(text) == case


def test_determinism_across_processes(mini: Rulebook, mini_checker: Checker) -> None:
    sample = [_case(), _case(fault="intentional", circumstances=["EX5"])]
    n, v = _replay_in_processes(mini, sample, DURABLE, mini_checker)
    assert v is None and n == 2


# --------------------------------------------------------------------------- run_properties


def _assert_all_hold(report: Any) -> None:
    problems = [f"{r.name}: {r.violation.message}\n{case_yaml(r.violation.case)}" for r in report.results
                if r.violation is not None]
    assert report.ok, "\n".join(problems)


def test_properties_hold_on_the_mini_rulebook(mini: Rulebook) -> None:
    report = run_properties(mini, examples=RUN_EXAMPLES, seed=0)
    _assert_all_hold(report)
    names = [r.name for r in report.results]
    assert names == [*_EXPECTED, PROCESS_PROPERTY]
    assert report.generated >= RUN_EXAMPLES and report.error_cases > RUN_EXAMPLES // 3
    for r in report.results:
        assert r.checked > 0, r.name
    assert report.sha256 == mini.sha256


def test_exhaustive_mode_on_the_mini_rulebook(mini: Rulebook) -> None:
    space = list(exhaustive_cases(mini))
    assert len(space) == len(mini.items) * len(models.ROLES) * len(models.FAULTS) * (1 + len(mini.circumstances))
    report = run_properties(mini, examples=0, exhaustive=True, processes=False)
    _assert_all_hold(report)
    assert report.exhaustive_cases == len(space)


def test_properties_hold_on_the_default_rulebook(default: Rulebook) -> None:
    report = run_properties(default, examples=RUN_EXAMPLES, seed=0)
    _assert_all_hold(report)


def test_unknown_property_is_refused(mini: Rulebook) -> None:
    with pytest.raises(ValueError, match="unknown properties"):
        run_properties(mini, examples=1, properties=["no_such_property"])


# --------------------------------------------------------------------------- mutation tests

MUTANTS = {
    "broken-aggravation-lowers": "aggravation_monotone",
    "broken-exemption-ignores-intent": "exemption_sound",
    "broken-mitigation-raises": "mitigation_monotone",
}


def _evaluate(rules: Path, files: list[Path]) -> list[dict[str, Any]]:
    cmd = [sys.executable, "-m", "accountrules", "evaluate", "--rules", str(rules), "--format", "json",
           *map(str, files)]
    p = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    return out if isinstance(out, list) else [out]


def _shows_violation(prop: str, v: Violation, recs: list[dict[str, Any]]) -> None:
    """The recommendations of the written counterexample files show the violation."""
    pid = v.person
    assert pid is not None
    ranks = [next(p["rank"] for p in rec["persons"] if p["id"] == pid) for rec in recs]
    if prop == "aggravation_monotone":
        assert ranks[1] < ranks[0]
    elif prop == "mitigation_monotone":
        assert ranks[1] > ranks[0]
    else:
        person = next(p for p in v.case.persons if p.id == pid)
        out = next(p for p in recs[0]["persons"] if p["id"] == pid)
        assert person.fault == "intentional" and out["exemption"] is not None and out["rank"] == 0


@pytest.mark.parametrize("fixture", list(MUTANTS))
def test_each_broken_rulebook_yields_a_counterexample(fixture: str, tmp_path: Path) -> None:
    prop = MUTANTS[fixture]
    rules = FIXTURES / fixture
    book = load_rulebook(rules)
    report = run_properties(book, examples=400, seed=0, processes=False)
    violated = {v.property: v for v in report.violations}
    assert prop in violated, [r.name for r in report.results]
    v = violated[prop]
    assert len(v.case.persons) == 1, case_yaml(v.case)  # minimal and readable
    files = write_counterexample(v, tmp_path / f"counterexample-{prop}.yaml", rules=str(rules), rulebook=book)
    assert len(files) == (1 if prop == "exemption_sound" else 2)
    assert f"property '{prop}'" in files[0].read_text(encoding="utf-8")
    _shows_violation(prop, v, _evaluate(rules, files))


@pytest.mark.parametrize("fixture", list(MUTANTS))
def test_exhaustive_mode_catches_each_broken_rulebook(fixture: str) -> None:
    book = load_rulebook(FIXTURES / fixture)
    report = run_properties(book, examples=0, exhaustive=True, processes=False, durable=False)
    assert MUTANTS[fixture] in {v.property for v in report.violations}


# --------------------------------------------------------------------------- the command


def _check_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "accountrules", "check", *args], check=False, capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_check_prints_a_certificate(tmp_path: Path, mini: Rulebook) -> None:
    p = _check_cli(str(MINI), "--examples", "120", "--seed", "3", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert "accountrules consistency certificate" in out
    assert mini.sha256 in out
    assert re.search(r"seed\s+3 \(2 workers, seeds 3, 4\)", out)
    assert re.search(r"examples\s+120 generated", out)
    for name in [*_EXPECTED, PROCESS_PROPERTY]:
        assert re.search(rf"{name}\s+\d+\s+\d+\s+holds", out), name
    assert ("durable-rules 2.0.28" in out or not DURABLE) and "PASS" in out
    assert not list(tmp_path.glob("counterexample-*"))


def test_check_writes_the_counterexample_and_exits_1(tmp_path: Path) -> None:
    rules = FIXTURES / "broken-mitigation-raises"
    out_file = tmp_path / "ce.yaml"
    p = _check_cli(str(rules), "--examples", "300", "--workers", "1", "--out", str(out_file), "--format", "json",
                   cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    data = json.loads(p.stdout)
    assert data["result"] == "fail"
    files = data["counterexamples"]["mitigation_monotone"]
    assert files == [str(out_file), str(tmp_path / "ce.variant.yaml")]
    recs = _evaluate(rules, [Path(f) for f in files])
    assert recs[1]["persons"][0]["rank"] > recs[0]["persons"][0]["rank"]


def test_check_rejects_an_unknown_property(tmp_path: Path) -> None:
    p = _check_cli(str(MINI), "--property", "nope", cwd=tmp_path)
    assert p.returncode == 2 and "unknown property 'nope'" in p.stderr
