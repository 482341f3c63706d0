"""The command line: outputs, exit codes, and errors that name the field (never a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import EXAMPLE, ROOT

CLI = [sys.executable, "-m", "accountrules"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, input=stdin, cwd=ROOT, timeout=120,
                          check=False)


def test_evaluate_example_contract_keys() -> None:
    p = run("evaluate", str(EXAMPLE))
    assert p.returncode == 0, p.stderr
    rec = json.loads(p.stdout)
    for key in ("case_id", "rulebook", "engine", "error_case", "situations", "persons", "unit_measures", "review"):
        assert key in rec
    assert rec["error_case"]["status"] == "error_case" and rec["error_case"]["definition"] == "T3"
    assert [x["id"] for x in rec["persons"]] == ["p1", "p2"]
    assert all(x["rank"] >= 1 for x in rec["persons"])
    instruments = {c["citation"]["instrument"] for part in (rec["error_case"], *rec["situations"], *rec["persons"])
                   for c in part["reasons"]}
    assert any("行政处罚法" in i for i in instruments), instruments
    assert any("行政复议法" in i for i in instruments), instruments
    from accountrules.engine import default_backend

    assert rec["engine"]["backend"] == default_backend()  # durable where it imports, else python


def test_output_is_byte_identical_across_runs_and_backends_agree() -> None:
    a = run("evaluate", str(EXAMPLE)).stdout
    b = run("evaluate", str(EXAMPLE)).stdout
    c = run("evaluate", str(EXAMPLE), "--backend", "python").stdout
    assert a == b
    assert a.replace('"backend": "durable"', '"backend": "python"') == c


def test_stdin_and_formats() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    p = run("evaluate", "-", "--format", "text", "--lang", "en", stdin=text)
    assert p.returncode == 0 and "Finding: an error case (T3 " in p.stdout
    p = run("evaluate", "-", "--format", "markdown", stdin=text)
    assert p.returncode == 0 and p.stdout.startswith("# 案件 BJ-2023-017")


def _bad(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text, old
    f = tmp_path / name
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    return f


@pytest.mark.parametrize(
    ("name", "old", "new", "field"),
    [
        ("role.yaml", "role: handler", "role: handlr", "persons[0].role"),
        ("person.yaml", "persons: [p1, p2]", "persons: [p1, p9]", "case.findings[0].persons[1]"),
        ("date.yaml", "decided_on: 2023-06-30", "decided_on: 2023-13-45", "case.decided_on"),
    ],
)
def test_bad_case_one_line_naming_the_field(tmp_path: Path, name: str, old: str, new: str, field: str) -> None:
    f = _bad(tmp_path, name, old, new)
    t = time.perf_counter()
    p = run("evaluate", str(f))
    assert time.perf_counter() - t < 10  # includes interpreter start-up; the check itself is instant
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert field in lines[0] and str(f) in lines[0]
    assert "Traceback" not in p.stderr


def test_alias_bomb_case_refused(tmp_path: Path) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text('a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(9)))
    p = run("evaluate", str(f))
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1
    assert "document-too-complex" in p.stderr and "Traceback" not in p.stderr


def test_unknown_top_level_key_and_usage_error(tmp_path: Path) -> None:
    f = tmp_path / "extra.yaml"
    f.write_text(EXAMPLE.read_text(encoding="utf-8") + "extra: 1\n", encoding="utf-8")
    p = run("evaluate", str(f))
    assert p.returncode == 1 and "unknown key 'extra'" in p.stderr
    assert run("evaluate").returncode == 2
    assert run("evaluate", str(EXAMPLE), "--format", "xml").returncode == 2


def test_missing_file() -> None:
    p = run("evaluate", "no/such/case.yaml")
    assert p.returncode == 1 and "cannot read" in p.stderr and "Traceback" not in p.stderr


def test_validate_catalog_schema() -> None:
    p = run("validate")
    assert p.returncode == 0 and p.stdout.startswith("ok:")
    cat = json.loads(run("catalog").stdout)
    assert len(cat["definitions"]) == 6 and len(cat["categories"]) == 7
    assert sum(len(c["items"]) for c in cat["categories"]) == 28
    assert all(i["citations"] for c in cat["categories"] for i in c["items"])
    assert [lv["rank"] for lv in cat["ladder"]] == list(range(9))  # the 2026.12.0 ladder (rank 5 split, M7)
    assert [lv["id"] for lv in cat["ladder"]][4:8] == ["admonishment", "post_adjustment", "organizational_handling",
                                                       "referral_discipline"]
    for what in ("case", "recommendation", "rulebook"):
        schema = json.loads(run("schema", what).stdout)
        assert schema["type"] == "object"


def test_trace_lists_fired_and_blocked_rules_with_positions() -> None:
    p = run("evaluate", "tests/scenarios/abuse.yaml", "--trace", "full", "--backend", "python")
    assert p.returncode == 0
    lines = p.stderr.splitlines()
    assert any("rule_fired" in x and "T1-court-lost" in x and "rules/definitions.yaml:" in x for x in lines)
    assert any("blocked_by" in x and "EX1-unclear-basis" in x and "(XB-intent)" in x for x in lines)
    assert json.loads(p.stdout)["persons"][0]["exemption"] is None


def test_every_problem_of_a_case_file_in_one_run(tmp_path: Path) -> None:
    f = _bad(tmp_path, "two.yaml", "outcome: revoked", "outcome: revokd")
    f.write_text(f.read_text(encoding="utf-8").replace("persons: [p1, p2]", "persons: [p1, p9]"), encoding="utf-8")
    p = run("evaluate", str(f))
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 2, p.stderr
    assert "case.outcome" in lines[0] and "did you mean 'revoked'" in lines[0]
    assert "case.findings[0].persons[1]: unknown person 'p9'" in lines[1]


def test_every_rules_option_takes_the_rulebook_alias() -> None:
    """README: wherever a command takes `--rules`, `--rulebook` is its alias (a directory or a bundled name)."""
    from accountrules.cli import cli

    with_rules = []
    for name, cmd in sorted(cli.commands.items()):
        opts = [o for p in cmd.params for o in getattr(p, "opts", [])]
        if "--rules" in opts:
            with_rules.append(name)
            assert "--rulebook" in opts, f"accountrules {name}: --rules without its alias --rulebook"
    assert {"evaluate", "letter", "stats", "serve", "test", "audit"} <= set(with_rules)


def test_test_takes_a_bundled_rulebook_name() -> None:
    r = run("test", "--rulebook", "shandong-supervision", "rulebooks/shandong-supervision")
    assert r.returncode == 0, r.stdout + r.stderr


def test_unknown_item_is_reported_with_its_line_and_column(tmp_path: Path) -> None:
    """A code checked against the rulebook after reading (an unknown item) still names file:line:col."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("- item: P2 ", "- item: P9 ", 1)
    assert "item: P9" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "item: P9" in x)
    r = run("evaluate", str(bad))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{bad}:{line}:" in r.stderr and "unknown item 'P9'" in r.stderr, r.stderr
