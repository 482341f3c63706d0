"""Issue 12, the rule language: parameters, derived facts, rulebook vocabularies and code maps — and
``tests/fixtures/newtown``, a second jurisdiction written with no Python change."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from accountrules import Engine, load_rulebook
from accountrules.cli import cli as main
from accountrules.contract.models import Case
from accountrules.errors import InvalidCase, RuleFileError
from accountrules.language.facts import case_facts

from ..conftest import ROOT

NEWTOWN = ROOT / "tests" / "fixtures" / "newtown"

CASE: dict[str, Any] = {
    "case": {
        "id": "NT-1", "origin": "court", "outcome": "revoked", "effective": True, "decided_on": "2024-09-30",
        "conduct_date": "2024-03-15", "act_type": "penalty",
        "agency": {"name": "某区局", "level": "county", "field": "market_regulation"},
        "findings": [{"item": "A1", "persons": ["h1", "a1"]}],
    },
    "persons": [{"id": "h1", "role": "handler", "fault": "ordinary_negligence"},
                {"id": "a1", "role": "approver", "fault": "ordinary_negligence"}],
}


def _case(**case: Any) -> dict[str, Any]:
    out = copy.deepcopy(CASE)
    out["case"].update(case)
    return out


@pytest.fixture(scope="module")
def newtown() -> Engine:
    return Engine(load_rulebook(NEWTOWN), backend="python")


def _person(rec: Any, pid: str) -> Any:
    return next(p for p in rec.persons if p.id == pid)


# --------------------------------------------------------------------------- the fixture rulebook


@pytest.mark.parametrize("args", [
    ["validate", str(NEWTOWN)], ["lint", str(NEWTOWN)], ["test", str(NEWTOWN), "--min-coverage", "100"],
])
def test_newtown_validates_lints_and_tests_at_full_coverage(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    if args[0] == "lint":  # the chain declares a reviewer and a principal that no chain rule covers
        assert "0 error(s), 2 warning(s)" in result.output
        assert "catalogue.yaml:95:5: warning uncovered-role: role 'reviewer'" in result.output
        assert "catalogue.yaml:97:5: warning uncovered-role: role 'principal'" in result.output


def test_newtown_own_responsibility_names_and_the_reversing_chain(newtown: Engine) -> None:
    rec = newtown.evaluate(_case())
    assert (_person(rec, "a1").responsibility, _person(rec, "h1").responsibility) == ("shouyao", "zhuyao")
    rec = newtown.evaluate({**_case(), "persons": [{"id": "h1", "role": "handler", "fault": "intentional"},
                                                   {"id": "a1", "role": "approver", "fault": "ordinary_negligence"}]})
    assert (_person(rec, "h1").responsibility, _person(rec, "a1").responsibility) == ("shouyao", "ciyao")
    text = "".join(r.text for r in _person(rec, "a1").reasons)
    assert "次要责任" in text and "ciyao" not in text


# --------------------------------------------------------------------------- parameters


def test_a_dated_parameter_is_read_on_the_conduct_date(newtown: Engine) -> None:
    history = {"agency_loss_rate": 0.22}
    in_2024 = newtown.evaluate(_case(history=history), lang="zh")
    in_2023 = newtown.evaluate(_case(history=history, conduct_date="2023-06-01"))
    assert [u.measure for u in in_2024.unit_measures] == ["rectification", "written_report"]
    assert [u.measure for u in in_2023.unit_measures] == ["rectification"]
    reason = in_2024.unit_measures[1].reasons[0]
    assert "超过20%" in reason.text and reason.facts["param.report_loss_rate"] == 0.2
    assert reason.citation.article == "第十七条"


def test_an_unknown_loss_rate_is_said_to_be_unknown_not_read_as_zero(newtown: Engine, default_book: Any) -> None:
    rec = newtown.evaluate(_case())
    assert [u.measure for u in rec.unit_measures] == ["rectification", "loss_rate_check"]
    assert "未提供本机关行政诉讼败诉率，无法判断是否须书面报告" in rec.unit_measures[1].reasons[0].text
    default = Engine(default_book, backend="python")
    case = _case(findings=[{"item": "P2", "persons": ["h1"]}])
    out = default.evaluate(case)
    unknown = next(u for u in out.unit_measures if u.measure == "county_loss_rate_check")
    assert unknown.reasons[0].text.startswith("未提供本县行政诉讼败诉率，无法判断是否须书面报告")
    given = default.evaluate(_case(findings=[{"item": "P2", "persons": ["h1"]}], history={"county_loss_rate": 0.35}))
    measures = [u.measure for u in given.unit_measures]
    assert "county_loss_rate_report" in measures and "county_loss_rate_check" not in measures
    report = next(u for u in given.unit_measures if u.measure == "county_loss_rate_report").reasons[0]
    assert "超过30%" in report.text and report.facts["param.loss_rate_report_threshold"] == 0.3


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "book"
    shutil.copytree(NEWTOWN, dst)
    return dst


def _problems(book: Path) -> list[tuple[str, str]]:
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(book)
    return [(d.code, d.message) for d in exc.value.diagnostics]


def test_parameter_errors_are_positioned(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    rules = book / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("{param: major_loss}", "{param: major_los}")
                     .replace("{param.report_loss_rate}", "{param.report_rate}", 1), encoding="utf-8")
    cat = book / "catalogue.yaml"
    cat.write_text(cat.read_text(encoding="utf-8").replace('in_force_from: "2024-01-01"', 'in_force_from: "2023-06-01"'),
                   encoding="utf-8")
    got = _problems(book)
    assert any(c == "unknown-reference" and "unknown parameter 'major_los'" in m and "did you mean 'major_loss'" in m
               for c, m in got), got
    assert any(c == "unknown-fact" and "{param.report_rate}" in m for c, m in got), got
    assert any(c == "duplicate-id" and "report_loss_rate" in m for c, m in got), got


def test_a_parameter_compares_numbers_only(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    rules = book / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "{fact: case.consequences.economic_loss_yuan, ge: {param: major_loss}}",
        "{fact: case.origin, eq: {param: major_loss}}"), encoding="utf-8")
    assert any(c == "bad-operator" and "compares a number" in m for c, m in _problems(book))


# --------------------------------------------------------------------------- vocabularies


def test_exactly_one_responsibility_of_rank_zero_and_a_full_matrix(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    cat = book / "catalogue.yaml"
    text = cat.read_text(encoding="utf-8")
    cat.write_text(text.replace("{id: wuze, rank: 0,", "{id: wuze, rank: 1,")
                   .replace("G1: {shouyao: jiaoyu, zhuyao: jiaoyu, ciyao: wu}", "G1: {shouyao: jiaoyu, zhuyao: jiaoyu}"),
                   encoding="utf-8")
    got = _problems(book)
    assert any("exactly one type of rank 0" in m for _c, m in got), got
    assert any("no column for responsibility 'ciyao'" in m for _c, m in got), got


def test_a_chain_rule_names_a_declared_responsibility(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    rules = book / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("then: {responsibility: zhuyao}",
                                                               "then: {responsibility: direct}"), encoding="utf-8")
    assert any(c == "unknown-reference" and "unknown responsibility 'direct'" in m for c, m in _problems(book))


# --------------------------------------------------------------------------- derived facts


def test_derived_facts_of_the_record_and_the_procedure() -> None:
    case = Case.model_validate(_case(history={"agency_loss_rate": 0.3, "same_field_losses": 4,
                                              "same_field_window_years": 5, "prior_unit_sanctions": 2}))
    f = case_facts(case, {}, {"A1": "A"})
    assert f["case.history.agency_loss_rate"] == 0.3 and f["case.history.agency_loss_rate_known"] is True
    assert f["case.history.county_loss_rate"] == 0 and f["case.history.county_loss_rate_known"] is False
    assert (f["case.history.same_field_losses"], f["case.history.same_field_window_years"]) == (4, 5)
    assert f["case.history.prior_unit_sanctions"] == 2
    assert (f["case.procedure.reviewed"], f["case.procedure.approved"], f["case.procedure.stated"]) == (
        False, True, False)  # derived: an approver is listed, no reviewer
    assert f["case.named_roles"] == ["approver", "handler"] and f["case.max_fault_rank"] == 1
    stated = Case.model_validate(_case(procedure={"reviewed": True, "legally_reviewed": True, "approved": False}))
    g = case_facts(stated, {}, {})
    assert (g["case.procedure.reviewed"], g["case.procedure.approved"], g["case.procedure.stated"]) == (
        True, False, True)


def test_record_fields_are_validated_like_every_other() -> None:
    with pytest.raises(InvalidCase):
        from accountrules.intake import parse_case
        parse_case(_case(history={"same_field_losses": 2}))  # without its window
    with pytest.raises(InvalidCase) as exc:
        from accountrules.intake import parse_case
        parse_case(_case(history={"agency_loss_ratio": 0.2}))
    assert any(d.code == "unknown-key" for d in exc.value.diagnostics)


# --------------------------------------------------------------------------- code maps


def test_a_case_of_the_default_rulebook_is_mapped_and_reported(newtown: Engine) -> None:
    case = _case(findings=[{"item": "P2", "persons": ["h1", "a1"]}])
    case["persons"][0]["circumstances"] = ["AG2"]
    mapped, report = newtown.map_codes(Case.model_validate(case))
    assert [(x.code, x.to) for x in report.mapped] == [("P2", "A1"), ("AG2", "J1")]
    assert mapped.case.findings[0].item == "A1" and mapped.persons[0].circumstances == ["J1"]
    rec = newtown.evaluate(case)
    assert rec.situations[0].item == "A1"
    assert rec.situations[0].note == "案卷按 guizhou-bijie-default 的情形代码 P2 填写，按本规则库映射为 A1"
    assert _person(rec, "h1").considered[0].code == "J1"


def test_a_code_without_counterpart_is_refused_by_path(newtown: Engine) -> None:
    with pytest.raises(InvalidCase) as exc:
        newtown.evaluate(_case(findings=[{"item": "D1", "persons": ["h1"]}]))
    (d,) = exc.value.diagnostics
    assert d.code == "unknown-code" and d.path == "case.findings[0].item" and "no counterpart" in d.message


def test_the_cli_reports_what_was_mapped(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(_case(findings=[{"item": "F1", "persons": ["h1"]}]), allow_unicode=True),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", "--rules", str(NEWTOWN), str(path), "--lang", "en",
                                       "--backend", "python"])
    assert result.exit_code == 0, result.output
    assert "mapped: case.findings[0].item: item F1 of guizhou-bijie-default mapped to A2" in result.output


def test_a_code_neither_defined_nor_mapped_says_the_code_maps_lack_it(newtown: Engine) -> None:
    with pytest.raises(InvalidCase) as exc:
        newtown.evaluate(_case(findings=[{"item": "F9", "persons": ["h1"]}]))
    (d,) = exc.value.diagnostics
    assert d.code == "unknown-code" and d.path == "case.findings[0].item"
    assert "item 'F9' is not defined by rulebook newtown, and its code_maps (from guizhou-bijie-default) have no " \
           "entry for it" in d.message
    assert "under 'items:' (F9: CODE, or F9: null for no counterpart)" in d.message and "Allowed: A1" in d.message


def test_a_refused_case_prints_no_mapped_line(tmp_path: Path) -> None:
    import yaml

    case = _case(findings=[{"item": "P2", "persons": ["h1"]}])
    case["persons"][0]["circumstances"] = ["MT3"]  # P2 maps to A1; MT3 has no entry: the case is refused
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", "--rules", str(NEWTOWN), str(path), "--backend", "python"])
    assert result.exit_code == 1
    assert "已映射" not in result.output and "circumstance 'MT3' is not defined by rulebook newtown" in result.output


def test_a_code_map_target_must_exist(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    cat = book / "catalogue.yaml"
    cat.write_text(cat.read_text(encoding="utf-8").replace("F2: A2", "F2: A9"), encoding="utf-8")
    assert any(c == "unknown-reference" and "'F2' is mapped to unknown item 'A9'" in m for c, m in _problems(book))


def test_the_chain_facts_read_the_rulebooks_roles_not_role_ids() -> None:
    from accountrules.language.facts import finding_facts, person_facts

    case = Case.model_validate({**_case(findings=[{"item": "A1", "persons": ["h1", "a1"]}]),
                                "persons": [{"id": "h1", "role": "reviewer", "fault": "intentional"},
                                            {"id": "a1", "role": "approver", "fault": "none"}]})
    chain = {"reviewer": ("handling", 1), "approver": ("approval", 2)}  # a city where the 审核人 drafts
    f = case_facts(case, {}, {}, chain)
    assert (f["case.procedure.reviewed"], f["case.procedure.approved"]) == (False, True)
    approver = case.persons[1]
    ff = finding_facts(case, case.case.findings[0], approver, category="A", base_grade=2, grade=2,
                       direct_roles=(), oversight_roles=(), chain=chain)
    assert (ff["finding.handler_fault_rank"], ff["finding.earlier_max_fault_rank"]) == (3, 3)
    assert person_facts(case, approver, chain)["person.chain_position"] == 2
    default = finding_facts(case, case.case.findings[0], approver, category="A", base_grade=2, grade=2,
                            direct_roles=(), oversight_roles=())
    assert (default["finding.handler_fault_rank"], default["finding.earlier_max_fault_rank"]) == (0, 3)


def test_a_role_must_be_a_case_file_role(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    cat = book / "catalogue.yaml"
    cat.write_text(cat.read_text(encoding="utf-8").replace("{id: reviewer, step: review", "{id: reviewr, step: review"),
                   encoding="utf-8")
    assert any(c == "unknown-reference" and "unknown role 'reviewr'" in m for c, m in _problems(book))


def test_unknown_rates_are_filled_from_a_statistics_input(tmp_path: Path) -> None:
    import json

    import yaml

    stats = {"tables": {"agency_year": [{"agency": "某区局", "year": 2024, "litigation_loss_rate": 0.3}],
                        "region_year": [{"region": "某区局", "year": 2024, "litigation_loss_rate": None}]}}
    (tmp_path / "stats.json").write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(_case(), allow_unicode=True), encoding="utf-8")
    args = ["evaluate", "--rules", str(NEWTOWN), str(tmp_path / "case.yaml"), "--backend", "python",
            "--stats", str(tmp_path / "stats.json")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "from statistics: history.agency_loss_rate = 0.3 (statistics: agency 某区局, 2024)" in result.output
    assert '"written_report"' in result.output and "county_loss_rate" not in result.output
    (tmp_path / "bad.json").write_text("[]", encoding="utf-8")
    bad = CliRunner().invoke(main, [*args[:-1], str(tmp_path / "bad.json")])
    assert bad.exit_code == 1 and "bad-stats" in bad.output


def test_the_parameters_example_of_rule_format_runs(tmp_path: Path) -> None:
    """The example of docs/rule-format.md ("Parameters"), in a copy of the default rulebook."""
    import re

    import yaml

    from accountrules.rules import default_rulebook_dir

    doc = (ROOT / "docs" / "rule-format.md").read_text(encoding="utf-8")
    block = re.search(r"## Parameters \(`\{param: ID\}`\).*?```yaml\n(.*?)```", doc, flags=re.DOTALL)
    assert block is not None
    example = yaml.safe_load(block.group(1))
    book = tmp_path / "rules"
    shutil.copytree(default_rulebook_dir(), book)
    (book / "parameters.yaml").write_text(yaml.safe_dump({"parameters": example["parameters"]}, allow_unicode=True),
                                          encoding="utf-8")
    rule = {**example["unit_measures"][0], "id": "U-doc-example", "citations": example["parameters"][0]["citations"]}
    (book / "zz_example.yaml").write_text(yaml.safe_dump({"unit_measures": [rule]}, allow_unicode=True),
                                          encoding="utf-8")
    engine = Engine(load_rulebook(book), backend="python")
    case = _case(findings=[{"item": "P2", "persons": ["h1"]}], history={"county_loss_rate": 0.25})
    fired_2025 = engine.evaluate({**case, "case": {**case["case"], "conduct_date": "2025-03-01"}})
    fired_2024 = engine.evaluate({**case, "case": {**case["case"], "conduct_date": "2024-03-01"}})

    def rules_of(rec: Any) -> set[str]:
        return {r.rule for u in rec.unit_measures for r in u.reasons}

    assert "U-doc-example" in rules_of(fired_2025) and "U-doc-example" not in rules_of(fired_2024)


def test_lint_reports_a_parameter_no_rule_uses(tmp_path: Path) -> None:
    from accountrules.lint import lint

    book = _copy(tmp_path)
    cat = book / "catalogue.yaml"
    cat.write_text(cat.read_text(encoding="utf-8").replace("  - id: major_loss\n", "  - id: minor_loss\n"),
                   encoding="utf-8")
    rules = book / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("major_loss", "minor_loss"), encoding="utf-8")
    assert not [d for d in lint(load_rulebook(book)) if d.code == "unused"]
    rules.write_text(rules.read_text(encoding="utf-8").replace("{param: minor_loss}", "50000")
                     .replace("{param.minor_loss}", "50000元"), encoding="utf-8")
    found = [d.message for d in lint(load_rulebook(book)) if d.code == "unused"]
    assert found == [("parameter 'minor_loss' is never used: no rule compares with it ({param: ID}) or prints it "
                      "({param.ID}).")]


def test_a_dated_parameter_is_a_law_boundary_and_reads_in_words(newtown: Engine) -> None:
    from accountrules.decision.choice_of_law import boundaries
    from accountrules.language.conditions import explain
    from accountrules.rules.wording import checked_text

    book = newtown.rulebook
    assert "2024-01-01" in boundaries(book)  # the first day the new value applies (legal2: by operator)
    entry = book.by_id["U-loss-rate-report"]
    facts = {"outcome.status": "error_case", "case.history.agency_loss_rate_known": True,
             "case.history.agency_loss_rate": 0.1, "case.law_date": 20240315}
    ok, checked = explain(entry.cond, facts)
    assert not ok
    failed = [checked_text(book, c, "zh") for c in checked if not c.held]
    assert "本机关行政诉讼败诉率应大于书面报告败诉率阈值（20%），实际为10%" in failed
