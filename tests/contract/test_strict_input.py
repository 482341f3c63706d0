"""Strict types, duplicate keys and limits at the contract boundary — the same for every reader."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from accountrules import Engine
from accountrules.contract.limits import LIMITS, check_data, excerpt, scan_yaml
from accountrules.errors import InputTooLarge, InvalidCase
from accountrules.intake import iter_jsonl, parse_case, read_case_file, read_case_json, read_case_text

from ..conftest import EXAMPLE


def _base() -> dict[str, Any]:
    data: dict[str, Any] = read_case_file(EXAMPLE).model_dump(mode="json")
    return data


def _with(path: str, value: Any) -> dict[str, Any]:
    data = _base()
    *head, last = path.split(".")
    node = data
    for k in head:
        node = node[int(k)] if k.isdigit() else node[k]
    node[last] = value
    return data


def _yaml_text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# every reader: the dict of the API, YAML text, JSON text (read as YAML), a JSON line
READERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "dict": lambda d: parse_case(d),
    "yaml": lambda d: read_case_text(_yaml_text(d).encode(), "x.yaml"),
    "json": lambda d: read_case_text(json.dumps(d, ensure_ascii=False).encode(), "x.json"),
    "jsonl": lambda d: read_case_json(json.dumps(d, ensure_ascii=False), "x.jsonl:1"),
}

BAD_TYPES = [
    ("case.decided_on", 0, "date"),
    ("case.decided_on", 20230506, "date"),
    ("case.decided_on", "2023-02-30", "calendar date"),
    ("case.decided_on", "06/05/2023", "date"),
    ("case.decided_on", "2023-05-06T10:00:00", "date"),
    ("case.consequences.economic_loss_yuan", True, "number"),
    ("case.consequences.economic_loss_yuan", "100000", "number"),
    ("case.effective", 1, "boolean"),
    ("case.effective", "true", "boolean"),
    ("case.history.series_cases", 2.0, "integer"),
    ("case.history.series_cases", False, "integer"),
    ("persons.0.party_member", "no", "boolean"),
    ("persons.0.name", 12, "string"),
    ("case.grounds", "illegal_procedure", "list"),
    ("case.agency", "县自然资源局", "dictionary"),
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(("path", "value", "word"), BAD_TYPES, ids=lambda x: str(x))
def test_no_silent_coercion(reader: str, path: str, value: Any, word: str) -> None:
    with pytest.raises(InvalidCase) as ei:
        READERS[reader](_with(path, value))
    field = path.replace(".0.", "[0].")
    d = [d for d in ei.value.diagnostics if field in d.message]
    assert d, str(ei.value)
    assert d[0].code == "bad-value" and word in d[0].message, d[0].message


@pytest.mark.parametrize("reader", READERS)
def test_good_values_still_accepted(reader: str) -> None:
    case = READERS[reader](_with("case.consequences.economic_loss_yuan", 100000))
    assert case.case.consequences.economic_loss_yuan == 100000
    assert str(case.case.decided_on) == str(_base()["case"]["decided_on"])


def test_a_yaml_date_and_json_exponent_numbers() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert read_case_text(text).case.decided_on is not None
    data = _with("case.consequences.economic_loss_yuan", 0)
    blob = json.dumps(data, ensure_ascii=False).replace('"economic_loss_yuan": 0', '"economic_loss_yuan": 1e5')
    assert '1e5' in blob
    assert read_case_text(blob).case.consequences.economic_loss_yuan == 100000.0
    assert read_case_json(blob).case.consequences.economic_loss_yuan == 100000.0


def test_the_decided_on_zero_case_names_the_field_and_position() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("decided_on:"))
    bad = text.replace(line, line.split(":")[0] + ": 0")
    with pytest.raises(InvalidCase) as ei:
        read_case_text(bad, "x.yaml")
    d = ei.value.diagnostics[0]
    assert d.span is not None and d.span.file == "x.yaml"
    assert d.message.startswith("case.decided_on: input should be a date written YYYY-MM-DD; found '0'")


DUPLICATES = {
    "yaml": ("x.yaml", lambda t: read_case_text(t, "x.yaml"), "duplicate-key"),
    "json": ("x.json", lambda t: read_case_text(t, "x.json"), "duplicate-key"),
    "jsonl": ("x.jsonl:1", lambda t: read_case_json(t, "x.jsonl:1"), "json-syntax"),
}


@pytest.mark.parametrize("reader", DUPLICATES)
def test_duplicate_keys_refused(reader: str) -> None:
    _name, read, code = DUPLICATES[reader]
    blob = json.dumps(_base(), ensure_ascii=False)
    blob = blob.replace('"effective": true', '"effective": true, "effective": false')
    assert blob.count('"effective"') == 2
    with pytest.raises(InvalidCase) as ei:
        read(blob)
    assert ei.value.diagnostics[0].code == code
    assert "duplicate key 'effective'" in ei.value.diagnostics[0].message


def test_regex_keeps_its_case_and_unknown_values_are_excerpted() -> None:
    with pytest.raises(InvalidCase) as ei:
        parse_case(_with("persons.0.circumstances", ["mt3"]))
    assert "'^[A-Z]{1,3}[0-9]{1,3}$'" in str(ei.value)
    with pytest.raises(InvalidCase) as ei:
        parse_case(_with("case.origin", "c" * 1500))
    msg = ei.value.diagnostics[0].message
    assert "(1500 characters)" in msg and len(msg) < 400


def test_long_text_is_refused_with_an_excerpt() -> None:
    note = "很长的说明" * 200_000  # 3 MB of UTF-8 is over the size limit …
    data = _base()
    data["case"]["findings"][0]["note"] = note
    with pytest.raises(InputTooLarge) as ei:
        read_case_text(json.dumps(data, ensure_ascii=False))
    assert ei.value.diagnostics[0].code == "file-too-large"
    data["case"]["findings"][0]["note"] = note[:300_000]  # … 900 KB is not, but the note is too long
    for reader in READERS.values():
        with pytest.raises(InputTooLarge) as ei:
            reader(data)
        d = ei.value.diagnostics[0]
        assert d.code == "text-too-long" and "case.findings[0].note" in d.message
        assert "(300000 characters)" in d.message and len(d.message) < 300


def _persons(n: int) -> dict[str, Any]:
    data = _base()
    data["persons"] = [{"id": f"p{i}", "name": "张某", "role": "handler", "fault": "none"} for i in range(n)]
    data["case"]["findings"] = []
    return data


@pytest.mark.parametrize("reader", READERS)
def test_ten_thousand_persons_refused(reader: str) -> None:
    with pytest.raises(InputTooLarge) as ei:
        READERS[reader](_persons(10_000))
    d = ei.value.diagnostics[0]
    assert d.code == "list-too-long" and d.message.startswith("persons: ")


def test_the_contract_limit_on_persons_still_holds() -> None:
    with pytest.raises(InvalidCase) as ei:
        parse_case(_persons(150))
    assert "persons: list should have at most 100 items" in str(ei.value)
    assert parse_case(_persons(100)).persons[-1].id == "p99"


def test_a_million_values_in_two_megabytes(tmp_path: Path) -> None:
    flat = tmp_path / "flat.json"
    flat.write_text('{"case": {"id": "x"}, "persons": [' + ",".join("0" for _ in range(1_000_000)) + "]}")
    inner = "[" + ",".join(["0"] * 200) + "]"
    nested = tmp_path / "nested.json"
    nested.write_text('{"case": [' + ",".join(["[" + ",".join([inner] * 200) + "]"] * 25) + "]}")
    for f in (flat, nested):
        assert 1_900_000 < f.stat().st_size <= LIMITS.max_bytes
        with pytest.raises(InputTooLarge) as ei:
            read_case_file(f)
        assert ei.value.diagnostics[0].code in ("list-too-long", "document-too-complex")
        with pytest.raises(InputTooLarge):
            read_case_json(f.read_text())
    with pytest.raises(InputTooLarge) as ei:
        read_case_file(nested)
    assert f"more than {LIMITS.max_values} values" in str(ei.value)


@pytest.mark.parametrize("depth", [11, 3000, 200_000])
def test_deep_nesting_refused_everywhere(depth: int) -> None:
    text = '{"case": ' + "[" * depth + "]" * depth + "}"
    for read in (read_case_text, read_case_json):
        with pytest.raises(InputTooLarge) as ei:
            read(text)
        assert ei.value.diagnostics[0].code == "document-too-complex"
    deep: Any = []
    for _ in range(depth):
        deep = [deep]
    with pytest.raises(InputTooLarge):
        parse_case({"case": deep})


def test_limits_at_the_edge() -> None:
    check_data({"a": [0] * LIMITS.max_items})
    scan_yaml("a: [" + ",".join(["0"] * LIMITS.max_items) + "]", "f")
    nested: Any = 0
    for _ in range(LIMITS.max_depth):
        nested = [nested]
    check_data(nested)
    with pytest.raises(InputTooLarge):
        check_data([nested])
    with pytest.raises(InputTooLarge):
        check_data({"a": [0] * (LIMITS.max_items + 1)})
    with pytest.raises(InputTooLarge):
        scan_yaml("a: [" + ",".join(["0"] * (LIMITS.max_items + 1)) + "]", "f")


def test_excerpt() -> None:
    assert excerpt("x" * 41).endswith("…' (41 characters)")
    assert excerpt({"a": 1}) == "a mapping of 1 keys" and excerpt(None) == "null" and excerpt(1.5) == "'1.5'"


def test_engine_evaluate_applies_the_same_limits(py_engine: Engine) -> None:
    with pytest.raises(InputTooLarge):
        py_engine.evaluate(_persons(10_000))
    with pytest.raises(InvalidCase):
        py_engine.evaluate(_with("case.decided_on", 0))


def test_jsonl_reader_reports_each_bad_line(tmp_path: Path) -> None:
    good = json.dumps(_base(), ensure_ascii=False).encode()
    lines = [good, b'{"case": ' + b"[" * 3000 + b"]" * 3000 + b"}", b"\xff\xfe not utf-8", b"{not json",
             json.dumps(_with("case.decided_on", 0)).encode(), good]
    f = tmp_path / "b.jsonl"
    f.write_bytes(b"\n".join(lines) + b"\n")
    got = list(iter_jsonl(f))
    assert [n for n, _ in got] == [1, 2, 3, 4, 5, 6]
    codes = [r.diagnostics[0].code if isinstance(r, InvalidCase) else "ok" for _, r in got]
    assert codes == ["ok", "document-too-complex", "not-utf8", "json-syntax", "bad-value", "ok"]


def test_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidCase) as ei:
        read_case_file(tmp_path)
    assert "directory" in str(ei.value)
    proc = subprocess.run([sys.executable, "-m", "accountrules.cli", "evaluate", str(tmp_path), "--backend", "python"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 1 and "directory" in proc.stderr and "Traceback" not in proc.stderr
