"""Stage 2: validation reports every problem at once, with file:line:col."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accountrules import RuleFileError, load_rulebook

from ..conftest import MINI


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "book"
    shutil.copytree(MINI, dst)
    return dst


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_three_injected_problems_reported_together(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    f = book / "book.yaml"
    # 1. a misspelt key
    _replace(f, "    when: {fact: finding.named, eq: true}", "    wen: {fact: finding.named, eq: true}")
    # 2. a rule without a citation
    text = f.read_text(encoding="utf-8")
    start = text.index("  - id: mt7")
    end = text.index("exemptions:")
    block = text[start:end]
    f.write_text(text[:start] + "\n".join(x for x in block.splitlines() if "citations" not in x) + "\n"
                 + text[end:], encoding="utf-8")
    # 3. an exception to an unknown rule
    _replace(f, "    exception_to: [T3-reconsideration]", "    exception_to: [T3-reconsidration]")
    with pytest.raises(RuleFileError) as ei:
        load_rulebook(book)
    diags = {d.code: d for d in ei.value.diagnostics}
    assert set(diags) == {"unknown-key", "missing-citation", "dangling-exception"}, ei.value
    assert diags["unknown-key"].span.line == _line_of(f, "wen:")  # type: ignore[union-attr]
    assert "did you mean 'when'" in diags["unknown-key"].message
    assert diags["missing-citation"].span.line == _line_of(f, "- id: mt7")  # type: ignore[union-attr]
    assert diags["dangling-exception"].span.line == _line_of(f, "T3-reconsidration")  # type: ignore[union-attr]
    assert "did you mean 'T3-reconsideration'" in diags["dangling-exception"].message
    for d in ei.value.diagnostics:
        assert str(d.format()).startswith(f"{book}/book.yaml:")


def test_quote_must_match_official_text(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    _replace(book / "book.yaml", "应当告知当事人拟作出的行政处罚内容", "应当告知当事人拟作出的处罚内容")
    with pytest.raises(RuleFileError) as ei:
        load_rulebook(book)
    assert [d.code for d in ei.value.diagnostics] == ["quote-mismatch"]


def test_unknown_fact_path_and_value(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    _replace(book / "book.yaml", "{fact: case.origin, eq: reconsideration}", "{fact: case.orign, eq: reconsideration}")
    _replace(book / "book.yaml", "{fact: case.outcome, in: [revoked, varied]}", "{fact: case.outcome, in: [revokd]}")
    with pytest.raises(RuleFileError) as ei:
        load_rulebook(book)
    msgs = {d.code: d.message for d in ei.value.diagnostics}
    assert "did you mean 'case.origin'" in msgs["unknown-fact"]
    assert "did you mean 'revoked'" in msgs["unknown-value"]


def test_exception_cycle(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    _replace(book / "book.yaml", "    then: {status: error_case, definition: T3}",
             "    then: {status: error_case, definition: T3}\n    exception_to: [pending]")
    with pytest.raises(RuleFileError) as ei:
        load_rulebook(book)
    assert "exception-cycle" in {d.code for d in ei.value.diagnostics}


def test_default_rulebook_is_valid(default_book: object) -> None:
    assert len(default_book.items) == 28  # type: ignore[attr-defined]
    assert len(default_book.categories) == 7  # type: ignore[attr-defined]
    assert len(default_book.definitions) == 6  # type: ignore[attr-defined]


def test_default_rulebook_copy_three_problems_via_cli(tmp_path: Path) -> None:
    import subprocess
    import sys

    from ..conftest import ROOT

    book = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", book)
    (book / "injected.yaml").write_text(
        "chain:\n"
        "  - id: X-misspelt\n"
        "    title: {zh: 甲, en: a}\n"
        "    wen: {fact: finding.named, eq: true}\n"
        "    then: {responsibility: direct}\n"
        "    citations: [{instrument: S09, article: 第七十六条}]\n"
        "  - id: X-uncited\n"
        "    title: {zh: 乙, en: b}\n"
        "    when: {fact: finding.named, eq: true}\n"
        "    then: {responsibility: direct}\n"
        "  - id: X-dangling\n"
        "    title: {zh: 丙, en: c}\n"
        "    when: {fact: finding.named, eq: true}\n"
        "    then: {responsibility: direct}\n"
        "    exception_to: [RC1-named-directt]\n"
        "    citations: [{instrument: S09, article: 第七十六条}]\n",
        encoding="utf-8",
    )
    p = subprocess.run([sys.executable, "-m", "accountrules", "validate", str(book)], capture_output=True,
                       text=True, timeout=120, check=False)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    f = f"{book}/injected.yaml"
    assert lines == [
        (f"{f}:4:5: unknown-key: unexpected key 'wen'; did you mean 'when'? Allowed: citations, exception_to, "
         "explain, id, inference, note, then, title, when."),
        (f"{f}:7:5: missing-citation: this rule has no citation; every rule must cite at least one article "
         "(citations: [{instrument, article, version, quote}])."),
        (f"{f}:15:20: dangling-exception: exception_to names unknown rule 'RC1-named-directt'; did you mean "
         "'RC1-named-direct'?"),
    ], p.stderr
