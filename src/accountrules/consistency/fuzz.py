"""Fuzz harness: hostile input through the whole pipeline, each backend in a subprocess of its own.

    python -m accountrules.consistency.fuzz                          # 1,000 inputs per backend (what CI runs)
    python -m accountrules.consistency.fuzz --inputs 100000 --seed 7 # a long run (or ACCOUNTRULES_FUZZ_INPUTS=100000)

Inputs, half and half:

* **schema** — Hypothesis over the case schema (:func:`accountrules.testing.cases`; up to 2,000
  cases, reused in longer runs), each case then damaged in one field with a hostile value (extreme and tiny numbers, wrong types, long
  text, deep nesting, duplicate keys, unknown codes), written as YAML, JSON or a JSON line;
* **bytes** — byte-level mutation of real cases (the bundled example and every case of the
  bundled ``*.cases.yaml``, as YAML and JSON): bit flips, deleted, inserted, repeated and spliced
  runs, and hostile tokens (``1e16``, ``5e-05``, ``[[[[``, ``&a``/``*a``, ``!!python/…``, invalid
  UTF-8).

Each input is read by :func:`~accountrules.intake.read_case_text` (JSON lines by
:func:`~accountrules.intake.read_case_json`) and, when valid, evaluated. The outcome must be a
recommendation or an :class:`~accountrules.errors.AccountRulesError`: any other exception is
*escaped*, and a dead child process (a segfault) is a *crash* — seen as such because each backend
runs in its own process, which records the input in hand before evaluating it. Findings are
written to ``--out`` (default ``fuzz-findings/``); the exit code is 0 when there are none, 1
otherwise.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT_INPUTS = 1_000
SCHEMA_POOL = 2_000  # cases Hypothesis generates; each schema input is one of them, freshly damaged

HOSTILE_VALUES: list[Any] = [
    1e16, 1.0e300, 5e-05, 1e-300, -1e16, 10**30, 2**63, 0, -0.0, True, False, None, "", "1e16", "0",
    "2023-02-30", "0000-00-00", 0.1, [], {}, [[[[[[[[[[[[]]]]]]]]]]]], "x" * 3000, "\u202e\x00\ufeff",
    {"a": 1}, ["P2"] * 300, "ZZ9", "p1", 1e15, 100000, 99999.99999999999, 100000.00000000001,
]
HOSTILE_TOKENS = [b"1e16", b"1.0e+16", b"5e-05", b"1e-300", b"[[[[[[[[[[[[", b"{{{{", b"&a ", b"*a", b"<<: ",
                  b"!!python/object:os.system", b"\xff\xfe", b"\x00", b"\t", b"'", b'"', b"- ", b": ", b"#",
                  b"999999999999999999999999", b"-1", b"true", b"null", b"~", b".nan", b".inf", b"0o777",
                  b"2023-13-45", b"\xe4\xb8", b"\\u0000"]


# --------------------------------------------------------------------------- inputs


def _seeds() -> list[dict[str, Any]]:
    """Real cases: the bundled example and the cases of the bundled rulebook's case files."""
    from ..authoring.casefile import find_case_files, load_cases
    from ..contract.intake import read_case_file
    from ..rules import default_rulebook_dir

    root = default_rulebook_dir()
    example = root.parent / "examples" / "bj-2023-017.yaml"
    if not example.exists():
        example = root.parent / "_examples" / "bj-2023-017.yaml"
    out = [read_case_file(example).model_dump(mode="json")] if example.exists() else []
    for f in find_case_files(root):
        out.extend(json.loads(json.dumps(c.data, default=str)) for c in load_cases(f))
    return out


def _dump(data: Any, rng: random.Random) -> tuple[str, bytes]:
    import yaml

    form = rng.choice(("yaml", "json", "jsonl"))
    if form == "yaml":
        try:
            return form, yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()
        except (yaml.YAMLError, RecursionError, ValueError):
            form = "json"
    try:
        return form, json.dumps(data, ensure_ascii=False, default=str).encode()
    except (ValueError, RecursionError):
        return "json", b"{}"


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, prefix + (i,))


def _damage(data: Any, rng: random.Random) -> Any:
    """One field of ``data`` replaced by a hostile value (or a key added or duplicated)."""
    paths = [p for p in _paths(data) if p]
    if not paths:
        return data
    path = rng.choice(paths)
    node = data
    for k in path[:-1]:
        node = node[k]
    choice = rng.random()
    if choice < 0.8:
        node[path[-1]] = rng.choice(HOSTILE_VALUES)
    elif isinstance(node, dict):
        node[rng.choice(["wen", "case", "persons", "x" * 100, "id"])] = rng.choice(HOSTILE_VALUES)
    return data


def _mutate(blob: bytes, rng: random.Random) -> bytes:
    """Byte-level mutations of a real case file."""
    b = bytearray(blob)
    for _ in range(rng.randint(1, 4)):
        if not b:
            b += rng.choice(HOSTILE_TOKENS)
            continue
        op = rng.randrange(6)
        i = rng.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            del b[i:i + rng.randint(1, 16)]
        elif op == 2:
            b[i:i] = rng.choice(HOSTILE_TOKENS)
        elif op == 3:
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randint(1, 64)] * rng.randint(1, 50)
        elif op == 4:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:  # replace a number with a hostile one
            j = b.find(b": 0", i)
            if j >= 0:
                b[j + 2:j + 3] = rng.choice(HOSTILE_TOKENS[:4] + [b"1.0e+300", b"0.00001"])
    return bytes(b)


def inputs(count: int, seed: int) -> Iterator[tuple[str, str, bytes]]:
    """``count`` fuzz inputs ``(kind, form, bytes)``: schema-based and byte-mutated, interleaved."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from ..rules import load_rulebook
    from ..testing import cases

    rng = random.Random(seed)
    seeds = _seeds()
    seed_blobs = [(form, blob) for c in seeds for form, blob in (("yaml", _dump_as(c, "yaml")),
                                                                  ("json", _dump_as(c, "json")))]
    book = load_rulebook()
    schema_cases: list[dict[str, Any]] = []
    n_schema = min(count // 2, SCHEMA_POOL)  # a long run reuses the pool, each time with other damage

    @settings(max_examples=max(n_schema, 1), database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(case=cases(book, max_persons=4, max_findings=3), salt=st.integers(0, 2**32))
    def collect(case: Any, salt: int) -> None:
        if len(schema_cases) < n_schema:
            schema_cases.append(case.model_dump(mode="json"))

    if n_schema:
        import hypothesis

        hypothesis.seed(seed)(collect)()
    made = 0
    while made < count:
        if made % 2 == 0 and schema_cases:
            data = _damage(copy.deepcopy(schema_cases[(made // 2) % len(schema_cases)]), rng)
            form, blob = _dump(data, rng)
            yield "schema", form, blob
        else:
            form, blob = rng.choice(seed_blobs)
            yield "bytes", form, _mutate(blob, rng)
        made += 1


def _dump_as(data: Any, form: str) -> bytes:
    import yaml

    if form == "yaml":
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()
    return json.dumps(data, ensure_ascii=False).encode()


# --------------------------------------------------------------------------- the child: one backend


def child(backend: str, count: int, seed: int, out: Path, crash_at: int | None = None) -> int:
    """Evaluate ``count`` inputs on ``backend``; record escaped exceptions; exit 0."""
    from ..contract.intake import read_case_json, read_case_text
    from ..engine import Engine
    from ..errors import AccountRulesError

    engine = Engine(backend=backend)  # type: ignore[arg-type]
    current = os.open(out / f"current-{backend}.bin", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    stats = {"inputs": 0, "valid": 0, "rejected": 0, "escaped": 0}
    with open(out / f"escaped-{backend}.jsonl", "w", encoding="utf-8") as escaped:
        for n, (kind, form, blob) in enumerate(inputs(count, seed)):
            os.ftruncate(current, 0)
            os.pwrite(current, f"{n} {kind} {form}\n".encode() + blob, 0)
            if crash_at is not None and n == crash_at:  # the harness's own check that a crash is seen
                os.abort()
            stats["inputs"] += 1
            try:
                case = read_case_json(blob, "<fuzz>") if form == "jsonl" else read_case_text(blob, "<fuzz>")
                engine.evaluate(case, lang="en")
                stats["valid"] += 1
            except AccountRulesError:
                stats["rejected"] += 1
            except Exception as exc:  # noqa: BLE001 - what the harness is looking for
                stats["escaped"] += 1
                escaped.write(json.dumps({"n": n, "kind": kind, "form": form, "error": f"{type(exc).__name__}: "
                                          f"{str(exc)[:300]}", "input": blob.decode("utf-8", "replace")},
                                         ensure_ascii=False) + "\n")
    os.close(current)
    os.unlink(out / f"current-{backend}.bin")
    print(json.dumps(stats))
    return 0


# --------------------------------------------------------------------------- the parent


def run(backends: list[str], count: int, seed: int, out: Path, crash_at: int | None = None,
        timeout: float | None = None) -> dict[str, Any]:
    """Run each backend's child process; gather stats, escaped exceptions and crashes."""
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"seed": seed, "inputs_per_backend": count, "backends": {}}
    for backend in backends:
        cmd = [sys.executable, "-m", "accountrules.consistency.fuzz", "--child", backend, "--inputs", str(count),
               "--seed", str(seed), "--out", str(out)]
        if crash_at is not None:
            cmd += ["--crash-at", str(crash_at)]
        start = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)
        entry: dict[str, Any] = {"seconds": round(time.monotonic() - start, 1), "returncode": proc.returncode}
        if proc.returncode == 0 and proc.stdout.strip():
            entry.update(json.loads(proc.stdout.strip().splitlines()[-1]))
        else:
            entry["crash"] = True
            held = out / f"current-{backend}.bin"
            entry["crash_input"] = str(held) if held.exists() else None
            entry["stderr"] = proc.stderr[-2000:]
        report["backends"][backend] = entry
    return report


def _failed(report: dict[str, Any]) -> bool:
    return any(e.get("crash") or e.get("escaped") for e in report["backends"].values())


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    p = argparse.ArgumentParser(prog="python -m accountrules.consistency.fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--inputs", type=int, default=int(os.environ.get("ACCOUNTRULES_FUZZ_INPUTS", DEFAULT_INPUTS)),
                   help="inputs per backend (default: $ACCOUNTRULES_FUZZ_INPUTS or 1000)")
    p.add_argument("--seed", type=int, default=int(os.environ.get("ACCOUNTRULES_FUZZ_SEED", "0")))
    p.add_argument("--backend", choices=("both", "durable", "python"), default="both")
    p.add_argument("--out", type=Path, default=None, help="where findings go (default: a temporary directory)")
    p.add_argument("--child", choices=("durable", "python"), help=argparse.SUPPRESS)
    p.add_argument("--crash-at", type=int, default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    out = a.out or Path(tempfile.mkdtemp(prefix="accountrules-fuzz-"))
    if a.child:
        return child(a.child, a.inputs, a.seed, out, a.crash_at)
    from ..engine import available_backends

    backends = list(available_backends()) if a.backend == "both" else [a.backend]
    report = run(backends, a.inputs, a.seed, out, a.crash_at)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"findings in {out}", file=sys.stderr)
    return 1 if _failed(report) else 0


if __name__ == "__main__":
    sys.exit(main())
