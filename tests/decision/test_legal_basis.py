"""Issue 13: the printed basis fits the case, in the version in force; 参照 for analogues; 从旧兼从轻.

Realistic cases on both sides of 2018-01-01, 2021-07-15, 2024-01-01 and 2025-06-01, from every
origin and with every outcome; a rulebook whose newer law is lighter (and one whose newer law is
heavier) for the choice of law; the lint that finds a conclusion without an applicable basis.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from accountrules import Engine, load_rulebook
from accountrules.authoring.lint import lint
from accountrules.cli import cli
from accountrules.contract import models as m
from accountrules.output.render import to_json, to_json_reference, to_markdown, to_text
from accountrules.rules import default_rulebook_dir

from ..conftest import NEWER_LAW

BOOK = load_rulebook()
SHORT = {i.name: i.short for i in BOOK.instruments.values()}
ANALOGUE_NAMES = {i.name for i in BOOK.instruments.values() if i.analogue}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(BOOK, backend="python")


def _case(origin: str, outcome: str, decided: str, conduct: str, act_type: str = "penalty",
          **extra: Any) -> dict[str, Any]:
    grounds = {"ordered_perform": ["failure_to_perform"], "ordered_pay": ["failure_to_perform"],
               "confirmed_void": ["void"]}.get(outcome, ["illegal_procedure"])
    return {
        "case": {"id": f"{origin}-{outcome}-{decided}", "origin": origin, "outcome": outcome, "effective": True,
                 "decided_on": decided, "conduct_date": conduct, "act_type": act_type, "grounds": grounds,
                 "agency": {"name": "某县市场监督管理局", "level": "county", "field": "market_regulation"},
                 "findings": [{"item": "P2", "persons": ["p1"]}], **extra},
        "persons": [{"id": "p1", "name": "张某", "role": "handler", "fault": "ordinary_negligence",
                     "party_member": True},
                    {"id": "p2", "name": "李某", "role": "reviewer", "fault": "ordinary_negligence",
                     "conduct": ["failed_to_detect"]}],
    }


def _primary(rec: m.Recommendation, rule: str) -> str:
    for r in _reasons(rec):
        if r.rule == rule:
            c = r.citation
            return f"{SHORT.get(c.instrument, c.instrument)} {c.article}" if c.in_force is not False else "none"
    raise AssertionError(f"{rule} gave no reason")


def _reasons(rec: m.Recommendation) -> list[m.Reason]:
    out = list(rec.error_case.reasons)
    for s in rec.situations:
        out += s.reasons
    for p in rec.persons:
        out += p.reasons
    for u in rec.unit_measures:
        out += u.reasons
    return out + list(rec.review.reasons)


# (origin, outcome, decided_on) → the status rule's printed primary basis
PRIMARY = [
    ("court", "revoked", "2024-03-01", "T1-court-lost", "行政诉讼法 第七十条"),
    ("court", "ordered_perform", "2024-03-01", "T1-court-lost", "行政诉讼法 第七十二条"),
    ("court", "ordered_pay", "2017-11-01", "T1-court-lost", "行政诉讼法 第七十三条"),
    ("court", "confirmed_illegal", "2021-07-16", "T1-court-lost", "行政诉讼法 第七十四条"),
    ("court", "confirmed_void", "2025-06-02", "T1-court-lost", "行政诉讼法 第七十五条"),
    ("court", "compensation", "2025-05-30", "T1-court-lost", "行政诉讼法 第七十六条"),
    ("court", "varied", "2018-01-02", "T1-court-lost", "行政诉讼法 第七十七条第一款"),
    ("procuratorate", "revoked", "2023-12-29", "T2-procuratorate-lost", "行政诉讼法 第七十条"),
    ("reconsideration", "varied", "2024-01-02", "T3-reconsideration-corrected", "行政复议法 第六十三条第一款"),
    ("reconsideration", "revoked", "2024-01-02", "T3-reconsideration-corrected", "行政复议法 第六十四条第一款"),
    ("reconsideration", "confirmed_illegal", "2025-06-02", "T3-reconsideration-corrected", "行政复议法 第六十五条"),
    ("reconsideration", "ordered_perform", "2024-06-01", "T3-reconsideration-corrected", "行政复议法 第六十六条"),
    ("reconsideration", "confirmed_void", "2024-06-01", "T3-reconsideration-corrected", "行政复议法 第六十七条"),
    ("reconsideration", "compensation", "2024-06-01", "T3-reconsideration-corrected", "行政复议法 第七十二条第一款"),
    ("reconsideration", "varied", "2023-12-29", "T3-reconsideration-corrected",
     "行政复议法（2017） 第二十八条第一款第（三）项"),
    ("reconsideration", "revoked", "2017-12-29", "T3-reconsideration-corrected",
     "行政复议法（1999） 第二十八条第一款第（三）项〔条文与2017年修正文本一致，待核实〕"),
    ("reconsideration", "ordered_perform", "2018-01-02", "T3-reconsideration-corrected",
     "行政复议法（2017） 第二十八条第一款第（二）项"),
    ("supervision", "revoked", "2024-06-01", "T4-supervision-corrected", "毕节错案问责办法 条文未见"),
]


@pytest.mark.parametrize(("origin", "outcome", "decided", "rule", "basis"), PRIMARY)
def test_the_status_basis_is_the_article_of_the_outcome_in_force(engine: Engine, origin: str, outcome: str,
                                                                   decided: str, rule: str, basis: str) -> None:
    rec = engine.evaluate(_case(origin, outcome, decided, decided[:4] + "-01-01"), lang="zh")
    assert _primary(rec, rule) == basis


@pytest.mark.parametrize(("conduct", "basis"), [("2021-07-14", "行政处罚法（2017） 第三十一条〔待核实〕"),
                                                 ("2021-07-15", "行政处罚法 第四十五条第一款")])
def test_the_act_is_judged_by_the_law_at_the_conduct_date(engine: Engine, conduct: str, basis: str) -> None:
    rec = engine.evaluate(_case("reconsideration", "revoked", "2022-03-01", conduct))
    assert _primary(rec, "items.P2") == basis


def test_party_rules_only_for_party_members_in_the_version_at_the_conduct_date(engine: Engine) -> None:
    def cited(rec: m.Recommendation, pid: str) -> set[str]:
        p = next(p for p in rec.persons if p.id == pid)
        return {f"{SHORT[c.instrument]} {c.article}" for r in p.reasons for c in [r.citation, *r.citations]
                if c.in_force is not False}

    before = engine.evaluate(_case("court", "revoked", "2024-03-01", "2023-09-01"))
    after = engine.evaluate(_case("court", "revoked", "2024-09-01", "2024-03-01"))
    assert "纪律处分条例（2018） 第三十七条〔待核实〕" in cited(before, "p1")
    assert "纪律处分条例 第三十九条" not in cited(before, "p1")
    assert "纪律处分条例 第三十九条" in cited(after, "p1")
    assert not any(s.startswith("纪律处分条例") for s in cited(after, "p2"))  # p2 is not a party member


CASES = [_case(o, oc, d, c, act_type=a) for (o, oc), (d, c), a in itertools.product(
    [("court", "revoked"), ("court", "confirmed_illegal"), ("procuratorate", "ordered_perform"),
     ("reconsideration", "varied"), ("reconsideration", "revoked"), ("supervision", "revoked"),
     ("supervision", "confirmed_illegal")],
    [("2017-12-29", "2017-06-01"), ("2018-01-02", "2017-12-01"), ("2021-07-14", "2021-01-04"),
     ("2021-07-16", "2021-07-15"), ("2023-12-29", "2023-05-01"), ("2024-01-02", "2023-12-01"),
     ("2025-05-30", "2025-01-01"), ("2025-06-02", "2025-05-01")],
    ["penalty", "licensing", "decision"])]


@pytest.mark.parametrize("data", CASES, ids=lambda d: d["case"]["id"] + "-" + d["case"]["act_type"])
def test_no_analogue_as_binding_basis_and_no_0000(engine: Engine, data: dict[str, Any]) -> None:
    for lang in ("zh", "en"):
        rec = engine.evaluate(data, lang=lang)
        for r in _reasons(rec):
            cits = [r.citation, *r.citations]
            for c in cits:
                # 应急管理履职规定 outside its field, 政务处分法 第六十七条 and 纪律处分条例 第一百五十八条第二款
                # outside their own transitions: 参照
                assert c.analogue == (c.instrument in ANALOGUE_NAMES) or c.instrument.startswith("应急管理") or (
                    r.rule == "choice-of-law" and c.article in ("第六十七条", "第一百五十八条第二款"))
                assert c.version != "0000"
            # an analogue is printed first only when nothing binding applies
            if r.citation.analogue:
                assert all(c.analogue for c in cits), r.rule
            # the 行政处罚法 only in penalty cases, the 行政许可法 only in licence cases
            names = {SHORT.get(c.instrument, "") for c in cits}
            if data["case"]["act_type"] != "penalty":
                assert not any(n.startswith("行政处罚法") for n in names), r.rule
            if data["case"]["act_type"] != "licensing":
                assert "行政许可法" not in names, r.rule
            if data["case"]["origin"] not in ("court", "procuratorate") and r.rule.startswith("G-"):
                assert "行政诉讼法" not in names, r.rule
        text, md = to_text(rec, lang), to_markdown(rec, lang)
        assert "0000" not in text and "0000" not in md
        # a reason shared by two unit measures is printed once
        n_analogue = len({(r.rule, r.text) for r in _reasons(rec) if r.citation.analogue})
        assert text.count("参照") >= n_analogue
        if n_analogue:
            assert "参照" in md


# --------------------------------------------------------------------------- 从旧兼从轻


def _book_with(tmp_path: Path, text: str) -> Engine:
    book_dir = tmp_path / "book"
    shutil.copytree(default_rulebook_dir(), book_dir)
    (book_dir / "zz_newer_law.yaml").write_text(text, encoding="utf-8")
    return Engine(load_rulebook(book_dir), backend="python")


def test_choice_of_law_applies_the_lighter_newer_law_and_explains_both(tmp_path: Path) -> None:
    eng = _book_with(tmp_path, NEWER_LAW)
    data = _case("court", "revoked", "2024-03-01", "2023-09-01")
    rec = eng.evaluate(data, lang="zh")
    p1 = next(p for p in rec.persons if p.id == "p1")
    assert p1.level == "criticism_education"
    why = next(r for r in p1.reasons if r.rule == "choice-of-law")
    assert "依行为时（2023-09-01）的规定，处理为「通报批评」" in why.text
    assert "适用评价时的规定" in why.text
    # p1 is a party member: 纪律处分条例 158(2) binds; 政务处分法 67 (a transitional clause of 2020) is 参照
    cits = [why.citation, *why.citations]
    assert why.citation.instrument == "中国共产党纪律处分条例（2023年修订）"
    assert any(c.article == "第六十七条" and c.analogue for c in cits)
    assert "参照《中华人民共和国公职人员政务处分法》第六十七条确立的从旧兼从轻原则" in why.text
    # both dates under the same law: one evaluation, no choice-of-law reason
    same = eng.evaluate(_case("court", "revoked", "2024-09-01", "2024-03-01"), lang="zh")
    assert all(r.rule != "choice-of-law" for p in same.persons for r in p.reasons)
    # as_of before the change: the conduct date's law only
    early = eng.evaluate(_case("court", "revoked", "2023-11-01", "2023-09-01"), lang="zh", as_of="2023-12-31")
    assert next(p for p in early.persons if p.id == "p1").level == "notified_criticism"


def test_choice_of_law_keeps_the_old_law_when_the_newer_is_heavier(tmp_path: Path) -> None:
    eng = _book_with(tmp_path, NEWER_LAW.replace("max_level: criticism_education", "min_level: admonishment"))
    rec = eng.evaluate(_case("court", "revoked", "2024-03-01", "2023-09-01"), lang="en")
    p1 = next(p for p in rec.persons if p.id == "p1")
    assert p1.level == "notified_criticism"
    why = next(r for r in p1.reasons if r.rule == "choice-of-law")
    assert "heavier" in why.text and "admonishment" in why.text and "not lighter" not in why.text


def test_as_of_fixes_the_date_of_evaluation(engine: Engine) -> None:
    data = _case("reconsideration", "revoked", "2025-05-30", "2025-01-02",
                 history={"same_issue_lost_before": True}, supervision_recommendation_refused=True)
    late = engine.evaluate(data, as_of="2025-06-02")
    u = next(u for u in late.unit_measures if u.measure == "notified_criticism")
    names = [c.instrument for c in [u.reasons[0].citation, *u.reasons[0].citations]]
    assert "中华人民共和国监察法（2024年修正）" in names and "中华人民共和国监察法（2018年）" not in names
    early = engine.evaluate(data)
    u = next(u for u in early.unit_measures if u.measure == "notified_criticism")
    names = [c.instrument for c in [u.reasons[0].citation, *u.reasons[0].citations]]
    assert "中华人民共和国监察法（2018年）" in names and "中华人民共和国监察法（2024年修正）" not in names
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        engine.evaluate(data, as_of="2025-13-40")


def test_cli_as_of(tmp_path: Path) -> None:
    import yaml

    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump(_case("court", "revoked", "2025-05-30", "2025-01-02"), allow_unicode=True),
                 encoding="utf-8")
    ok = CliRunner().invoke(cli, ["evaluate", str(f), "--backend", "python", "--as-of", "2025-06-02",
                                   "--format", "text"])
    assert ok.exit_code == 0, ok.output
    assert "choice-of-law" in ok.output
    bad = CliRunner().invoke(cli, ["evaluate", str(f), "--as-of", "yesterday"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


# --------------------------------------------------------------------------- lint

GAP = """\
grade_modifiers:
  - id: zz-gap
    title: {zh: 测试, en: test}
    when: {fact: case.origin, in: [court, supervision]}
    then: {group: zz, delta: 0}
    citations:
      - {instrument: S01, article: 第七十条, when: {fact: case.origin, eq: court}}
      - {instrument: S02, article: 第六十四条, when: {fact: case.origin, eq: reconsideration}}
"""


def test_lint_reports_a_conclusion_without_an_applicable_basis(tmp_path: Path) -> None:
    book_dir = tmp_path / "book"
    shutil.copytree(default_rulebook_dir(), book_dir)
    (book_dir / "zz_gap.yaml").write_text(GAP, encoding="utf-8")
    found = {(d.code, d.rule_id): d.message for d in lint(load_rulebook(book_dir))}
    assert "case.origin == supervision" in found[("citation-gap", "zz-gap")]
    assert ("citation-never", "zz-gap") in found  # the reconsideration citation never applies


def test_lint_reports_an_unmarked_out_of_province_text(tmp_path: Path) -> None:
    book_dir = tmp_path / "book"
    shutil.copytree(default_rulebook_dir(), book_dir)
    text = (book_dir / "instruments.yaml").read_text(encoding="utf-8")
    (book_dir / "instruments.yaml").write_text(text.replace("    analogue: true\n", "", 1), encoding="utf-8")
    codes = [d.code for d in lint(load_rulebook(book_dir))]
    assert codes.count("analogue-unmarked") == 1


# --------------------------------------------------------------------------- legal review 2026-12-03 (H1, H2, M4, M6)

def _choice(rec: m.Recommendation, pid: str) -> m.Reason | None:
    p = next(p for p in rec.persons if p.id == pid)
    return next((r for r in p.reasons if r.rule == "choice-of-law"), None)


def test_choice_of_law_says_the_standard_is_the_same_when_only_texts_differ(engine: Engine) -> None:
    # conduct 2023, decided 2024: 纪律处分条例 and 行政复议法 changed, the rulebook's standard did not
    rec = engine.evaluate(_case("court", "revoked", "2024-03-01", "2023-09-01"), lang="zh")
    why = _choice(rec, "p1")
    assert why is not None
    assert "两时点适用的处理标准在本规则集中相同（仅所引条文不同），依照行为时的规定处理" in why.text
    assert "不较轻" not in why.text and "较重" not in why.text
    en = _choice(engine.evaluate(_case("court", "revoked", "2024-03-01", "2023-09-01"), lang="en"), "p1")
    assert en is not None and "only the texts cited differ" in en.text


def test_choice_of_law_compares_the_2017_and_2021_penalty_law(engine: Engine) -> None:
    data = _case("court", "revoked", "2021-09-01", "2020-10-10")
    data["persons"][0]["fault"] = "intentional"
    data["case"]["findings"] = [{"item": "P1", "persons": ["p1"]}]
    rec = engine.evaluate(data, lang="zh")
    p1 = next(p for p in rec.persons if p.id == "p1")
    why = _choice(rec, "p1")
    assert why is not None
    assert "处理为「诫勉」" in why.text and "移送纪检监察机关" in why.text and "评价时的规定处理较重" in why.text
    assert p1.level == "admonishment"
    cited = {(SHORT[c.instrument], c.article) for c in [why.citation, *why.citations] if c.in_force is not False}
    assert ("行政处罚法（2017）", "第五十五条〔待核实〕") in cited and ("行政处罚法", "第七十六条第一款") in cited


def test_choice_of_law_cites_67_directly_inside_its_transition_and_party_rules_only_for_members(
        engine: Engine) -> None:
    rec = engine.evaluate(_case("court", "revoked", "2024-03-01", "2020-03-01"), lang="zh")
    why = _choice(rec, "p1")
    assert why is not None
    s05 = [c for c in [why.citation, *why.citations] if c.article == "第六十七条"]
    assert s05 and not s05[0].analogue and "参照" not in why.text
    nonparty = _case("court", "revoked", "2024-03-01", "2023-09-01")
    nonparty["persons"][0]["party_member"] = False
    why = _choice(engine.evaluate(nonparty, lang="zh"), "p1")
    assert why is not None
    assert all("纪律处分条例" not in c.instrument for c in [why.citation, *why.citations])


def test_undated_texts_are_never_presented_as_in_force(engine: Engine) -> None:
    rec = engine.evaluate(_case("supervision", "revoked", "2024-06-01", "2024-01-10"), lang="zh")
    t4 = next(r for r in rec.error_case.reasons if r.rule == "T4-supervision-corrected")
    assert t4.citation.in_force is None  # BJ01/GZ02: dates unknown
    assert [c.instrument for c in t4.citations if c.in_force is False] == ["无当时有效的法律、法规文本"]
    text = to_text(rec, "zh")
    assert "施行日期不详" in text and "无当时有效的法律、法规文本" in text
    assert "\"in_force\": null" in to_json(rec) and to_json(rec) == to_json_reference(rec)
    # a binding text with known dates comes before an undated one, and no marker is added
    court = engine.evaluate(_case("court", "revoked", "2024-06-01", "2024-01-10"), lang="zh")
    t1 = next(r for r in court.error_case.reasons if r.rule == "T1-court-lost")
    assert t1.citation.in_force is True and all(c.in_force is not False for c in t1.citations)


@pytest.mark.parametrize(("origin", "decided", "conduct"), [("court", "2016-09-01", "2016-01-10"),
                                                           ("court", "2015-03-01", "2014-10-10"),
                                                           ("supervision", "2022-05-01", "2021-11-10")])
def test_no_text_is_cited_before_it_existed(engine: Engine, origin: str, decided: str, conduct: str) -> None:
    # N1 (re-review 3): a text with a year (or date) and no in_force_from counts from 1 January of that year
    # (or that date); before it nothing cites it — the 2023 Bijie measures never govern a 2016 decision
    by_name = {i.name: i for i in BOOK.instruments.values()}
    rec = engine.evaluate(_case(origin, "revoked", decided, conduct), lang="zh")
    cited = {c.instrument for r in _reasons(rec) for c in [r.citation, *r.citations] if c.in_force is not False}
    assert cited
    for name in cited:
        start = by_name[name].earliest_in_force
        assert start is None or start <= decided, (name, start)
    assert "毕节市行政错案问责追责办法（试行）" not in cited


def test_earliest_in_force_of_an_instrument() -> None:
    from accountrules.rules.schema import Instrument
    base = {"name": "某办法", "short": "某办法", "kind": "local_rule"}
    assert Instrument(id="A", version="2023", **base).earliest_in_force == "2023-01-01"
    assert Instrument(id="B", version="2014-05-09", **base).earliest_in_force == "2014-05-09"
    assert Instrument(id="C", version="2023", in_force_from="2023-06-01", **base).earliest_in_force == "2023-06-01"
    assert Instrument(id="D", version="unknown", **base).earliest_in_force is None
    assert Instrument(id="E", **base).earliest_in_force is None
    assert BOOK.instruments["S01v2014"].earliest_in_force == "2015-05-01"


def test_correcting_body_texts_follow_the_decision_date_in_items(engine: Engine) -> None:
    # H2: reconsideration, conduct 2023-06-10, decided 2024-03-01: no 行政复议法（2017） anywhere
    data = _case("reconsideration", "varied", "2024-03-01", "2023-06-10", act_type="other")
    data["case"]["grounds"] = ["insufficient_evidence"]
    data["case"]["findings"] = [{"item": "F1", "persons": ["p1"]}]
    rec = engine.evaluate(data, lang="zh")
    names = {c.instrument for r in _reasons(rec) for c in [r.citation, *r.citations]}
    assert "中华人民共和国行政复议法（2017年修正）" not in names
    assert "中华人民共和国行政复议法（2023年修订）" in names
    assert not [d for d in lint(BOOK) if d.code == "procedure-date"]


def test_unit_criticism_rests_on_the_supervision_law_only_after_a_refusal(engine: Engine) -> None:
    data = _case("reconsideration", "revoked", "2024-06-01", "2024-01-10", history={"same_issue_lost_before": True})
    u = next(u for u in engine.evaluate(data).unit_measures if u.measure == "notified_criticism")
    names = [c.instrument for r in u.reasons for c in [r.citation, *r.citations]]
    assert not any("监察法" in n for n in names)
