"""The second bundled rulebook, ``rulebooks/shandong-supervision`` (山东省行政执法监督条例 arts 28–38).

Its rule cases run through the pytest plugin (``rulebooks`` is in ``testpaths``); here: it loads by
name and by directory, validates, lints clean, covers every rule and article, passes a bounded
consistency check, its generated docs are current, its outputs print its own labels, and the
example of a new jurisdiction shown in ``docs/authoring.md`` is what the commands print.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from accountrules import Engine, RuleFileError, bundled_rulebooks, load_rulebook
from accountrules.casefile import compute_coverage, find_case_files, iter_results
from accountrules.docs import generate, stale
from accountrules.intake import read_case_file
from accountrules.lint import lint
from accountrules.rules import Rulebook

from .conftest import ROOT, requires_durable

NAME = "shandong-supervision"
DIR = ROOT / "rulebooks" / NAME
EXAMPLE = ROOT / "examples" / NAME / "sd-2024-031.yaml"


@pytest.fixture(scope="module")
def book() -> Rulebook:
    return load_rulebook(NAME)


def test_registry_lists_every_bundled_rulebook_under_its_manifest_id() -> None:
    books = bundled_rulebooks()
    assert list(books)[:1] == ["guizhou-bijie-default"]
    assert NAME in books
    for name, directory in books.items():
        assert load_rulebook(directory).manifest.id == name


def test_by_name_and_by_directory_are_the_same_rulebook(book: Rulebook) -> None:
    by_dir = load_rulebook(DIR, display_root=f"rulebooks/{NAME}")
    assert by_dir.sha256 == book.sha256
    assert book.manifest.id == NAME
    assert book.by_id["ST-revoked"].span.file == f"rulebooks/{NAME}/definitions.yaml"


def test_an_unknown_name_lists_the_bundled_rulebooks() -> None:
    with pytest.raises(RuleFileError) as exc:
        load_rulebook("shandong-supervison")
    (d,) = exc.value.diagnostics
    assert d.code == "rulebook-not-found"
    assert "guizhou-bijie-default, shandong-supervision" in d.message


def test_a_local_directory_wins_over_a_bundled_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / NAME).mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuleFileError) as exc:  # the empty local folder is loaded (and refused), not the bundle
        load_rulebook(NAME)
    assert exc.value.diagnostics[0].code == "rulebook-not-found"
    assert "has no rulebook.yaml" in exc.value.diagnostics[0].message


def test_lint_is_clean(book: Rulebook) -> None:
    assert lint(book) == []


@requires_durable  # on 3.13 only the python backend exists; the python half is covered by the rule-cases run
def test_every_rule_and_every_article_is_covered_on_both_backends(book: Rulebook) -> None:
    results = list(iter_results(NAME, find_case_files(DIR)))
    assert results and all(r.ok for r in results), [r.diff for r in results if not r.ok]
    assert {r.backend for r in results} == {"python", "durable"}
    cov = compute_coverage(book, results)
    assert (cov.rule_pct, cov.provision_pct) == (100.0, 100.0)


def test_bounded_consistency_check_passes(book: Rulebook) -> None:
    from accountrules.properties import run_properties

    report = run_properties(book, examples=40, seed=3, processes=False)
    assert report.ok, [v.message for v in report.violations]


def test_generated_docs_are_current(book: Rulebook) -> None:
    assert stale(generate(book), DIR / "docs") == []


def test_every_quote_is_the_official_text(book: Rulebook) -> None:
    # validation checks them; here we make sure there is an official text and that quotes exist at all
    texts = sorted(p.name for p in (DIR / "law").glob("*.md") if p.name != "README.md")
    assert texts == ["公职人员政务处分法(2020-06-20).md", "山东省行政执法监督条例(2014-11-27).md",
                     "监察法(2018-03-20).md", "监察法(2024-12-25).md", "行政机关公务员处分条例(2007-04-22).md"]
    for name in texts:  # each a byte-identical copy of the default rulebook's official text
        assert (DIR / "law" / name).read_bytes() == (ROOT / "rules" / "law" / name).read_bytes()
    quoted = [c for e in book.by_id.values() for c in e.rule.citations if c.quote]
    assert len(quoted) == sum(len(e.rule.citations) for e in book.by_id.values())


def test_outputs_print_the_rulebooks_own_labels(book: Rulebook) -> None:
    rec = Engine(book, backend="python").evaluate(read_case_file(str(EXAMPLE)), lang="zh")
    levels = {p.id: p.level for p in rec.persons}
    assert levels == {"p1": "warning", "p2": "sanction", "p3": "sanction"}
    assert [u.measure for u in rec.unit_measures] == ["decision_letter", "rectification_order",
                                                      "agency_notified_criticism"]
    assert rec.review.track == "special"
    from accountrules import render

    text = render.to_text(rec, "zh")
    # its own level, responsibility, item and unit-measure names, none of the default rulebook's
    for own in ("通报批评并告诫", "依法给予处分", "直接负责的主管人员", "执行公务时不依法出示合法有效的行政执法证件",
                "《山东省行政执法监督条例》第三十七条"):
        assert own in text, own
    md = render.to_markdown(rec, "zh")
    assert "对行政执法机关通报批评" in md and "由县级以上人民政府责令限期改正" in md
    for foreign in ("批评教育", "诫勉", "行政机关公务员处分条例"):
        assert foreign not in text + md, foreign
    assert book.label("outcome", "varied", "zh") == "补正或者改正"
    assert book.label("status", "pending", "en").startswith("pending (the thirty days")


# ------------------------------------------------------------------ the legal review of 2026-12-03 (H5, M1, M3)

_ENGLISH = re.compile(r"[a-z_]{3,}")


def _prose(text: str) -> str:
    """A rendered recommendation without what is meant to be code: rule ids, source locations, the footer
    naming the rulebook and engine, and code spans."""
    lines = []
    for line in text.splitlines():
        if line.startswith(("规则库：", "<sub>")):
            continue
        line = re.sub(r" @ \S+", "", line)  # text: "@ rulebooks/…/definitions.yaml:173"
        line = re.sub(r"\(\[[^\]]*\]\)", "", line)  # markdown: "([rulebooks/…:173])"
        line = re.sub(r"`[^`]*`", "", line)  # markdown: rule ids
        line = re.sub(r"理由 [A-Za-z0-9_.-]+：", "理由：", line)  # text: "理由 RC-officer-conduct："
        lines.append(line)
    return "\n".join(lines)


def _shandong_recommendations(book: Rulebook) -> list[tuple[str, object]]:
    from accountrules.authoring.casefile import load_cases
    from accountrules.contract.intake import parse_case

    engine = Engine(book, backend="python")
    out: list[tuple[str, object]] = [("example", engine.evaluate(read_case_file(str(EXAMPLE)), lang="zh"))]
    for path in find_case_files(DIR):
        for case in load_cases(path):
            if "error" not in case.expect:
                out.append((f"{path.name}: {case.name}",
                            engine.evaluate(parse_case(case.data, file=case.file), lang="zh", as_of=case.as_of)))
    return out


def test_no_english_code_in_the_chinese_output_of_any_rule_case_or_example(book: Rulebook) -> None:
    """M3: every Shandong rule case and the example, rendered in Chinese as text and Markdown, prints labels,
    never a code of the case vocabulary (revoked, no_handling, decision_letter, routine …)."""
    from accountrules import render

    recs = _shandong_recommendations(book)
    assert len(recs) > 70
    leaks = {}
    for name, rec in recs:
        for fmt, text in (("text", render.to_text(rec, "zh")), ("markdown", render.to_markdown(rec, "zh"))):
            words = _ENGLISH.findall(_prose(text))
            if words:
                leaks[f"{name} [{fmt}]"] = sorted(set(words))
    assert leaks == {}
    # the filter is not vacuous: a planted code is caught
    assert _ENGLISH.findall(_prose("人员：p1（承办人）：处理 no_handling")) == ["no_handling"]


def _crime_case(decided: str) -> object:
    from accountrules.contract.intake import parse_case

    return parse_case({
        "case": {"id": "SD-CRIME", "origin": "supervision", "outcome": "revoked", "effective": True,
                 "decided_on": decided, "conduct_date": "2024-01-15", "act_type": "penalty",
                 "grounds": ["insufficient_evidence"],
                 "agency": {"name": "某县交通运输局", "level": "county", "field": "transport"},
                 "findings": [{"item": "RY2", "persons": ["p1"]}]},
        "persons": [{"id": "p1", "role": "handler", "fault": "intentional", "private_gain": True,
                     "crime_suspected": True}]}, file="<test>")


def test_criminal_referral_goes_to_the_supervision_commission_by_the_jianchafa_in_force(book: Rulebook) -> None:
    """H5: the referral names the 监察机关 (duty crimes) or the competent authority, never 司法机关, and cites
    监察法 第十一条第（二）项 with 2018 第三十四条第一款 / 2024 第三十七条第一款 by the date of evaluation."""
    import datetime as dt

    from accountrules import render

    engine = Engine(book, backend="python")

    def crime_articles(as_of: dt.date | None) -> list[tuple[str, str]]:
        rec = engine.evaluate(_crime_case("2024-06-30"), lang="zh", as_of=as_of)
        (p1,) = rec.persons
        assert p1.level == "criminal_referral" and p1.referral == "criminal"
        text = render.to_text(rec, "zh")
        assert "移送监察机关（职务犯罪）或者有管辖权的机关" in text and "司法机关" not in text
        (reason,) = [r for r in p1.reasons if r.rule == "LV-crime"]
        assert "（移送机关为本规则集推定）" in reason.text
        return [(c.instrument, c.article) for c in [reason.citation, *reason.citations] if c.in_force]

    assert crime_articles(None) == [  # evaluated on the decision date, 2024-06-30
        ("山东省行政执法监督条例", "第三十八条"), ("中华人民共和国监察法（2018年）", "第十一条第（二）项"),
        ("中华人民共和国监察法（2018年）", "第三十四条第一款")]
    assert crime_articles(dt.date(2025, 7, 1)) == [
        ("山东省行政执法监督条例", "第三十八条"), ("中华人民共和国监察法（2024年修正）", "第十一条第（二）项"),
        ("中华人民共和国监察法（2024年修正）", "第三十七条第一款")]
    assert crime_articles(dt.date(2017, 1, 1)) == [("山东省行政执法监督条例", "第三十八条")]  # no 监察机关 yet
    for kind, code in (("referral", "criminal"), ("level", "criminal_referral"), ("measure", "criminal_referral")):
        assert "司法机关" not in book.label(kind, code, "zh")
    assert book.label("referral", "discipline", "zh") == "依法给予处分（由任免机关、单位或者监察机关按照管理权限决定）"


def test_a_bare_ground_is_unanswered_and_makes_no_art37_order(book: Rulebook) -> None:
    """M1 (case SD-REV-1 of the review): a procedure ground that no finding explains is listed, flagged
    倒查未查明责任人员、机关情形，应补充调查, and is not an art 37 situation — no 责令限期改正 (SU4)."""
    from accountrules import render
    from accountrules.contract.intake import parse_case

    engine = Engine(book, backend="python")
    base = {"id": "SD-REV-1", "origin": "supervision", "outcome": "revoked", "effective": True,
            "decided_on": "2024-09-12", "conduct_date": "2024-03-05", "act_type": "penalty",
            "grounds": ["illegal_procedure"],
            "agency": {"name": "某县市场监督管理局", "level": "county", "field": "market_regulation"}}
    persons = [{"id": "p1", "role": "handler", "fault": "ordinary_negligence"}]
    rec = engine.evaluate(parse_case({"case": {**base, "findings": []}, "persons": persons}, file="<t>"), lang="zh")
    (s,) = rec.situations
    assert (s.item, s.unanswered, s.note) == ("JG7", True, "倒查未查明责任人员、机关情形，应补充调查")
    assert [u.measure for u in rec.unit_measures] == ["decision_letter"]
    assert "倒查未查明责任人员、机关情形，应补充调查" in render.to_text(rec, "zh")
    # the same ground with a finding that names the agency's situation: found, answered by the agency
    found = {**base, "findings": [{"item": "JG7", "persons": ["p1"]}]}
    rec = engine.evaluate(parse_case({"case": found, "persons": persons}, file="<t>"), lang="zh")
    (s,) = rec.situations
    assert (s.item, s.unanswered, s.note) == ("JG7", False, None)
    assert [u.measure for u in rec.unit_measures] == ["decision_letter", "rectification_order"]


def test_evaluate_selects_the_rulebook_by_name() -> None:
    res = _cli("evaluate", "--rulebook", NAME, str(EXAMPLE))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rulebook"]["id"] == NAME
    res = _cli("evaluate", "--rules", "no-such-rulebook", str(EXAMPLE))
    assert res.returncode == 1
    assert "rulebook-not-found" in res.stderr and NAME in res.stderr and "Traceback" not in res.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "accountrules", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, check=False)


# ------------------------------------------------------------------ docs/authoring.md, the new jurisdiction

AUTHORING = ROOT / "docs" / "authoring.md"
RUN = re.compile(r"<!-- run: (accountrules [^>]*?) -->\n```console\n\$ \1\n(.*?)```", re.DOTALL)


def _doc_runs() -> list[tuple[str, str]]:
    return RUN.findall(AUTHORING.read_text(encoding="utf-8"))


def run_shown(command: str) -> str:
    """What ``command`` (``accountrules …``) prints, run from the project root."""
    out = _cli(*command.split()[1:])
    return out.stdout + out.stderr


def test_the_authoring_guide_shows_the_shandong_commands() -> None:
    commands = [c for c, _ in _doc_runs()]
    shown = f"accountrules evaluate --rulebook {NAME} examples/{NAME}/sd-2024-031.yaml"
    assert any(c.startswith(shown) for c in commands)
    assert any(c.startswith(f"accountrules validate rulebooks/{NAME}") for c in commands)


@requires_durable  # the guide shows the output of the default backend where durable-rules imports (3.11, 3.12)
@pytest.mark.parametrize("command,shown", _doc_runs(), ids=[c for c, _ in _doc_runs()])
def test_authoring_guide_output_is_current(command: str, shown: str) -> None:
    assert run_shown(command) == shown, "docs/authoring.md is stale: run `python tests/update_authoring.py`"


def test_the_example_case_shown_is_the_file() -> None:
    text = AUTHORING.read_text(encoding="utf-8")
    marker = "<!-- file: examples/shandong-supervision/sd-2024-031.yaml -->"
    m = re.search(r"```yaml\n(.*?)```", text[text.index(marker):], re.DOTALL)
    assert m and m.group(1) == EXAMPLE.read_text(encoding="utf-8")


def test_a_placeholder_the_condition_does_not_test_is_still_filled(tmp_path: Path) -> None:
    """The first draft of GM-serious-impact tested the `_rank` fact but printed {…social_impact}: a
    placeholder is filled from every fact of the rule's stage, so the draft reads as the final text."""
    import shutil

    from accountrules.lint import lint as lint_book

    copy = tmp_path / NAME
    shutil.copytree(DIR, copy)
    grading = copy / "grading.yaml"
    text = grading.read_text(encoding="utf-8")
    draft = text.replace("    when: {fact: case.consequences.social_impact, eq: serious}\n",
                         "    when: {fact: case.consequences.social_impact_rank, eq: 2}\n")
    assert draft != text
    grading.write_text(draft, encoding="utf-8")
    book = load_rulebook(copy)
    assert not [d for d in lint_book(book) if d.severity == "error"]
    entry = book.by_id["GM-serious-impact"]
    assert entry.rule.explain is not None and "{case.consequences.social_impact}" in entry.rule.explain.zh
    from accountrules.explain import Explainer

    facts = {"case.consequences.social_impact_rank": 2, "case.consequences.social_impact": "serious"}
    reason = Explainer(book, "zh", None).rule_reason(entry, facts)
    assert "{" not in reason.text and book.label("social_impact", "serious", "zh") in reason.text
