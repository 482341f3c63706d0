#!/usr/bin/env python
"""Behaviour snapshot: one sha256 per case of everything the engine prints, to prove a refactor
changes no output.

    python bench/snapshot.py OUT.txt            # write the snapshot
    python bench/snapshot.py OUT.txt --n 3000   # generated cases per rulebook (default 2000)
    diff BASE.txt OUT.txt                       # identical, or the refactor changed an output

Cases: the bundled examples, ``tests/scenarios/*.yaml``, every case of every ``*.cases.yaml`` of
the default rulebook, of ``tests/fixtures/*`` (with its ``policy:`` applied when it has one), and
``--n`` generated cases per rulebook (``bench/run.py``'s generator, fixed seed) plus cases drawn
from :mod:`accountrules.testing`'s strategies (Hypothesis, derandomised).

For each case and each backend (durable, python), the line's sha256 covers: the canonical JSON
for zh/en × full/compact (the backend's name masked, so both backends must agree byte for byte),
the text and Markdown renderings (zh, en), and the ``--trace full`` text — or, when the case is
refused, the error's text. A last line per rulebook hashes the whole rulebook's lines.

This is a tool for refactoring, not a test: it asserts nothing, it writes what it saw.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

from accountrules import AccountRulesError, Engine, load_rulebook  # noqa: E402
from accountrules.casefile import load_cases  # noqa: E402
from accountrules.intake import parse_case, read_case_file  # noqa: E402
from accountrules.render import to_json, to_markdown, to_text  # noqa: E402
from accountrules.trace import format_trace  # noqa: E402


def _bench_generator() -> Any:
    spec = importlib.util.spec_from_file_location("_bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.generate_cases


def _strategy_cases(book: Any, n: int) -> list[dict[str, Any]]:
    """``n`` cases from accountrules.testing.cases, derandomised (same cases every run)."""
    from hypothesis import HealthCheck, given, settings

    from accountrules import testing

    out: list[dict[str, Any]] = []

    @settings(derandomize=True, max_examples=n, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(testing.cases(book))
    def collect(case: Any) -> None:
        out.append(case.model_dump(mode="json"))

    collect()
    return out


def _variant(engine: Engine, case: Any) -> str:
    parts: list[str] = []
    mask = f'"backend": "{engine.backend}"'
    for lang in ("zh", "en"):
        for detail in ("full", "compact"):
            try:
                rec = engine.evaluate(case, lang=lang, detail=detail)
            except AccountRulesError as exc:
                parts.append(f"error {type(exc).__name__}: {exc}")
                continue
            parts.append(to_json(rec).replace(mask, '"backend": "*"'))
            if detail == "full":
                parts.append(to_text(rec, lang).replace(engine.backend, "*"))
                parts.append(to_markdown(rec, lang).replace(engine.backend, "*"))
        try:
            _, trace = engine.evaluate_traced(case, lang=lang)
            parts.append(format_trace(trace, engine.rulebook, full=True))
        except AccountRulesError as exc:
            parts.append(f"error {type(exc).__name__}: {exc}")
    return "\x00".join(parts)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _with_policy(engines: Mapping[str, Engine], policy: Mapping[str, Any] | None,
                 memo: dict[str, dict[str, Engine]]) -> Mapping[str, Engine]:
    if not policy:
        return engines
    key = repr(sorted(policy.items()))
    if key not in memo:
        book = next(iter(engines.values())).rulebook
        manifest = book.manifest.model_copy(update={"policy": book.manifest.policy.model_copy(update=dict(policy))})
        changed = dataclasses.replace(book, manifest=manifest)  # type: ignore[type-var]
        memo[key] = {b: Engine(changed, backend=e.backend) for b, e in engines.items()}
    return memo[key]


def _cases(book_dir: Path | None, book: Any, n: int, seed: int) -> Iterator[tuple[str, Any, Mapping[str, Any] | None]]:
    """(name, case dict or Case or error text, policy) for one rulebook."""
    if book_dir is None:
        for p in sorted((ROOT / "examples").glob("*.yaml")):
            yield f"example:{p.name}", read_case_file(p), None
        for p in sorted((ROOT / "tests" / "scenarios").glob("*.yaml")):
            yield f"scenario:{p.name}", read_case_file(p), None
        files = sorted((ROOT / "rules").glob("*.cases.yaml"))
    else:
        files = sorted(book_dir.glob("*.cases.yaml"))
    for f in files:
        for c in load_cases(f, display=f.relative_to(ROOT).as_posix()):
            yield f"case:{c.file}:{c.name}", c.data, c.policy
    for i, c in enumerate(_bench_generator()(book, n, seed)):
        yield f"gen:{seed}:{i}", c, None
    for i, c in enumerate(_strategy_cases(book, max(10, n // 10))):
        yield f"strategy:{i}", c, None


def snapshot(n: int, seed: int, only: str | None = None) -> Iterator[str]:
    """The lines of the snapshot (``only``: the rulebooks whose label starts with it)."""
    books: list[tuple[str, Path | None]] = [("default", None)]
    books += [(f"fixture:{p.name}", p) for p in sorted((ROOT / "tests" / "fixtures").iterdir()) if p.is_dir()]
    books = [(label, p) for label, p in books if only is None or label.startswith(only)]
    for label, path in books:
        # a relative display root: the reasons' sources name the same file whichever checkout runs this
        book = load_rulebook(path, display_root=path.relative_to(ROOT).as_posix()) if path is not None \
            else load_rulebook()
        engines = {b: Engine(book, backend=b) for b in ("durable", "python")}  # type: ignore[arg-type]
        memo: dict[str, dict[str, Engine]] = {}
        whole = hashlib.sha256()
        count = 0
        for name, data, policy in _cases(path, book, n if path is None else n // 4, seed):
            use = _with_policy(engines, policy, memo)
            try:
                case = parse_case(data) if isinstance(data, Mapping) else data
            except AccountRulesError as exc:
                line = f"{label} {name} invalid {_digest(type(exc).__name__ + str(exc))}"
            else:
                outs = {b: _variant(e, case) for b, e in use.items()}
                same = "same" if outs["durable"] == outs["python"] else "DIFFER"
                line = f"{label} {name} {same} {_digest(outs['durable'])} {_digest(outs['python'])}"
            whole.update(line.encode() + b"\n")
            count += 1
            yield line
        yield f"{label} ALL {count} {whole.hexdigest()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=2000, help="generated cases for the default rulebook")
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--only", default=None, help="only the rulebooks whose label starts with this (default, fixture:…)")
    a = ap.parse_args(argv)
    with open(a.out, "w", encoding="utf-8") as fh:
        for line in snapshot(a.n, a.seed, a.only):
            fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
