"""accountrules lint: the reasoner, each finding, the issue's injected-findings check, the CLI."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from accountrules import Engine, RuleConflict, load_rulebook
from accountrules import models as m
from accountrules.cli.lint import command
from accountrules.conditions import Test as CTest
from accountrules.errors import RuleFileError
from accountrules.lint import Reasoner, lint, load_for_lint
from accountrules.rules import Rulebook, default_rulebook_dir

from ..conftest import MINI

CITE = "citations: [{instrument: S09, article: 第七十六条}]"

FALLBACK = """\
status_rules:
  - id: not-corrected
    title: {zh: 未被纠正, en: not corrected}
    when:
      all:
        - {fact: case.effective, eq: true}
        - not: {all: [{fact: case.origin, eq: reconsideration}, {fact: case.outcome, in: [revoked, varied]}]}
    then: {status: not_error_case}
    citations: [{instrument: S09, article: 第四十四条}]
"""


def _default_book() -> Rulebook:
    """The bundled rulebook; a broken one fails the test (never a skip)."""
    return load_rulebook()


def _copy(src: Path, tmp: Path, name: str = "book") -> Path:
    dst = tmp / name
    shutil.copytree(src, dst)
    return dst


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


def _found(book_dir: Path) -> list[tuple[str, str, int, str]]:
    book, problems = load_for_lint(book_dir)
    assert book is not None, problems
    return [(d.code, Path(d.span.file).name if d.span else "", d.span.line if d.span else 0, d.severity)
            for d in problems + lint(book)]


# --------------------------------------------------------------------------- the reasoner


def _t(path: str, op: str, value: Any) -> CTest:
    return CTest(path, op, value)


REASONER_CASES: list[tuple[str, list[CTest], str, bool]] = [
    ("eq a and eq b", [_t("case.origin", "eq", "court"), _t("case.origin", "eq", "supervision")], "case", False),
    ("eq v and ne v", [_t("case.outcome", "eq", "revoked"), _t("case.outcome", "ne", "revoked")], "case", False),
    ("ne every value", [_t("case.agency.level", "ne", v) for v in m.AGENCY_LEVELS], "case", False),
    ("ne some values", [_t("case.agency.level", "ne", v) for v in m.AGENCY_LEVELS[1:]], "case", True),
    ("free text eq a and eq b", [_t("case.agency.field", "eq", "a"), _t("case.agency.field", "eq", "b")],
     "case", False),
    ("free text eq a and ne b", [_t("case.agency.field", "eq", "a"), _t("case.agency.field", "ne", "b")],
     "case", True),
    ("ranges that cannot overlap", [_t("case.consequences.economic_loss_yuan", "ge", 10),
                                    _t("case.consequences.economic_loss_yuan", "lt", 5)], "case", False),
    ("real numbers between 2 and 3", [_t("case.consequences.economic_loss_yuan", "gt", 2),
                                      _t("case.consequences.economic_loss_yuan", "lt", 3)], "case", True),
    ("no whole number between 2 and 3", [_t("case.history.series_cases", "gt", 2),
                                         _t("case.history.series_cases", "lt", 3)], "case", False),
    ("a count below zero", [_t("case.history.series_cases", "lt", 0)], "case", False),
    ("a loss below zero", [_t("case.consequences.economic_loss_yuan", "lt", 0)], "case", False),
    ("equal bound, strict", [_t("case.persons_count", "ge", 2), _t("case.persons_count", "lt", 2)], "case", False),
    ("equal bound, inclusive", [_t("case.persons_count", "ge", 2), _t("case.persons_count", "le", 2)], "case", True),
    ("contains and excludes", [_t("case.grounds", "contains", "wrong_law"),
                               _t("case.grounds", "excludes", "wrong_law")], "case", False),
    ("bool both ways", [_t("case.effective", "eq", True), _t("case.effective", "eq", False)], "case", False),
    ("bool eq and ne", [_t("case.effective", "eq", True), _t("case.effective", "ne", False)], "case", True),
    ("fault and its rank", [_t("person.fault", "eq", "intentional"), _t("person.fault_rank", "lt", 2)],
     "person", False),
    ("fault rank out of range", [_t("person.fault_rank", "ge", 4)], "person", False),
    ("impact and its rank", [_t("case.consequences.social_impact", "eq", "none"),
                             _t("case.consequences.social_impact_rank", "ge", 1)], "case", False),
    ("no hearing but summoned", [_t("case.hearing.present", "eq", False),
                                 _t("case.hearing.head_summoned", "eq", True)], "case", False),
    ("hearing and summoned", [_t("case.hearing.present", "eq", True),
                              _t("case.hearing.head_summoned", "eq", True)], "case", True),
    ("no findings at pf", [_t("case.findings_count", "eq", 0)], "pf", False),
    ("no findings at case", [_t("case.findings_count", "eq", 0)], "case", True),
    ("items but no findings", [_t("case.items", "contains", "P2"), _t("case.findings_count", "eq", 0)],
     "case", False),
    ("an item and another category", [_t("finding.item", "eq", "P2"), _t("finding.category", "ne", "P")],
     "pf", False),
    ("an item's base grade", [_t("finding.item", "eq", "P2"), _t("finding.base_grade", "eq", 3)], "pf", False),
    ("grade above the scale", [_t("finding.grade", "gt", 3)], "pf", False),
    ("grade reachable by the loss modifier", [_t("finding.item", "eq", "P2"), _t("finding.grade", "eq", 3)],
     "pf", True),
    ("grade below the item's reach", [_t("finding.item", "eq", "P2"), _t("finding.grade", "eq", 1)], "pf", False),
    ("item missing from case.items", [_t("finding.item", "eq", "P2"), _t("case.items", "excludes", "P2")],
     "pf", False),
    ("typical direct bearer is a handler", [_t("finding.role_is_direct", "eq", True),
                                            _t("person.role", "eq", "approver")], "pf", False),
    ("typical oversight role", [_t("finding.role_is_oversight", "eq", True),
                                _t("person.role", "eq", "reviewer")], "pf", True),
    ("named, but named in nothing", [_t("finding.named", "eq", True), _t("person.named_count", "eq", 0)],
     "pf", False),
    ("not an error case yet someone liable", [_t("outcome.status", "eq", "pending"),
                                              _t("outcome.max_rank", "ge", 1)], "outcome", False),
    ("an error case with someone liable", [_t("outcome.status", "eq", "error_case"),
                                           _t("outcome.max_rank", "ge", 1)], "outcome", True),
    ("max rank not on the ladder", [_t("outcome.max_rank", "eq", 7)], "outcome", False),
    ("items in a case that is not an error case", [_t("outcome.items", "contains", "P2"),
                                                   _t("outcome.status", "ne", "error_case")], "outcome", False),
]


@pytest.mark.parametrize(("name", "conj", "stage", "sat"), REASONER_CASES, ids=[c[0] for c in REASONER_CASES])
def test_reasoner(mini_book: Rulebook, name: str, conj: list[CTest], stage: str, sat: bool) -> None:
    res = Reasoner(mini_book).check(conj, stage)
    assert (res is None) == sat, res


def test_pf_rules_need_an_error_case(mini_book: Rulebook) -> None:
    rs = Reasoner(mini_book)
    # mini's only error_case rule needs case.effective == true
    bad = rs.check_in_stage([_t("case.effective", "eq", False)], "pf")
    assert bad is not None and "only for error cases" in bad.why
    assert rs.check_in_stage([_t("case.effective", "eq", True)], "pf") is None
    assert rs.check_in_stage([_t("case.effective", "eq", False)], "person") is None


# --------------------------------------------------------------------------- the check


INJECT = """\
instruments:
  - {id: S99, name: 某省行政执法条例, short: 执法条例, kind: local_regulation, analogue: true}
ladder:
  - {id: dismissal, rank: 19, name: {zh: 撤职, en: dismissal}, citations: [{instrument: S09, article: 第七十六条}]}
status_rules:
  - id: injected-conflict
    title: {zh: 冲突, en: conflict}
    when: WHEN
    then: {status: not_error_case}
    exception_to: EXCEPT
    citations: [{instrument: S09, article: 第四十四条}]
chain:
  - id: injected-unsat
    title: {zh: 矛盾, en: contradiction}
    when: {all: [{fact: person.fault, eq: intentional}, {fact: person.fault_rank, lt: 2}]}
    then: {responsibility: direct}
    citations: [{instrument: S99, article: 第十条}]
"""


def _inject(book_dir: Path, book: Rulebook) -> Path:
    """Add the four problems in a new file; the conflict copies the first error_case rule's condition."""
    first = next(e for e in book.by_section["status_rules"] if e.rule.then.status == "error_case")  # type: ignore[attr-defined]
    others = [e.id for e in book.by_section["status_rules"] if e.id != first.id]
    text = INJECT.replace("WHEN", json.dumps(first.rule.when, ensure_ascii=False)) \
        .replace("EXCEPT", json.dumps(others))
    if "S09" not in book.instruments:
        text = text.replace("S09", next(iter(book.instruments)))
    path = book_dir / "zz_injected.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _expected(path: Path) -> set[tuple[str, str, int, str]]:
    name = path.name
    return {
        ("conflict", name, _line_of(path, "- id: injected-conflict"), "error"),
        ("unsatisfiable", name, _line_of(path, "- id: injected-unsat"), "error"),
        ("missing-version", name, _line_of(path, "[{instrument: S99"), "error"),
        ("unreachable-level", name, _line_of(path, "- {id: dismissal"), "warning"),
    }


def test_injected_findings_exactly_mini(tmp_path: Path) -> None:
    book_dir = _copy(MINI, tmp_path)
    (book_dir / "fallback.yaml").write_text(FALLBACK, encoding="utf-8")
    assert _found(book_dir) == []  # the clean starting point
    path = _inject(book_dir, load_rulebook(book_dir))
    assert set(_found(book_dir)) == _expected(path)
    assert len(_found(book_dir)) == 4


def test_injected_findings_exactly_default(tmp_path: Path) -> None:
    book = _default_book()
    book_dir = _copy(default_rulebook_dir(), tmp_path)
    before = _found(book_dir)
    path = _inject(book_dir, book)
    after = _found(book_dir)
    new = [f for f in after if f not in before]
    assert set(new) == _expected(path)
    assert len(new) == 4 and len(after) == len(before) + 4


def test_mini_lints_with_only_outcome_gaps(mini_book: Rulebook) -> None:
    found = lint(mini_book)
    assert {d.code for d in found} == {"gap-outcome"}
    assert len(found) == len(m.OUTCOMES)
    assert all(d.severity == "warning" for d in found)
    revoked = next(d for d in found if "'revoked'" in d.message)
    assert "case.origin court, procuratorate, supervision:" in revoked.message


# --------------------------------------------------------------------------- each other finding


def _lint_with(tmp_path: Path, extra: str, edit: tuple[str, str] | None = None) -> list[tuple[str, str, int]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    book_dir = _copy(MINI, tmp_path)
    (book_dir / "fallback.yaml").write_text(FALLBACK, encoding="utf-8")
    (book_dir / "zz.yaml").write_text(extra, encoding="utf-8")
    if edit is not None:
        p = book_dir / "book.yaml"
        text = p.read_text(encoding="utf-8")
        assert edit[0] in text
        p.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    return [(c, f, n) for c, f, n, _ in _found(book_dir)]


def test_conflict_resolved_by_a_third_rule(tmp_path: Path) -> None:
    b = f"""status_rules:
  - id: revoked-not-error
    title: {{zh: 撤销, en: revoked}}
    when: {{fact: case.outcome, eq: revoked}}
    then: {{status: not_error_case}}
    exception_to: [pending]
    {CITE}
"""
    assert _lint_with(tmp_path / "1", b) == [("conflict", "zz.yaml", 2)]
    c = b + f"""  - id: reconsideration-pending
    title: {{zh: 复议待定, en: pending}}
    when: {{fact: case.origin, eq: reconsideration}}
    then: {{status: pending}}
    exception_to: [revoked-not-error, T3-reconsideration, not-corrected]
    {CITE}
"""
    assert _lint_with(tmp_path / "2", c) == []


def test_dormant_under_the_policy(tmp_path: Path) -> None:
    extra = f"""chain:
  - id: approver-first
    title: {{zh: 审批优先, en: approver first}}
    when: {{all: [{{fact: policy.chain_weighting, eq: approver_first}}, {{fact: person.role, eq: approver}}]}}
    then: {{responsibility: direct}}
    {CITE}
"""
    assert _lint_with(tmp_path, extra) == [("dormant", "zz.yaml", 2)]


def test_never_silent(tmp_path: Path) -> None:
    extra = f"""review:
  - id: always-key
    title: {{zh: 总是, en: always}}
    when: {{fact: case.effective, in: [true, false]}}
    then: {{track: key}}
    {CITE}
"""
    assert _lint_with(tmp_path, extra) == [("never-silent", "zz.yaml", 2)]


def test_channel_overlap_and_unused(tmp_path: Path) -> None:
    extra = f"""channels:
  - {{id: party, name: {{zh: 党纪, en: party}}, {CITE}}}
  - {{id: state, name: {{zh: 政务, en: state}}, {CITE}}}
  - {{id: idle, name: {{zh: 闲置, en: idle}}, {CITE}}}
channel_rules:
  - id: ch-party
    title: {{zh: 党员, en: party}}
    when: {{fact: person.party_member, eq: true}}
    then: {{channel: party}}
    {CITE}
  - id: ch-state
    title: {{zh: 领导, en: cadre}}
    when: {{fact: person.leading_cadre, eq: true}}
    then: {{channel: state}}
    {CITE}
  - id: ch-state-2
    title: {{zh: 非党员, en: non-party}}
    when: {{fact: person.party_member, eq: false}}
    then: {{channel: state}}
    exception_to: [ch-party]
    {CITE}
"""
    assert _lint_with(tmp_path, extra) == [("unused", "zz.yaml", 4), ("overlap", "zz.yaml", 11)]


def test_floor_above_ceiling(tmp_path: Path) -> None:
    extra = f"""level_rules:
  - id: floor
    title: {{zh: 下限, en: floor}}
    when: {{fact: person.crime_suspected, eq: true}}
    then: {{min_level: referral_discipline}}
    {CITE}
  - id: ceiling
    title: {{zh: 上限, en: ceiling}}
    when: {{fact: person.fault, eq: ordinary_negligence}}
    then: {{max_level: notified_criticism}}
    {CITE}
"""
    assert _lint_with(tmp_path, extra) == [("floor-above-ceiling", "zz.yaml", 7)]


def test_gap_circumstance_and_unused_definition(tmp_path: Path) -> None:
    extra = f"""circumstances:
  - {{code: MT9, kind: mitigating, name: {{zh: 无规则, en: no rule}}, {CITE}}}
definitions:
  - {{id: T9, name: {{zh: 未用, en: unused}}, {CITE}}}
"""
    assert _lint_with(tmp_path, extra) == [("gap-circumstance", "zz.yaml", 2), ("unused", "zz.yaml", 4)]


def test_gap_item_without_chain_rule(tmp_path: Path) -> None:
    extra = f"""items:
  - {{id: P3, category: P, name: {{zh: 新, en: new}}, base_grade: G2, roles: {{direct: [handler]}}, {CITE}}}
"""
    edit = ("when: {fact: finding.named, eq: true}",
            "when: {all: [{fact: finding.named, eq: true}, {fact: finding.item, eq: P2}]}")
    found = _lint_with(tmp_path, extra, edit)
    # reviewer-failed still covers P3 for reviewers: no gap; restrict it too
    assert found == []
    edit2 = ("when: {all: [{fact: person.role, eq: reviewer}, {fact: person.conduct, contains: failed_to_detect}]}",
             "when: {all: [{fact: person.role, eq: reviewer}, {fact: finding.item, eq: P2}]}")
    book_dir = tmp_path / "book"
    p = book_dir / "book.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace(*edit2), encoding="utf-8")
    assert [(c, f, n) for c, f, n, _ in _found(book_dir)] == [("gap-item", "zz.yaml", 2)]


def test_gap_item_all_cells_rank_zero(tmp_path: Path) -> None:
    extra = f"""items:
  - {{id: P4, category: P, name: {{zh: 轻, en: trivial}}, base_grade: G1, roles: {{direct: [handler]}}, {CITE}}}
"""
    row = "{direct: none, primary_leadership: none, important_leadership: none}"
    book_dir = _copy(MINI, tmp_path)
    (book_dir / "fallback.yaml").write_text(FALLBACK, encoding="utf-8")
    (book_dir / "zz.yaml").write_text(extra, encoding="utf-8")
    p = book_dir / "book.yaml"
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [f"    {x.split(':')[0].strip()}: {row}\n" if x.strip().startswith(("G1: {direct", "G2: {direct")) else x
             for x in lines]
    p.write_text("".join(lines), encoding="utf-8")
    # P4 (G1, at most G2 with the loss modifier) only reaches rows of rank-0 levels; P2 reaches G3
    assert [(c, f, n) for c, f, n, _ in _found(book_dir)] == [("gap-item", "zz.yaml", 2)]


def test_placeholder_version_is_a_warning(tmp_path: Path) -> None:
    extra = """instruments:
  - {id: S98, name: 某地办法, short: 办法, kind: local_rule, version: "0000"}
definitions:
  - {id: T3b, name: {zh: 占位, en: placeholder}, citations: [{instrument: S98, article: 第一条}]}
status_rules:
  - id: t3b
    title: {zh: 占位, en: placeholder}
    when: {all: [{fact: case.origin, eq: court}, {fact: case.outcome, eq: revoked}, {fact: case.effective, eq: true}]}
    then: {status: error_case, definition: T3b}
    exception_to: [not-corrected]
    citations: [{instrument: S98, article: 第二条}]
"""
    book_dir = _copy(MINI, tmp_path)
    (book_dir / "fallback.yaml").write_text(FALLBACK, encoding="utf-8")
    (book_dir / "zz.yaml").write_text(extra, encoding="utf-8")
    assert _found(book_dir) == [("missing-version", "zz.yaml", 2, "warning")]
    book, _ = load_for_lint(book_dir)
    assert book is not None
    msg = lint(book)[0].message
    assert "placeholder version 0000" in msg and "2 citation(s)" in msg and "t3b (" in msg


def test_unknown_role_of_an_item(tmp_path: Path) -> None:
    edit = ("roles: {direct: [handler], oversight: [reviewer]}", "roles: {direct: [handler], oversight: [reveiwer]}")
    book = _copy(MINI, tmp_path)
    f = book / "book.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    # validation itself rejects it now (before lint runs), with the position and a suggestion
    with pytest.raises(RuleFileError) as ei:
        load_rulebook(book)
    (d,) = ei.value.diagnostics
    assert d.span is not None
    line = f.read_text(encoding="utf-8").splitlines()[13]
    # at the misspelt role itself
    assert (d.code, Path(d.span.file).name, d.span.line, d.span.column) == (
        "unknown-reference", "book.yaml", 14, line.index("reveiwer") + 1)
    assert "did you mean 'reviewer'" in d.message


def test_durable_limits(mini_book: Rulebook, monkeypatch: pytest.MonkeyPatch) -> None:
    from accountrules.matching import compile as comp
    from accountrules.matching.durable import translate

    n = len(comp.compile_rulebook(mini_book).durable_rules)
    monkeypatch.setattr(translate, "MAX_DURABLE_RULES", n + 1)
    near = [d for d in lint(mini_book) if d.code == "durable-limit"]
    assert len(near) == 1 and near[0].severity == "warning"
    monkeypatch.setattr(translate, "MAX_DURABLE_RULES", n - 1)
    over = [d for d in lint(mini_book) if d.code == "durable-limit"]
    assert len(over) == 1 and over[0].severity == "error" and "too-many-rules" in over[0].message


# --------------------------------------------------------------------------- soundness on random cases


def _random_case(rnd: random.Random, book: Rulebook, i: int) -> dict[str, Any]:
    def some(pool: list[str] | tuple[str, ...], k: int = 3) -> list[str]:
        return rnd.sample(list(pool), rnd.randint(0, min(k, len(pool))))

    persons = [{"id": f"p{j}", "role": rnd.choice(m.ROLES), "fault": rnd.choice(m.FAULTS),
                "party_member": rnd.random() < .5, "leading_cadre": rnd.random() < .3,
                "conduct": some(m.CONDUCTS), "circumstances": some(list(book.circumstances)),
                "private_gain": rnd.random() < .2, "superior_order_manifestly_unlawful": rnd.random() < .1,
                "diligent_review": rnd.random() < .3, "crime_suspected": rnd.random() < .1}
               for j in range(rnd.randint(1, 3))]
    pids = [p["id"] for p in persons]
    hearing = None if rnd.random() < .5 else {
        "head_summoned": rnd.random() < .5, "head_appeared": rnd.random() < .5,
        "absence_reason": rnd.choice(m.ABSENCE_REASONS), "absence_documented": rnd.random() < .5,
        "staff_appeared": rnd.random() < .5}
    return {"case": {
        "id": f"R{i}", "origin": rnd.choice(m.ORIGINS), "outcome": rnd.choice(m.OUTCOMES),
        "effective": rnd.random() < .8, "decided_on": "2023-06-30", "act_type": rnd.choice(m.ACT_TYPES),
        "grounds": some(m.GROUNDS), "agency": {"name": "x", "level": rnd.choice(m.AGENCY_LEVELS), "field": "f"},
        "hearing": hearing,
        "findings": [{"item": rnd.choice(list(book.items)), "persons": some(pids)} for _ in range(rnd.randint(0, 3))],
        "consequences": {"economic_loss_yuan": rnd.choice([0, 5000, 100000, 3_000_000]),
                         "social_impact": rnd.choice(m.SOCIAL_IMPACTS), "state_compensation": rnd.random() < .3,
                         "mass_incident": rnd.random() < .1},
        "history": {"same_field_losses_3y": rnd.randint(0, 4), "same_issue_lost_before": rnd.random() < .3,
                    "series_cases": rnd.randint(0, 3)}},
        "persons": persons}


def _soundness(book: Rulebook, n: int) -> None:
    found = lint(book)
    dead = {d.rule_id for d in found if d.code == "unsatisfiable"}
    always = {d.rule_id for d in found if d.code == "never-silent"}
    conflicts = {d.rule_id for d in found if d.code == "conflict"}
    engine = Engine(book, backend="python")
    rnd = random.Random(11)
    fired_any: set[str] = set()
    for i in range(n):
        try:
            _, trace = engine.evaluate_traced(_random_case(rnd, book, i))
        except RuleConflict as exc:
            assert conflicts, f"a status conflict at run time that lint did not report: {exc}"
            continue
        fired = trace.fired()
        fired_any |= fired
        case_rules = {e.id for e in book.rules if e.stage == "case"}
        assert not (always & case_rules) - fired
    assert not fired_any & dead, f"lint called these unsatisfiable, yet they fired: {fired_any & dead}"


def test_soundness_mini(mini_book: Rulebook) -> None:
    _soundness(mini_book, 300)


def test_soundness_default() -> None:
    _soundness(_default_book(), 300)


# --------------------------------------------------------------------------- the command


def test_cli_formats_and_exit_codes(tmp_path: Path) -> None:
    book_dir = _copy(MINI, tmp_path)
    (book_dir / "fallback.yaml").write_text(FALLBACK, encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(command, [str(book_dir)])
    assert ok.exit_code == 0 and "0 error(s), 0 warning(s)" in ok.output
    _inject(book_dir, load_rulebook(book_dir))
    res = runner.invoke(command, [str(book_dir)])
    assert res.exit_code == 1
    errors, warnings = res.output.split("warnings (1):")
    assert errors.startswith("errors (3):") and "unreachable-level" in warnings and "conflict" in errors
    line = next(x for x in errors.splitlines() if "unsatisfiable" in x)
    assert line.startswith(f"{book_dir}/zz_injected.yaml:") and ": unsatisfiable: rule 'injected-unsat'" in line
    data = json.loads(runner.invoke(command, [str(book_dir), "--format", "json"]).output)
    assert data["summary"] == {"errors": 3, "warnings": 1}
    assert {d["code"] for d in data["errors"]} == {"conflict", "unsatisfiable", "missing-version"}
    gh = runner.invoke(command, [str(book_dir), "--format", "github"]).output.splitlines()
    assert sum(x.startswith("::error file=") for x in gh) == 3 and sum(x.startswith("::warning") for x in gh) == 1


def test_cli_invalid_rulebook(tmp_path: Path) -> None:
    book_dir = _copy(MINI, tmp_path)
    p = book_dir / "book.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("base_grade: G2", "base_grade: G9"), encoding="utf-8")
    res = CliRunner().invoke(command, [str(book_dir)])
    assert res.exit_code == 1 and "unknown-reference" in res.output


def test_registered_in_cli() -> None:
    from accountrules.cli import cli

    assert "lint" in cli.commands and "docs" in cli.commands and "diff" in cli.commands


def test_yaml_of_injection_is_valid() -> None:
    assert yaml.safe_load(INJECT.replace("WHEN", "null").replace("EXCEPT", "[]"))


# --------------------------------------------------------------------------- uncovered-role


def test_a_role_no_chain_rule_covers_is_reported_at_its_declaration(tmp_path: Path) -> None:
    from ..conftest import ROOT

    book_dir = _copy(ROOT / "tests" / "fixtures" / "hillcounty", tmp_path)
    found = [d for d in lint(load_rulebook(book_dir)) if d.code == "uncovered-role"]
    assert [(d.severity, d.span.line if d.span else 0) for d in found] == [("warning", 107)]
    assert "role 'reviewer': a person of this role named in a finding can never bear a responsibility" in \
        found[0].message
    # a chain rule for the role closes the gap
    rules = book_dir / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    head = "chain:\n"
    assert head in text
    rules.write_text(text.replace(head, head + (
        "  - id: HC-reviewer\n"
        "    title: {zh: 审核人, en: reviewer}\n"
        "    when: {all: [{fact: person.role, eq: reviewer}, {fact: finding.named, eq: true}]}\n"
        "    then: {responsibility: hc_minor}\n"
        "    citations: [{instrument: HC01, article: 第五条}]\n"), 1), encoding="utf-8")
    assert [d for d in lint(load_rulebook(book_dir)) if d.code == "uncovered-role"] == []


@pytest.mark.parametrize("book", ["default", "shandong-supervision"])
def test_the_bundled_rulebooks_cover_every_role(book: str) -> None:
    found = lint(load_rulebook(None if book == "default" else book))
    assert [d for d in found if d.code == "uncovered-role"] == []
