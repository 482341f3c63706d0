"""A corpus of invalid inputs, one file per diagnostic code (``tests/invalid/<code>.yaml``).

Each file says in its first lines how it is read and what it must produce::

    # kind: case | case-codes | rule-file | cases-file | lint
    # expect: CODE [FILE:]LINE:COL (or: CODE FIELD.PATH, for a diagnostic without a position)

* ``case``: read as a case file (:func:`accountrules.intake.read_case_file`);
* ``case-codes``: a valid case file whose codes the mini rulebook does not define (``check_case``);
* ``rule-file``: added as ``extra.yaml`` to a copy of ``tests/fixtures/mini``, then loaded and
  compiled (durable's limits included); ``lint``: the same, then linted;
* ``cases-file``: read as a ``*.cases.yaml``.

The test asserts that a diagnostic with that code is reported at that line and column of that
file (or of ``FILE`` of the mini rulebook, for a finding about what the rulebook lacks). Every code of ``docs/errors.md`` has a file, except those listed in :data:`NOT_FROM_A_FILE`
with the reason.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from accountrules import Engine, load_rulebook
from accountrules.casefile import load_cases
from accountrules.diagnostics import Diagnostic
from accountrules.errors import AccountRulesError
from accountrules.intake import read_case_file
from accountrules.lint import lint
from accountrules.matching.compile import compile_rulebook

from .conftest import MINI, ROOT

CORPUS = Path(__file__).resolve().parent / "invalid"
FILES = sorted(p for p in CORPUS.iterdir() if p.is_file())

NOT_FROM_A_FILE = {
    # what the input is, not what it says
    "file-too-large": "needs a 2 MiB input (tests/contract/test_load.py generates one)",
    "document-too-complex": "needs 200,000 values (tests/contract/test_load.py generates one)",
    "file-not-found": "a path that does not exist: no file can hold it",
    "no-cases": "a --cases directory without cases: a directory, not a file (tests/authoring/test_diff.py)",
    "rulebook-not-found": "a directory that does not exist: no file can hold it",
    "bad-stats": "an input of `evaluate --stats`, not a case or rule file (tests/rules/test_jurisdiction_language.py)",
    "too-many-files": "needs more rule files than the limit: a directory, not a file",
    "bad-encoding": "a JSON Lines batch whose bytes stop being UTF-8 (tests/scale/test_batch.py)",
    "json-syntax": "a line of a JSON Lines batch (tests/scale/test_batch.py)",
    # durable-rules' limits: rulebooks of thousands of rules (tests/test_engine.py, tests/authoring/test_lint.py)
    "too-many-rules": "needs more than 4,000 durable rules (tests/authoring/test_lint.py lowers the limit)",
    "too-many-list-tests": "needs more than 400 list tests under one node (not tested)",
    "too-many-branches": "needs more than 480 tests after one node (tests/test_engine.py)",
    "too-many-facts": "the fact vocabulary is fixed below the limit (cannot happen)",
    "compile-failed": "durable-rules itself failing",
    "compile-hang": "durable-rules itself hanging",
    # lint findings the mini rulebook cannot show with one added file
    "gap-item": "the mini rulebook's chain rule gives every item a responsibility (tests/authoring/test_lint.py)",
    "uncovered-role": "the mini rulebook's chain rule gives every named person a responsibility, whatever the "
                      "role (tests/authoring/test_lint.py lints the hillcounty fixture)",
    "analogue-unmarked": "needs policy.home_jurisdictions in the manifest, which an added file cannot set "
                         "(tests/decision/test_legal_basis.py)",
    # settings of the HTTP server and its records database (environment variables, a mask file)
    "bad-setting": "an environment variable of the HTTP server: no rule, case or cases file holds it (not tested here)",
    "bad-mask": "a records mask file, read by the records database, not by a rulebook (not tested here)",
    "bad-output": "about the --output file of a resumed batch (scale/batchfile.py), not about a case file",
    "internal-error": "a batch line whose evaluation failed unexpectedly, or a dead worker (scale/batchfile.py); no input file produces it",
    # the environment of the letter and the charts, not an input
    "missing-dependency": "a package, the Pango library or a CJK font not installed (tests/stats/test_stats.py: "
                          "a missing font file)",
    # run-time error classes: codes of exception classes, not of input positions
    "accountrules-error": "an exception class", "rule-file-error": "an exception class",
    "evaluation-error": "an exception class", "invalid-case": "an exception class",
    "input-too-large": "an exception class", "rule-conflict": "an exception class (tests/authoring/test_docs_cli.py)",
    "engine-failure": "an exception class", "unsupported-python": "an exception class",
}


def _header(path: Path) -> tuple[str, str, str]:
    head = path.read_bytes().decode("utf-8", errors="replace").splitlines()[:2]
    kind = re.fullmatch(r"# kind: ([\w-]+)", head[0])
    expect = re.fullmatch(r"# expect: ([\w-]+) (\S+)", head[1])
    assert kind and expect, f"{path.name}: the first two lines must be '# kind: …' and '# expect: CODE WHERE'"
    return kind[1], expect[1], expect[2]


def _with_extra(path: Path, tmp: Path) -> Path:
    book = tmp / "book"
    shutil.copytree(MINI, book)
    shutil.copy(path, book / "extra.yaml")
    return book


def _diagnostics(kind: str, path: Path, tmp: Path) -> list[Diagnostic]:
    try:
        if kind == "case":
            read_case_file(path)
        elif kind == "case-codes":
            Engine(load_rulebook(MINI), backend="python").check_case(read_case_file(path))
        elif kind == "cases-file":
            load_cases(path)
        elif kind == "rule-file":  # durable's limits are raised when a durable matcher is built: read them here
            return compile_rulebook(load_rulebook(_with_extra(path, tmp))).durable_problems
        elif kind == "lint":
            return lint(load_rulebook(_with_extra(path, tmp)))
        else:
            raise AssertionError(f"{path.name}: unknown kind '{kind}'")
    except AccountRulesError as exc:
        return list(exc.diagnostics)
    return []


def _where(d: Diagnostic) -> str:
    return f"{d.span.line}:{d.span.column}" if d.span else str(d.path)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_invalid_input_reports_its_code_where_it_is(path: Path, tmp_path: Path) -> None:
    kind, code, where = _header(path)
    assert path.stem == code, f"{path.name} must be named after the code it expects ({code})"
    found = _diagnostics(kind, path, tmp_path)
    file, at = where.split(":", 1) if where.count(":") == 2 else ("", where)
    names = (file,) if file else (path.name, "extra.yaml")
    ours = [d for d in found if d.span is None or Path(d.span.file).name in names]
    assert any(d.code == code and _where(d) == at for d in ours), (
        f"expected {code} at {where}; got:\n" + "\n".join(f"  {d.code} {_where(d)}: {d.message}" for d in found))


def test_every_documented_code_has_a_file_or_a_reason() -> None:
    documented = set(re.findall(r"^### ([a-z0-9-]+)$", (ROOT / "docs" / "errors.md").read_text(encoding="utf-8"),
                                re.MULTILINE))
    covered = {p.stem for p in FILES}
    assert covered <= documented, f"corpus files for undocumented codes: {sorted(covered - documented)}"
    assert set(NOT_FROM_A_FILE) <= documented, sorted(set(NOT_FROM_A_FILE) - documented)
    assert not covered & set(NOT_FROM_A_FILE), sorted(covered & set(NOT_FROM_A_FILE))
    missing = documented - covered - set(NOT_FROM_A_FILE)
    assert not missing, f"codes with neither a corpus file nor a reason: {sorted(missing)}"
