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


def _rank(engine: Engine, level: str) -> int:
    """The rank of ``level`` in the engine's rulebook (ranks are that rulebook's ordinal, never a constant)."""
    return engine.rulebook.levels[level].rank


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
    # the dissenter bears no responsibility, with a reason that says so (not "direct + exempt")
    assert (p["c3"].rank, p["c3"].responsibility, p["c3"].exemption) == (0, "none", None)
    assert [r.rule for r in p["c3"].reasons] == ["RC9-dissent-on-record"] and p["c3"].reasons[0].citation.article


def test_intentional_abuse_with_falsified_evidence(engine: Engine, py_engine: Engine) -> None:
    rec = _eval(engine, py_engine, "abuse")
    h = _p(rec)["h1"]
    assert h.exemption is None and h.referral == "discipline" and h.rank >= _rank(engine, "referral_discipline")
    ex1 = next(c for c in h.considered if c.code == "EX1")
    assert not ex1.applied and ex1.why
    assert rec.review.track == "key"
    assert "recourse" in [u.measure for u in rec.unit_measures]  # 国家赔偿法 第十六条: compensation paid, intent


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
    # a negligent repeat is 从重 (upper band), not 加重 (S05 art 13(1) knows only an intentional repeat)
    assert (p["h2"].rank, p["h2"].band) == (2, "upper")
    assert rec.review.tracks == ["key", "special", "routine"]  # every track that applies is listed
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


def test_collective_decision_nobody_named(engine: Engine, py_engine: Engine) -> None:
    """政务处分法 第十条, 问责条例 第六条: members who voted for it bear leadership responsibility, named or not."""
    rec = _eval(engine, py_engine, "collective_unnamed")
    p = _p(rec)
    assert p["m0"].responsibility == "primary_leadership"  # the decision-maker
    for mid in ("m1", "m3"):
        assert p[mid].responsibility == "important_leadership" and p[mid].rank > 0
        assert p[mid].rank <= p["m0"].rank
    assert (p["m2"].responsibility, p["m2"].rank, p["m2"].exemption) == ("none", 0, None)
    assert p["m2"].reasons[0].rule == "RC9-dissent-on-record"
    assert p["m3"].channel == "state_sanction"  # a non-party leading cadre
    assert [s.item for s in rec.situations] == ["D1"] and not rec.situations[0].unanswered


def test_forgery_found_only_by_appraisal(engine: Engine, py_engine: Engine) -> None:
    """The reviewer who looked is not liable for an undetectable forgery; the approver who never read the
    file failed his own duty and is never sanctioned below the reviewer."""
    rec = _eval(engine, py_engine, "forgery")
    p = _p(rec)
    assert p["h1"].responsibility == "direct" and p["h1"].referral == "discipline"
    assert p["h1"].measures == ["party_disciplinary_sanction", "administrative_sanction"]  # party member, not a cadre
    assert (p["r1"].responsibility, p["r1"].rank) == ("none", 0)
    assert p["r1"].reasons[0].rule == "RC2-undetectable-forgery"
    assert p["a1"].responsibility != "none" and p["a1"].rank >= p["r1"].rank
    assert [s.item for s in rec.situations] == ["F4"]  # the forgery answers the insufficient-evidence ground


def test_intentional_unlawful_licensing(engine: Engine, py_engine: Engine) -> None:
    """行政许可法 第七十四条: intent plus an item whose consequence is a 处分 → at least referral."""
    rec = _eval(engine, py_engine, "licensing_intent")
    p = _p(rec)
    assert p["h1"].rank >= _rank(engine, "referral_discipline") and p["h1"].referral == "discipline"
    assert any(r.rule == "LV-intentional-sanction-item" for r in p["h1"].reasons)
    assert p["h1"].influence is not None and not p["h1"].influence.verified  # the sanction is undecided
    assert p["a1"].band == "upper"  # gross negligence weighs (从重)
    assert "recourse" not in [u.measure for u in rec.unit_measures]  # no state compensation was paid


def test_head_absent_and_nobody_appeared(engine: Engine, py_engine: Engine) -> None:
    """Heads not named bear leadership responsibility at most; nobody appearing weighs (出庭应诉规定 第十二条第一款第（三）项)."""
    rec = _eval(engine, py_engine, "absent_nobody")
    p = _p(rec)
    assert rec.error_case.definition == "T1"
    for pid in ("p1", "d1"):
        assert p[pid].responsibility == "primary_leadership" and p[pid].rank > 0
        assert any(r.rule == "PGM-R1-nobody-appeared" for r in p[pid].reasons)
    assert p["h1"].responsibility == "direct"
    assert {"loss_notification", "interview"} <= {u.measure for u in rec.unit_measures}  # four musts: a loss


def test_won_case_with_absent_head_has_no_four_musts(engine: Engine, py_engine: Engine) -> None:
    rec = _eval(engine, py_engine, "absent")
    assert rec.error_case.definition == "T5"
    assert [u.measure for u in rec.unit_measures] == ["rectification", "analysis_report"]


def test_county_above_the_loss_rate(engine: Engine, py_engine: Engine) -> None:
    rec = _eval(engine, py_engine, "county_rate")
    measures = [u.measure for u in rec.unit_measures]
    assert "county_loss_rate_report" in measures and "loss_notification" in measures
    assert "written_examination" not in measures  # 必通报 is a notification of the unit, not its self-examination


def test_mitigation_meets_aggravation(engine: Engine, py_engine: Engine) -> None:
    """A discretionary (analogue) 加重 never cancels the mandatory 减轻 of 公务员处分条例 第十四条第一款."""
    rec = _eval(engine, py_engine, "netting")
    p = _p(rec)
    assert p["h1"].rank == 1  # notified criticism one step down, AG3 does not cancel it
    assert (p["h2"].rank, p["h2"].band) == (2, "upper")  # negligent repeat: 从重 only


def test_non_party_leading_cadre_and_exemption_kinds(engine: Engine, py_engine: Engine) -> None:
    rec = _eval(engine, py_engine, "nonparty_cadre")
    p = _p(rec)
    assert p["a1"].channel == "state_sanction" and p["a1"].rank > 0
    assert p["h1"].channel == "enforcement_fault_party" and "party_disciplinary_sanction" in p["h1"].measures
    # 免予处分 keeps the lighter measures (政务处分法 第十二条第一款)
    h2 = p["h2"]
    assert h2.exemption is not None and (h2.exemption.code, h2.exemption.kind) == ("EX9", "exempt_from_sanction")
    assert h2.level == "criticism_education" and h2.measures and h2.responsibility == "direct"


def test_repeat_losses_in_one_field_list_every_track(engine: Engine, py_engine: Engine) -> None:
    rec = _eval(engine, py_engine, "repeat_field")
    assert rec.review.track == "key" and rec.review.tracks == ["key", "special", "routine"]
    assert {r.rule for r in rec.review.reasons} >= {"RV-key", "RV-special-frequent-field"}


def _basis(person: Any, rule: str) -> tuple[str, str]:
    r = next(r for r in person.reasons if r.rule == rule)
    assert r.citation is not None
    return r.citation.instrument, r.citation.article


def test_intent_floor_cites_the_act_types_own_text(engine: Engine, py_engine: Engine) -> None:
    """Intent in a penalty case rests on 行政处罚法 第七十六条, never on 行政许可法 第七十四条; an inspection
    has no text attaching a 处分 to the act, so no floor (the grade still rises)."""
    rec = _eval(engine, py_engine, "penalty_intent")
    h1 = _p(rec)["h1"]
    assert h1.referral == "discipline"
    inst, art = _basis(h1, "LV-intentional-sanction-item")
    assert "行政处罚法" in inst and art == "第七十六条第一款"
    texts = " ".join(c.instrument for r in h1.reasons for c in [r.citation, *r.citations] if c is not None)
    assert "行政许可法" not in texts and "国家赔偿法" not in texts  # no licence, no compensation
    case = read_case_file(SC / "penalty_intent.yaml").model_dump(mode="json")
    case["case"]["act_type"] = "inspection"
    other = _p(engine.evaluate(case, lang="en"))["h1"]
    assert "LV-intentional-sanction-item" not in [r.rule for r in other.reasons] and other.rank < h1.rank


def test_gross_negligence_after_state_compensation(engine: Engine, py_engine: Engine) -> None:
    """国家赔偿法 第十六条: after compensation a grossly negligent officer must be sanctioned (floor: referral);
    without compensation gross negligence is only 从重, on 三个区分开来 and labelled 推定."""
    rec = _eval(engine, py_engine, "compensation_gross")
    h1 = _p(rec)["h1"]
    assert h1.referral == "discipline" and h1.level == "referral_discipline"
    assert _basis(h1, "LV-compensation-recourse-fault") == ("中华人民共和国国家赔偿法（2012年修正）", "第十六条")
    assert "recourse" in [u.measure for u in rec.unit_measures]
    case = read_case_file(SC / "compensation_gross.yaml").model_dump(mode="json")
    case["case"]["consequences"]["state_compensation"] = False
    h1b = _p(engine.evaluate(case, lang="zh"))["h1"]
    assert h1b.referral is None and h1b.band == "upper" and h1b.rank < _rank(engine, "referral_discipline")
    inst, _ = _basis(h1b, "AG12-gross-negligence-heavier")
    assert "三个区分开来" in inst
    ag12 = next(r for r in h1b.reasons if r.rule == "AG12-gross-negligence-heavier")
    assert "本规则集推定" in ag12.text


def test_criminal_referral_goes_to_the_supervision_commission(engine: Engine, py_engine: Engine) -> None:
    """Duty crimes of public officials go to the 监察机关 (监察法 第十一条第（二）项), not to "司法机关"."""
    rec = _eval(engine, py_engine, "crime")
    h1 = _p(rec)["h1"]
    assert (h1.level, h1.referral) == ("referral_criminal", "criminal")
    inst, art = _basis(h1, "LV-crime-suspected")
    assert "监察法" in inst and art == "第十一条第（二）项"
    zh = _p(engine.evaluate(read_case_file(SC / "crime.yaml"), lang="zh"))["h1"]
    text = next(r.text for r in zh.reasons if r.rule == "LV-crime-suspected")
    assert "移送监察机关" in text and "司法机关" not in text and "推定" in text


def test_dissent_reason_is_discretionary_and_labelled(engine: Engine) -> None:
    """问责条例 第十七条第（二）项 (可以不予问责) first for a party member; "none" rather than 减免 is labelled 推定."""
    c3 = _p(engine.evaluate(read_case_file(SC / "collective.yaml"), lang="zh"))["c3"]
    r = c3.reasons[0]
    assert r.rule == "RC9-dissent-on-record" and r.citation is not None
    assert (r.citation.instrument, r.citation.article) == ("中国共产党问责条例（2019年修订）", "第十七条第（二）项")
    assert "已如实载明" in r.text and "本规则集建议不予追究（推定）" in r.text and "不承担责任" not in r.text


def test_non_party_approver_who_did_not_read_rests_on_national_texts(engine: Engine) -> None:
    """纪律处分条例 only for party members: a non-party approver's 失职 rests on 政务处分法 第三十九条第（二）项,
    and a non-leader is never said to bear 领导责任."""
    case = read_case_file(SC / "forgery.yaml").model_dump(mode="json")
    for p in case["persons"]:
        p["party_member"] = p["leading_cadre"] = False  # an approver who is a 科长, not a leading cadre
    a1 = _p(engine.evaluate(case, lang="zh"))["a1"]
    r = next(r for r in a1.reasons if r.rule == "RC18-failed-approval-duty-undetectable")
    cited = [c.instrument for c in [r.citation, *r.citations] if c is not None]
    assert r.citation is not None and r.citation.article == "第三十九条第（二）项"
    assert not any("纪律处分条例" in c for c in cited) and "推定" in r.text and "领导责任" not in r.text


def test_admonishment_aggravated_goes_to_the_post_adjustment(engine: Engine, py_engine: Engine) -> None:
    """Review M7: 加重 from 诫勉 gives the lighter organisational level — 调整职务 for a leading cadre,
    离岗培训/调离执法岗位 for enforcement staff — never 停职检查、降职、免职、责令辞职 or 取消行政执法资格."""
    rec = _eval(engine, py_engine, "admonishment_aggravated")
    p = _p(rec)
    for pid in ("c1", "s1"):
        assert [r.rule for r in p[pid].reasons][1:3] == ["matrix.G3.direct", "AG3-aggravated"]
        assert (p[pid].level, p[pid].rank, p[pid].referral) == ("post_adjustment", _rank(engine, "admonishment") + 1, None)
    assert (p["c1"].channel, p["c1"].measures) == ("party_accountability", ["reassignment"])
    assert (p["s1"].channel, p["s1"].measures) == ("enforcement_fault_party", ["off_post_training", "removal_from_enforcement_post"])
    heavier = set(engine.rulebook.levels["organizational_handling"].measures["party_accountability"])
    assert heavier.isdisjoint(p["c1"].measures) and "withdrawal_of_enforcement_qualification" not in p["s1"].measures
    inf = p["c1"].influence  # 调整职务: one year [R], never verified
    assert inf is not None and (inf.months, inf.verified) == (12, False) and "no_promotion" in inf.effects
    without = read_case_file(SC / "admonishment_aggravated.yaml").model_dump(mode="json")
    for person in without["persons"]:
        person["circumstances"] = []
    assert {q.level for q in engine.evaluate(without, lang="en").persons} == {"admonishment"}


def test_grave_case_gives_the_heavier_organisational_level(engine: Engine, py_engine: Engine) -> None:
    """A grave case (G4): the direct bearer is referred, the primary share one step below is the heavier
    organisational level (停职检查、责令辞职、免职、降职; 取消行政执法资格 for enforcement staff), above the
    post adjustment and below the referral."""
    rec = _eval(engine, py_engine, "grave_primary_leader")
    p = _p(rec)
    assert (p["h1"].level, p["h1"].referral) == ("referral_discipline", "discipline")
    for pid in ("r1", "r2"):
        assert (p[pid].responsibility, p[pid].level, p[pid].referral) == ("primary_leadership", "organizational_handling", None)
        assert "matrix.G4.primary_leadership" in [r.rule for r in p[pid].reasons]
        assert _rank(engine, "post_adjustment") < p[pid].rank < p["h1"].rank
    assert p["r1"].measures == ["suspension_for_inspection", "demotion", "removal_from_office", "ordered_resignation"]
    assert p["r2"].measures == ["withdrawal_of_enforcement_qualification"]
    inf1, inf2 = p["r1"].influence, p["r2"].influence
    assert inf1 is not None and not inf1.verified and inf1.months == 24
    assert inf2 is not None and inf2.effects == ["loss_of_enforcement_qualification"] and not inf2.verified
    zh = _p(engine.evaluate(read_case_file(SC / "grave_primary_leader.yaml"), lang="zh"))["r1"]
    text = next(r.text for r in zh.reasons if r.rule == "matrix.G4.primary_leadership")
    assert "组织处理（根据情况采取停职检查、责令辞职、免职或者降职" in text and "调整职务" not in text
