"""Realistic cases the rulebook's own cases do not contain, with the outcomes the law calls for.

Each scenario runs on both backends (the recommendations must be identical apart from the backend).
"""

from __future__ import annotations

from typing import Any

import pytest

from accountrules import Engine
from accountrules.intake import read_case_file
from accountrules.render import to_json

from ..conftest import ROOT

SC = ROOT / "tests" / "scenarios"


def _eval(engine: Engine, py_engine: Engine, name: str) -> Any:
    case = read_case_file(SC / f"{name}.yaml")
    a, b = engine.evaluate(case, lang="en"), py_engine.evaluate(case, lang="en")
    assert to_json(a).replace('"durable"', '"python"') == to_json(b)
    return a


def _p(rec: Any) -> dict[str, Any]:
    return {p.id: p for p in rec.persons}


def test_handler_reviewer_approver_chain(engine: Engine, py_engine: Engine) -> None:
    rec = _eval(engine, py_engine, "chain")
    assert (rec.error_case.status, rec.error_case.definition) == ("error_case", "T1")
    p = _p(rec)
    assert (p["h1"].responsibility, p["h1"].level) == ("direct", "notified_criticism")
    assert (p["r1"].responsibility, p["r1"].rank) == ("primary_leadership", 1)
    assert (p["a1"].responsibility, p["a1"].rank) == ("important_leadership", 1)
    assert p["h1"].rank >= p["r1"].rank >= p["a1"].rank  # S41 art 16: 直接 > 主要领导 > 重要领导
    assert (p["x1"].rank, p["x1"].responsibility) == (0, "none")
    assert p["r1"].channel == "party_accountability" and p["h1"].channel == "enforcement_fault"


def test_collective_decision_with_recorded_dissent(engine: Engine, py_engine: Engine) -> None:
    rec = _eval(engine, py_engine, "collective")
    p = _p(rec)
    assert p["c1"].responsibility == "primary_leadership" and p["c1"].rank > p["c2"].rank > 0
    assert p["c2"].responsibility == "important_leadership"
    assert p["c3"].rank == 0 and p["c3"].exemption is not None and p["c3"].exemption.code == "EX5"
    assert p["c3"].exemption.reasons and p["c3"].exemption.reasons[0].citation.article


def test_intentional_abuse_with_falsified_evidence(engine: Engine, py_engine: Engine) -> None:
    rec = _eval(engine, py_engine, "abuse")
    h = _p(rec)["h1"]
    assert h.exemption is None and h.referral == "discipline" and h.rank >= 6
    ex1 = next(c for c in h.considered if c.code == "EX1")
    assert not ex1.applied and ex1.why
    assert rec.review.track == "key"


def test_head_absent_without_and_with_justified_reason(engine: Engine, py_engine: Engine) -> None:
    rec = _eval(engine, py_engine, "absent")
    assert rec.error_case.definition == "T5" and _p(rec)["p1"].rank >= 1
    ok = _eval(engine, py_engine, "absent_ok")
    assert ok.error_case.status == "not_error_case" and _p(ok)["p1"].rank == 0


def test_series_case_mitigation_and_aggravation(engine: Engine, py_engine: Engine) -> None:
    rec = _eval(engine, py_engine, "series")
    p = _p(rec)
    assert rec.review.track == "key"
    assert p["h1"].rank == 1  # 减轻 one step below notified criticism (MT1 + MT3 → MT7, S07 art 14)
    assert p["h2"].rank == 3  # 加重 one step above (AG2)
    assert any(c.code == "MT7" and c.applied for c in p["h1"].considered)


@pytest.mark.parametrize(("name", "status"), [("pending", "pending"), ("upheld", "not_error_case")])
def test_non_error_and_not_yet_effective(engine: Engine, py_engine: Engine, name: str, status: str) -> None:
    rec = _eval(engine, py_engine, name)
    assert rec.error_case.status == status and rec.error_case.reasons
    assert all(p.rank == 0 for p in rec.persons) and rec.situations == []


def test_citation_version_follows_the_date(engine: Engine) -> None:
    case = read_case_file(ROOT / "examples" / "bj-2023-017.yaml").model_dump(mode="json")
    old = engine.evaluate(case, lang="en").error_case.reasons[0].citation
    case["case"]["decided_on"] = "2024-06-30"
    new = engine.evaluate(case, lang="en").error_case.reasons[0].citation
    assert "行政复议法" in old.instrument and "行政复议法" in new.instrument
    assert old.version == "2017-09-01" and new.version == "2023-09-01"
