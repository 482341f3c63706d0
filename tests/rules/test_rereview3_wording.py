"""Legal re-review 3 (2026-12-03): printed wording that a rule case (primary citation only) cannot test.

N4: "加重一档" on texts that say 从重 (or do not grade) is labelled as the rulebook's inference; AG11 states
what 政务处分法 第十五条 says (分别确定、执行最重) and labels its 从重 推定.
"""

from __future__ import annotations

from typing import Any

import pytest

from accountrules import Engine, load_rulebook
from accountrules.output.render import to_text

BOOK = load_rulebook()


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(BOOK, backend="python")


def _case(circumstances: list[str], origin: str = "reconsideration", **person: Any) -> dict[str, Any]:
    return {
        "case": {"id": "RR3", "origin": origin, "outcome": "revoked", "effective": True, "decided_on": "2024-06-30",
                 "conduct_date": "2024-01-15", "act_type": "penalty", "grounds": ["insufficient_evidence"],
                 "agency": {"name": "某县自然资源局", "level": "county", "field": "natural_resources"},
                 "findings": [{"item": "F1", "persons": ["p1"]}]},
        "persons": [{"id": "p1", "role": "handler", "fault": "ordinary_negligence", "circumstances": circumstances,
                     **person}],
    }


def _reason(engine: Engine, data: dict[str, Any], rule: str, lang: str = "zh") -> str:
    rec = engine.evaluate(data, lang=lang)
    for r in rec.persons[0].reasons:
        if r.rule == rule:
            return r.text
    raise AssertionError(f"{rule} gave no reason: {to_text(rec, lang)}")


@pytest.mark.parametrize(("circumstances", "person", "rule", "tail"), [
    (["AG2"], {"fault": "intentional", "within_sanction_period": True}, "AG2-aggravated",
     "加重一档（所引规定为从重，加重系本规则集推定）"),
    (["AG3"], {}, "AG3-aggravated", "加重一档（所引规定为从重，加重系本规则集推定）"),
    (["AG9"], {}, "AG9-aggravated", "加重系本规则集推定）"),
    (["AG10"], {}, "AG10-aggravated", "未规定从重或者加重，加重系本规则集推定）"),
])
def test_a_level_up_on_a_text_that_says_only_heavier_is_labelled_inference(
        engine: Engine, circumstances: list[str], person: dict[str, Any], rule: str, tail: str) -> None:
    text = _reason(engine, _case(circumstances, **person), rule)
    assert text.endswith(tail + "。"), text
    assert "inference" in _reason(engine, _case(circumstances, **person), rule, "en")


def test_several_faults_state_the_heaviest_rule_and_label_the_band_inference(engine: Engine) -> None:
    text = _reason(engine, _case(["AG11"]), "AG11-heavier")
    assert "数个违法行为应当分别确定处分，执行其中最重的处分" in text
    assert "从重（取上限）系本规则集推定" in text


def test_retaliation_rests_on_the_reconsideration_law_only_in_reconsideration(engine: Engine) -> None:
    text = _reason(engine, _case(["AG4"], origin="court"), "AG4-aggravated")
    assert "加重一档系本规则集推定" in text
    rec = engine.evaluate(_case(["AG4"], origin="court"), lang="zh")
    why = next(r for r in rec.persons[0].reasons if r.rule == "AG4-aggravated")
    assert all("行政复议法" not in c.instrument for c in [why.citation, *why.citations])


def _citation_maps(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if "instrument" in node and "article" in node else []
        return found + [c for v in node.values() for c in _citation_maps(v)]
    if isinstance(node, list):
        return [c for v in node for c in _citation_maps(v)]
    return []


@pytest.mark.parametrize("rulebook", ["rules", "rulebooks/shandong-supervision"])
def test_every_citation_of_a_recalled_text_says_to_be_verified(rulebook: str) -> None:
    # N6: an article number recalled from memory ([R], no official text here) is printed with 待核实
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2] / rulebook
    book = load_rulebook(root)
    recalled = {i.id for i in book.instruments.values() if i.reliability == "R"}
    cites = [c for f in sorted(root.glob("*.yaml")) if not f.name.endswith(".cases.yaml")
             for c in _citation_maps(yaml.safe_load(f.read_text(encoding="utf-8")))]
    assert cites
    unmarked = [(c["instrument"], c["article"]) for c in cites if c["instrument"] in recalled
                and "待核实" not in c["article"]]
    assert unmarked == []


def test_bijie_wording_of_the_four_musts_and_the_county_report(engine: Engine) -> None:
    # N7: Bijie is a 地级市 — 依法治县（市、区）办, report to the 市（州）government; Qianxinan practice is 参照
    data = _case([], origin="court")
    data["case"]["history"] = {"county_loss_rate": 0.35}
    text = to_text(engine.evaluate(data, lang="zh"), "zh")
    assert "由依法治县（市、区）办对败诉单位进行通报" in text
    assert "向市（州）人民政府书面报告" in text
    assert "依法治县（州）办" not in text and "向州（市）人民政府" not in text
    assert "参照《黔西南州行政错案问责追责工作机制" in text
    assert "黔西南" not in BOOK.manifest.policy.home_jurisdictions


def test_alternative_grounds_are_printed_as_alternatives_and_the_loss_lines_as_inference(engine: Engine) -> None:
    # L-4: "具有下列情形之一 …（所具情形见认定事实）"; the 10万/100万 lines are the rulebook's
    data = _case([], origin="court")
    data["case"]["consequences"] = {"economic_loss_yuan": 200000}
    data["case"]["history"] = {"same_issue_lost_before": True}
    text = to_text(engine.evaluate(data, lang="zh"), "zh")
    assert "较大经济损失（10万元以上，本规则集推定的标准）" in text
    assert "本案具有下列情形之一：情形等级较重" in text
