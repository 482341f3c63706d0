"""accountrules test: the *.cases.yaml runner, failure diffs, coverage by rule and by provision."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from accountrules.casefile import (
    compute_coverage,
    find_case_files,
    iter_results,
    load_cases,
    make_engines,
    run_case,
)
from accountrules.cli.test import command
from accountrules.errors import RuleFileError

from ..conftest import MINI

UNCITED_RULE = """\
chain:
  - id: crime-direct
    title: {zh: 涉嫌犯罪, en: crime suspected}
    when: {fact: person.crime_suspected, eq: true}
    then: {responsibility: direct}
    citations: [{instrument: S09, article: 第八十二条}]
"""


@pytest.fixture()
def book_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "book"
    shutil.copytree(MINI, dst)
    return dst


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(command, list(args))
    return res.exit_code, res.output


def test_all_mini_cases_pass_on_both_backends() -> None:
    results = list(iter_results(MINI, find_case_files(MINI)))
    assert results and all(r.ok for r in results)
    from accountrules.engine import available_backends

    assert {r.backend for r in results} == set(available_backends())


def test_failure_shows_file_case_and_diff(book_dir: Path) -> None:
    p = book_dir / "book.cases.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("p1: {level: talk}", "p1: {level: notified_criticism}"),
                 encoding="utf-8")
    code, out = _run(str(book_dir), "--backend", "python")
    assert code == 1
    assert f"FAIL {book_dir}/book.cases.yaml:32:5: case 'loss at threshold raises the grade' [python]" in out
    assert '-      "level": "notified_criticism"' in out and '+      "level": "talk"' in out
    assert "5 passed, 1 failed" in out


def test_coverage_names_the_articles_no_case_exercises(book_dir: Path) -> None:
    (book_dir / "extra.yaml").write_text(UNCITED_RULE, encoding="utf-8")
    code, out = _run(str(book_dir), "--backend", "python", "--coverage")
    assert code == 0, out
    assert "ARTICLES NO CASE EXERCISES:" in out
    section = out.split("ARTICLES NO CASE EXERCISES:")[1]
    assert "行政处罚法 第八十二条 (S09) — cited by crime-direct (" in section
    assert "第七十六条" not in section and "第四十四条" not in section
    never_fired = out.split("rules never fired:")[1].split("\n\n")[0]
    assert "crime-direct" in never_fired and "ag2" in never_fired
    assert "articles exercised by a case: 2/3 (66.7%)" in out


def test_min_coverage_threshold(book_dir: Path) -> None:
    assert _run(str(book_dir), "--backend", "python", "--min-coverage", "50")[0] == 0
    code, out = _run(str(book_dir), "--backend", "python", "--min-coverage", "90")
    assert code == 1 and "coverage below 90.0%" in out and "rules never fired:" in out


def test_json_format(book_dir: Path) -> None:
    (book_dir / "extra.yaml").write_text(UNCITED_RULE, encoding="utf-8")
    code, out = _run(str(book_dir), "--backend", "python", "--coverage", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["passed"] == 6 and data["failed"] == 0 and data["failures"] == []
    prov = data["coverage"]["provisions"]
    assert prov["total"] == 3
    assert [(u["instrument"], u["article"]) for u in prov["unexercised"]] == [("S09", "第八十二条")]
    assert prov["unexercised"][0]["cited_by"][0]["owner"] == "crime-direct"
    assert {r["rule"] for r in data["coverage"]["rules"]["never_fired"]} == {"ag2", "mt7", "key", "crime-direct"}
    assert [r["rule"] for r in data["coverage"]["rules"]["never_silent"]] == []  # "routine" has no condition: it cannot be silent and is not counted


def test_coverage_counts_catalogue_entries_used_by_recommendations() -> None:
    engines = make_engines(MINI, ("python",))
    results = [r for p in find_case_files(MINI) for c in load_cases(p) for r in run_case(c, engines)]
    cov = compute_coverage(engines["python"].rulebook, results)
    assert cov.cases == 5  # the rejected case does not count
    assert not cov.unexercised
    assert cov.rule_pct == 75.0 and cov.never_silent == [] and cov.unconditional == {"routine"}


def test_bad_cases_file_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "x.cases.yaml"
    p.write_text("cases:\n  - {name: a, expect: {status: error_case}, extra: 1}\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        load_cases(p)
    assert exc.value.diagnostics[0].code == "unknown-key"


def test_an_unknown_rule_id_under_fired_or_silent_fails_the_case(book_dir: Path) -> None:
    p = book_dir / "book.cases.yaml"
    text = p.read_text(encoding="utf-8")
    assert "      silent: [pending]" in text
    p.write_text(text.replace("      silent: [pending]", "      silent: [pendng]"), encoding="utf-8")
    code, out = _run(str(book_dir), "--backend", "python")
    assert code == 1
    assert "silent: 'pendng' is not a rule of" in out and "did you mean 'pending'?" in out


OVERRIDING_RULE = """\
status_rules:
  - id: x-small-loss
    title: {zh: 损失轻微, en: small loss}
    when: {fact: case.consequences.economic_loss_yuan, ge: 1}
    then: {status: not_error_case}
    exception_to: [T3-reconsideration]
    citations: [{instrument: S09, article: 第四十四条}]
"""

OVERRIDE_CASES = """\
base:
  case:
    id: MINI-O
    origin: reconsideration
    outcome: revoked
    effective: true
    decided_on: 2023-06-30
    act_type: penalty
    agency: {name: 某县局, level: county, field: natural_resources}
    consequences: {economic_loss_yuan: 10}
    findings: [{item: P2, persons: [p1]}]
  persons:
    - {id: p1, role: handler, fault: ordinary_negligence}
cases:
  - name: the exception wins
    expect:
      status: not_error_case
      fired: [x-small-loss, T3-reconsideration]
      overridden: [T3-reconsideration]
"""


def _override_book(tmp_path: Path, cases: str) -> tuple[Path, Path]:
    book = tmp_path / "book"
    shutil.copytree(MINI, book)
    (book / "extra.yaml").write_text(OVERRIDING_RULE, encoding="utf-8")
    cases_dir = tmp_path / "cases"
    cases_dir.mkdir()
    (cases_dir / "o.cases.yaml").write_text(cases, encoding="utf-8")
    return book, cases_dir


def test_overridden_rules_count_as_fired_and_can_be_expected(tmp_path: Path) -> None:
    book, cases = _override_book(tmp_path, OVERRIDE_CASES)
    code, out = _run(str(cases), "--rules", str(book), "--backend", "python")
    assert code == 0, out
    assert "1 passed, 0 failed" in out


def test_an_overridden_rule_under_silent_is_shown_as_fired_and_overridden(tmp_path: Path) -> None:
    book, cases = _override_book(tmp_path, OVERRIDE_CASES.replace(
        "      fired: [x-small-loss, T3-reconsideration]\n      overridden: [T3-reconsideration]\n",
        "      silent: [T3-reconsideration]\n"))
    code, out = _run(str(cases), "--rules", str(book), "--backend", "python")
    assert code == 1
    assert "\"T3-reconsideration (fired, then overridden by 'x-small-loss' on case)\"" in out
    assert "note: 'T3-reconsideration' fired and was overridden (by 'x-small-loss' on case)" in out


def test_overridden_fails_for_a_rule_that_stood_or_did_not_fire(tmp_path: Path) -> None:
    book, cases = _override_book(tmp_path, OVERRIDE_CASES.replace(
        "overridden: [T3-reconsideration]", "overridden: [x-small-loss, pending]"))
    code, out = _run(str(cases), "--rules", str(book), "--backend", "python")
    assert code == 1
    assert '-    "x-small-loss",' in out or '-    "x-small-loss"' in out
    assert '-    "pending"' in out


def test_an_unknown_rule_id_under_overridden_is_an_error_at_its_position(tmp_path: Path) -> None:
    book, cases = _override_book(tmp_path, OVERRIDE_CASES.replace(
        "overridden: [T3-reconsideration]", "overridden: [T3-reconsideraton]"))
    code, out = _run(str(cases), "--rules", str(book), "--backend", "python")
    assert code == 1
    assert (f"{cases}/o.cases.yaml:19:20: unknown-reference: overridden: 'T3-reconsideraton' is not a rule of mini"
            in out) and "did you mean 'T3-reconsideration'?" in out


def test_a_rule_list_that_is_not_a_list_of_ids_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "x.cases.yaml"
    p.write_text("cases:\n  - {name: a, expect: {overridden: pending}}\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        load_cases(p)
    [d] = exc.value.diagnostics
    assert d.code == "bad-value" and "'overridden' is a list of rule ids" in d.message and d.span is not None
