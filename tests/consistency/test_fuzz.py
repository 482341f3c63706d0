"""The fuzz harness, with a bounded budget: no crash and no escaped exception on either backend
(``ACCOUNTRULES_FUZZ_INPUTS`` for more; ``python -m accountrules.consistency.fuzz --inputs 100000`` for a long run)."""

from __future__ import annotations

import os
from pathlib import Path

from accountrules.consistency.fuzz import _mutate, inputs, run
from accountrules.engine import available_backends

BUDGET = int(os.environ.get("ACCOUNTRULES_FUZZ_INPUTS", "200"))


def test_fuzz_both_backends_no_crash_no_escape(tmp_path: Path) -> None:
    report = run(list(available_backends()), BUDGET, seed=1, out=tmp_path, timeout=900)
    for backend, entry in report["backends"].items():
        assert not entry.get("crash"), (backend, entry)
        assert entry["inputs"] == BUDGET and entry["escaped"] == 0, (backend, (tmp_path / f"escaped-{backend}.jsonl")
                                                                     .read_text(encoding="utf-8"))
        assert entry["valid"] > 0 and entry["rejected"] > 0  # the inputs reach both outcomes


def test_a_crash_is_seen_with_its_input(tmp_path: Path) -> None:
    report = run(["python"], 20, seed=3, out=tmp_path, crash_at=5, timeout=300)
    entry = report["backends"]["python"]
    assert entry["crash"] and entry["returncode"] != 0
    held = Path(entry["crash_input"]).read_bytes()
    assert held.startswith(b"5 ")


def test_inputs_are_reproducible_and_mixed() -> None:
    a = list(inputs(40, seed=9))
    assert a == list(inputs(40, seed=9))
    assert {k for k, _, _ in a} == {"schema", "bytes"}
    import random

    assert _mutate(b"", random.Random(1))
