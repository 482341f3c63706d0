"""accountrules diff: replaying cases under two rulebooks reports exactly the changed outcomes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from accountrules import Engine, load_rulebook
from accountrules.casefile import find_case_files, load_cases
from accountrules.cli.diff import command
from accountrules.diff import compare, iter_replay_cases, replay, summarize
from accountrules.errors import AccountRulesError
from accountrules.load import load_file
from accountrules.rules import Rulebook, default_rulebook_dir

from ..conftest import MINI


def _change_cell(book_dir: Path, grade: str, column: str, new_level: str) -> str:
    """Edit ``matrix.cells[grade][column]`` in place (whatever the YAML style); returns the old level."""
    book = load_rulebook(book_dir)
    old = book.matrix.cells[grade][column]
    assert old != new_level and new_level in book.levels
    span = book.matrix.span
    assert span is not None
    path = book_dir / Path(span.file).relative_to(str(book_dir))
    doc = load_file(path, display=span.file)
    cell = doc.span(("matrix", "cells", grade, column))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    line = lines[cell.line - 1]
    col = cell.column - 1
    assert line[col:col + len(old)] == old
    lines[cell.line - 1] = line[:col] + new_level + line[col + len(old):]
    path.write_text("".join(lines), encoding="utf-8")
    return old


def _projection(engine: Engine, data: Any) -> Any:
    """An independent projection of what diff compares (written without the diff module)."""
    try:
        rec = engine.evaluate(data)
    except AccountRulesError as exc:
        return ("error", exc.diagnostics[0].code)
    return (rec.error_case.status, rec.error_case.definition, tuple(s.item for s in rec.situations),
            tuple((p.id, p.level, p.rank, p.responsibility, p.exemption.code if p.exemption else None, p.referral)
                  for p in rec.persons),
            tuple(u.measure for u in rec.unit_measures), rec.review.track)


def _expected_changed(old_dir: Path, new_dir: Path, cases_dir: Path,
                      engines: tuple[Engine, Engine] | None = None) -> set[str]:
    old, new = engines or (Engine(load_rulebook(old_dir), backend="python"),
                           Engine(load_rulebook(new_dir), backend="python"))
    out = set()
    for f in find_case_files(cases_dir):
        for c in load_cases(f):
            if _projection(old, c.data) != _projection(new, c.data):
                out.add(f"{c.span.file}:{c.span.line} {c.name}")
    return out


def _diff_json(old: Path, new: Path, *cases: str) -> dict[str, Any]:
    args = [str(old), str(new), "--format", "json"]
    for c in cases:
        args += ["--cases", c]
    res = CliRunner().invoke(command, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)  # type: ignore[no-any-return]


def test_mini_one_changed_level(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(MINI, old)
    shutil.copytree(MINI, new)
    assert _change_cell(new, "G3", "direct", "referral_discipline") == "talk"
    expected = _expected_changed(old, new, old)
    data = _diff_json(old, new, str(old))
    assert {d["case"] for d in data["diffs"]} == expected == {f"{old}/book.cases.yaml:32 loss at threshold raises the grade"}
    assert data["cases"] == 6 and data["changed"] == 1
    changes = {c["field"]: (c["old"], c["new"]) for c in data["diffs"][0]["changes"]}
    assert changes["persons.p1.level"] == ("talk", "referral_discipline")
    assert changes["persons.p1.referral"] == (None, "discipline")
    reasons = data["diffs"][0]["reasons"]
    assert any(r.startswith("matrix.G3.direct — 中华人民共和国行政处罚法 第七十六条 (2021-01-22)")
               for r in reasons["old"]["persons.p1"])
    assert any(r.startswith("key — ") for r in reasons["new"]["review"])


def test_text_output(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(MINI, old)
    shutil.copytree(MINI, new)
    _change_cell(new, "G3", "direct", "referral_discipline")
    res = CliRunner().invoke(command, [str(old), str(new), "--cases", str(old / "book.cases.yaml"), "--lang", "en"])
    assert res.exit_code == 0
    out = res.output
    assert out.rstrip().endswith("6 cases, 1 changed")
    assert "CHANGED " in out and '  persons.p1.level: "talk" -> "referral_discipline"' in out
    assert "  old reasons (persons.p1):" in out and "  new reasons (persons.p1):" in out
    assert "[new/book.yaml:" in out  # a source is named by the rulebook's folder, however its path is spelt


def test_default_rulebook_one_changed_level(tmp_path: Path) -> None:
    book: Rulebook = load_rulebook()  # the bundled rulebook must load: a broken one fails here
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(default_rulebook_dir(), old)
    shutil.copytree(default_rulebook_dir(), new)
    grade = sorted(book.matrix.cells)[len(book.matrix.cells) // 2]
    current = book.matrix.cells[grade]["primary_leadership"]
    other = next(lv.id for lv in reversed(book.ladder) if lv.id != current and lv.rank > 0)
    _change_cell(new, grade, "primary_leadership", other)
    engines = (Engine(load_rulebook(old), backend="python"), Engine(load_rulebook(new), backend="python"))
    expected = _expected_changed(old, new, old, engines)
    cases = list(iter_replay_cases([old]))
    diffs = replay(*engines, cases)
    assert expected, "the changed cell should change some case"
    assert {d.label for d in diffs} == expected
    assert len(diffs) < len(cases) == sum(len(load_cases(f)) for f in find_case_files(old))
    assert all(d.new_reasons and d.old_reasons for d in diffs)


def test_jsonl_and_case_files(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(MINI, old)
    shutil.copytree(MINI, new)
    _change_cell(new, "G3", "direct", "referral_discipline")
    cases = load_cases(MINI / "book.cases.yaml")
    lines = [json.dumps(c.data, default=str, ensure_ascii=False) for c in cases[2:4]] + ["{not json"]
    jl = tmp_path / "batch.jsonl"
    jl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = tmp_path / "one.json"
    one.write_text(json.dumps(cases[2].data, default=str, ensure_ascii=False), encoding="utf-8")
    replay = list(iter_replay_cases([jl, one]))
    assert [r.label for r in replay] == [f"{jl}:1 MINI-1", f"{jl}:2 MINI-1", f"{jl}:3", f"{one} MINI-1"]
    data = _diff_json(old, new, str(jl), str(one))
    assert data["cases"] == 4
    assert [d["case"] for d in data["diffs"]] == [f"{jl}:1 MINI-1", f"{one} MINI-1"]


def test_compare_errors_and_persons() -> None:
    assert compare({"error": "x"}, {"error": "x"}) == []
    assert [c.field for c in compare({"error": "x"}, {"error": "y"})] == ["error"]
    base = summarize(None, None)
    assert base == {"error": "error"}
    a = {"error": None, "status": "error_case", "definition": "T1", "situations": ["P2"], "unit_measures": [],
         "review": "routine", "persons": {"p1": {"level": "talk", "rank": 3, "responsibility": "direct",
                                                 "exemption": None, "referral": None}}}
    b = json.loads(json.dumps(a))
    b["persons"]["p2"] = b["persons"]["p1"]
    b["review"] = "key"
    assert [c.field for c in compare(a, b)] == ["persons.p2", "review"]


def test_errors_exit_1(tmp_path: Path) -> None:
    res = CliRunner().invoke(command, [str(MINI), str(tmp_path / "missing"), "--cases", str(MINI)])
    assert res.exit_code == 1
    res = CliRunner().invoke(command, [str(MINI), str(MINI), "--cases", str(tmp_path / "nope.jsonl")])
    assert res.exit_code == 1


def test_a_directory_of_plain_case_files(tmp_path: Path) -> None:
    """A directory of case files (not rule cases) is read: each file is one case; a rulebook's rule
    files below it are not cases, its rule cases are."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(MINI, old)
    shutil.copytree(MINI, new)
    _change_cell(new, "G3", "direct", "referral_discipline")
    cases = load_cases(MINI / "book.cases.yaml")
    d = tmp_path / "cases"
    (d / "sub").mkdir(parents=True)
    (d / "a.json").write_text(json.dumps(cases[2].data, default=str, ensure_ascii=False), encoding="utf-8")
    import yaml

    (d / "sub" / "b.yaml").write_text(yaml.safe_dump(json.loads(json.dumps(cases[3].data, default=str)),
                                                     allow_unicode=True), encoding="utf-8")
    shutil.copytree(MINI, d / "book")  # a rulebook inside: its book.yaml is no case, its cases are
    data = _diff_json(old, new, str(d))
    assert data["cases"] == 2 + len(cases) and data["not_read"] == []
    changed = {x["case"] for x in data["diffs"]}
    assert f"{d}/a.json MINI-1" in changed and f"{d}/sub/b.yaml MINI-1" not in changed
    assert {c.split(" ")[0] for c in changed} == {f"{d}/a.json", f"{d}/book/book.cases.yaml:32"}
    res = CliRunner().invoke(command, [str(old), str(new), "--cases", str(d)])
    assert res.exit_code == 0 and res.output.rstrip().endswith(f"{2 + len(cases)} cases, 2 changed")


def test_a_directory_without_cases_is_refused_naming_the_formats(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no cases here", encoding="utf-8")
    res = CliRunner().invoke(command, [str(MINI), str(MINI), "--cases", str(tmp_path / "empty")])
    assert res.exit_code == 1
    assert "no-cases" in res.output and "holds no cases" in res.output
    assert "*.cases.yaml" in res.output and "*.jsonl" in res.output and "*.json" in res.output
    assert "0 cases" not in res.output


def test_case_files_that_cannot_be_read_are_listed(tmp_path: Path) -> None:
    d = tmp_path / "cases"
    d.mkdir()
    (d / "bad.yaml").write_text("case: {id: X}\npersons: []\nextra: 1\n", encoding="utf-8")
    res = CliRunner().invoke(command, [str(MINI), str(MINI), "--cases", str(d)])
    assert res.exit_code == 1  # nothing could be read: no silent "1 cases, 0 changed"
    assert f"NOT READ {d}/bad.yaml" in res.output and "unknown-key" in res.output
    assert "1 cases, 0 changed, 1 not read" in res.output and "no case could be read" in res.output
    good = load_cases(MINI / "book.cases.yaml")[0]
    (d / "good.json").write_text(json.dumps(good.data, default=str, ensure_ascii=False), encoding="utf-8")
    res = CliRunner().invoke(command, [str(MINI), str(MINI), "--cases", str(d)])
    assert res.exit_code == 0 and res.output.rstrip().endswith("2 cases, 0 changed, 1 not read")
