#!/usr/bin/env python
"""How fast pathological case files are refused, against reading the valid example (issue #15).

    python bench/refusals.py

Writes real files into a temporary directory — 10,000 persons (JSON), a 2 MB file of a million
values (flat, and nested 25 × 200 × 200), a note of 600,000 characters, nesting 3,000 deep — and
times :func:`accountrules.intake.read_case_file` on each (best of 3), in this process, next to the
baseline of reading ``examples/bj-2023-017.yaml``. Also the peak memory of each refusal
(``tracemalloc``). It prints a table and never asserts a speed; the tests check that each file is
refused, and with which code.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from accountrules.errors import InvalidCase
from accountrules.intake import read_case_file

EXAMPLE = ROOT / "examples" / "bj-2023-017.yaml"


def _files(d: Path) -> dict[str, Path]:
    base = read_case_file(EXAMPLE).model_dump(mode="json")
    out: dict[str, Path] = {}
    persons = dict(base, persons=[{"id": f"p{i}", "name": "张某", "role": "handler", "fault": "none"}
                                  for i in range(10_000)])
    out["10,000 persons (JSON)"] = d / "persons.json"
    out["10,000 persons (JSON)"].write_text(json.dumps(persons, ensure_ascii=False), encoding="utf-8")
    out["1,000,000 values, flat"] = d / "flat.json"
    out["1,000,000 values, flat"].write_text('{"case": {"id": "x"}, "persons": ['
                                             + ",".join("0" for _ in range(1_000_000)) + "]}")
    inner = "[" + ",".join(["0"] * 200) + "]"
    out["1,000,000 values, nested"] = d / "nested.json"
    out["1,000,000 values, nested"].write_text(
        '{"case": [' + ",".join(["[" + ",".join([inner] * 200) + "]"] * 25) + "]}")
    note = dict(base)
    note["case"] = dict(base["case"], findings=[dict(base["case"]["findings"][0], note="说" * 600_000)])
    out["a note of 600,000 characters"] = d / "note.json"
    out["a note of 600,000 characters"].write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
    out["nested 3,000 deep"] = d / "deep.json"
    out["nested 3,000 deep"].write_text('{"case": ' + "[" * 3000 + "]" * 3000 + "}")
    return out


def _time(fn: Callable[[], object]) -> tuple[float, int, str]:
    best = float("inf")
    outcome = ""
    for _ in range(3):
        t = time.perf_counter()
        try:
            fn()
            outcome = "accepted"
        except InvalidCase as exc:
            outcome = exc.diagnostics[0].code
        best = min(best, time.perf_counter() - t)
    tracemalloc.start()
    try:
        fn()
    except InvalidCase:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, outcome


def main() -> None:
    """Print the table."""
    with tempfile.TemporaryDirectory() as tmp:
        files = _files(Path(tmp))
        base, base_mem, _ = _time(lambda: read_case_file(EXAMPLE))
        print(f"{'input':34} {'size':>10} {'time':>9} {'× example':>10} {'peak MB':>8}  outcome")
        print(f"{'the example (baseline)':34} {EXAMPLE.stat().st_size:>10,} {base * 1000:>7.1f}ms {1:>10.1f} "
              f"{base_mem / 1e6:>8.1f}  accepted")
        for label, path in files.items():
            t, mem, outcome = _time(lambda p=path: read_case_file(p))  # type: ignore[misc]
            print(f"{label:34} {path.stat().st_size:>10,} {t * 1000:>7.1f}ms {t / base:>10.1f} {mem / 1e6:>8.1f}  "
                  f"{outcome}")


if __name__ == "__main__":
    main()
