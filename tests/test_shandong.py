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
    law = DIR / "law" / "山东省行政执法监督条例(2014-11-27).md"
    assert law.read_bytes() == (ROOT / "rules" / "law" / law.name).read_bytes()
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
