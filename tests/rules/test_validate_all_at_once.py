"""``accountrules validate`` reports every independent problem of a rulebook in one run, each at its
file:line:col, and no knock-on error (an error caused by another one it reports).

The errors are planted by editing a copy of the bundled rulebook's text; where each one must be
reported is computed here from the edited text (the column of a token on the edited line), never
from the validator.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from accountrules.rules import default_rulebook_dir

from ..conftest import ROOT

_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[a-z0-9-]+): ", re.MULTILINE)


@dataclass(frozen=True)
class Plant:
    """Replace ``old`` by ``new`` on the first line of ``file`` containing ``anchor``; the error
    ``code`` is expected at the column where ``at`` stands on the edited line."""

    file: str
    anchor: str
    old: str
    new: str
    code: str
    at: str


def _plant(book: Path, plants: list[Plant]) -> set[tuple[str, int, int, str]]:
    expected = set()
    for p in plants:
        path = book / p.file
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        i = next(i for i, line in enumerate(lines) if p.anchor in line)
        assert p.old in lines[i], (p, lines[i])
        lines[i] = lines[i].replace(p.old, p.new, 1)
        path.write_text("".join(lines), encoding="utf-8")
        assert p.at in lines[i], (p, lines[i])
        expected.add((f"{book}/{p.file}", i + 1, lines[i].index(p.at) + 1, p.code))
    return expected


def _validate(book: Path) -> tuple[int, set[tuple[str, int, int, str]], str]:
    proc = subprocess.run([sys.executable, "-m", "accountrules", "validate", str(book), "--backend", "none"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    found = {(m["file"], int(m["line"]), int(m["col"]), m["code"]) for m in _LINE.finditer(proc.stderr)}
    return proc.returncode, found, proc.stderr


def _copy(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    shutil.copytree(default_rulebook_dir(), book)
    return book


#: ten independent errors of different kinds, each in its own file
TEN = [
    Plant("chain.yaml", "    inference: Findings name the persons", "inference:", "inferense:", "unknown-key",
          "inferense"),
    Plant("ladder.yaml", "    rank: 3", "rank: 3", "rank: three", "bad-type", "three"),
    Plant("definitions.yaml", "      - instrument: S", "instrument: S", "instrument: Z", "unknown-reference", "Z"),
    Plant("situations.yaml", "quote: 决策草案未经合法性审查", "决策草案未经", "决策草稿未经", "quote-mismatch", "决策草稿"),
    Plant("circumstances.yaml", "{fact: finding.item, eq: R1}", "eq: R1", "eq: R9", "unknown-value", "R9"),
    Plant("instruments.yaml", 'in_force_from: "2017-07-01"', "2017-07-01", "2017-7-01", "bad-value", '"2017-7-01"'),
    Plant("units.yaml", "  - id: U-four-musts", "U-four-musts", "U-error-case-rectify", "duplicate-id",
          "U-error-case-rectify"),
    Plant("labels.yaml", "    court: {zh: 人民法院", "court:", "courts:", "unknown-reference", "courts"),
    Plant("grading.yaml", "      zh: 该行政行为具有下列情形之一：造成较大经济损失", "提高一级。", "提高一级（{outcome.definition}）。",
          "unknown-fact", "{outcome.definition}"),
    Plant("reporting.yaml", "    channels: [party_accountability]", "party_accountability", "party_acountability",
          "unknown-reference", "party_acountability"),
]


def test_ten_independent_errors_in_one_run(tmp_path: Path) -> None:
    book = _copy(tmp_path)
    assert len({p.file for p in TEN}) == 10 and len({p.code for p in TEN}) >= 8
    expected = _plant(book, TEN)
    rc, found, out = _validate(book)
    assert rc == 1
    assert expected - found == set(), f"not reported: {sorted(expected - found)}\n{out}"
    assert found - expected == set(), f"knock-on or spurious: {sorted(found - expected)}\n{out}"
    # and each says what was wrong
    for needle in ("'inferense'; did you mean 'inference'", "'R9' is not a value of 'finding.item'",
                   "'{outcome.definition}' in explain.zh cannot be filled", "did you mean 'party_accountability'",
                   "'courts' is not a code of origin", "rule id 'U-error-case-rectify' is used twice"):
        assert needle in out, needle


def test_errors_behind_a_schema_error_are_still_reported(tmp_path: Path) -> None:
    """A rule with an unknown key still has its condition checked; a broken manifest, level, item or
    rule id does not stop the other checks, and what refers to a broken entry is not reported again."""
    book = _copy(tmp_path)
    expected = _plant(book, [
        Plant("chain.yaml", "    inference: Findings name the persons", "inference:", "inferense:", "unknown-key",
              "inferense"),
        Plant("chain.yaml", "    when: {fact: finding.named, eq: true}", "finding.named", "finding.namd",
              "unknown-fact", "finding.namd"),
        Plant("rulebook.yaml", "chain_weighting: handler_first", "handler_first", "handler_firts", "bad-value",
              "handler_firts"),
        Plant("situations.yaml", "    category: P", "category: P", "category: [P]", "bad-type", "[P]"),
        Plant("units.yaml", "  - id: U-four-musts", "U-four-musts", "U four musts", "bad-value", "U four musts"),
        Plant("ladder.yaml", "    rank: 0", "rank: 0", "rank: zero", "bad-type", "zero"),
        Plant("instruments.yaml", "  - id: S01", "id: S01", "id: [S01]", "bad-type", "[S01]"),
    ])
    rc, found, out = _validate(book)
    assert rc == 1
    assert found == expected, f"missing {sorted(expected - found)}; extra {sorted(found - expected)}\n{out}"


def test_an_unreadable_file_hides_nothing_else_and_adds_no_knock_on(tmp_path: Path) -> None:
    """A YAML syntax error loses that file; references to what it declares are not reported as unknown."""
    book = _copy(tmp_path)
    lines = (book / "situations.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(40, "    when: {fact: [unclosed\n")
    (book / "situations.yaml").write_text("".join(lines), encoding="utf-8")
    expected = _plant(book, [
        Plant("rulebook.yaml", "chain_weighting: handler_first", "handler_first", "handler_firts", "bad-value",
              "handler_firts"),
        Plant("chain.yaml", "    when: {fact: finding.named, eq: true}", "finding.named", "finding.namd",
              "unknown-fact", "finding.namd"),
    ])
    rc, found, out = _validate(book)
    assert rc == 1
    syntax = {f for f in found if f[3] == "yaml-syntax"}
    assert len(syntax) == 1 and next(iter(syntax))[0].endswith("situations.yaml"), out
    assert found - syntax == expected, out


def test_a_repeated_key_or_id_hides_nothing_else(tmp_path: Path) -> None:
    """A repeated YAML key keeps the file readable (the first value kept) and a repeated rule id keeps
    the repeated rule checked: problems elsewhere in that file and in that rule are still reported."""
    book = _copy(tmp_path)
    expected = _plant(book, [
        Plant("chain.yaml", "    inference: Findings name the persons", "    inference:", "    note: x\n    note:",
              "duplicate-key", "note"),
        Plant("units.yaml", "  - id: U-four-musts", "U-four-musts", "U-error-case-rectify", "duplicate-id",
              "U-error-case-rectify"),
    ])
    # the second `note:` is on the line after the anchor
    (path, line, _col, code) = next(e for e in expected if e[3] == "duplicate-key")
    expected.remove((path, line, _col, code))
    expected.add((path, line + 1, 5, code))
    lines = (book / "units.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, x in enumerate(lines) if "id: U-error-case-rectify" in x and i > 170)
    when = next(i for i in range(start, len(lines)) if "fact: " in lines[i])
    fact = lines[when].split("fact: ", 1)[1].split(",", 1)[0].split("}", 1)[0]
    lines[when] = lines[when].replace(f"fact: {fact}", f"fact: {fact}x", 1)
    (book / "units.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected.add((f"{book}/units.yaml", when + 1, lines[when].index(f"{fact}x") + 1, "unknown-fact"))
    expected |= _plant(book, [
        Plant("chain.yaml", "    when: {fact: finding.named, eq: true}", "finding.named", "finding.namd",
              "unknown-fact", "finding.namd"),
    ])
    rc, found, out = _validate(book)
    assert rc == 1
    assert found == expected, f"missing {sorted(expected - found)}; extra {sorted(found - expected)}\n{out}"
