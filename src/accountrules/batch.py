"""Batches: many cases over several processes, and JSON Lines files.

* :func:`evaluate_many` — a list of cases (dicts or :class:`~accountrules.models.Case`) → their
  recommendations, in order. ``workers=1`` evaluates in this process; more workers use a process
  pool whose initializer builds one :class:`~accountrules.engine.Engine` per worker (the rulebook
  comes from :func:`~accountrules.cache.load_rulebook_cached`, so a worker starts fast), and cases
  travel in chunks (validation happens in the workers too).
* :func:`evaluate_jsonl` — what ``accountrules evaluate FILE.jsonl`` runs: one JSON line out per
  valid case, in input order, streamed; one diagnostic (``FILE:LINE``) per bad line, never
  stopping at the first.

Processes rather than threads: matching and deciding are pure Python (or durable under one lock),
so threads would share one core. On Linux the pool forks, so the workers inherit the rulebook
instead of unpickling it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TextIO, TypeVar

from .diagnostics import Diagnostic
from .engine import Backend, Engine
from .errors import AccountRulesError, EvaluationError, InputTooLarge, InvalidCase
from .load import MAX_BYTES
from .models import Case, Recommendation
from .rules.validate import Rulebook

T = TypeVar("T")
R = TypeVar("R")

_ENGINE: Engine | None = None  # the worker's engine (set by the pool initializer)
_ENGINES: dict[tuple[str, str, str], Engine] = {}  # in-process engines, by (rulebook key, backend)


# --------------------------------------------------------------------------- workers


def _init_worker(book: Rulebook, backend: Backend) -> None:
    global _ENGINE
    _ENGINE = Engine(book, backend=backend)


def _worker_engine() -> Engine:
    if _ENGINE is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker engine not initialised")
    return _ENGINE


def _pack_error(exc: AccountRulesError) -> tuple[str, list[Diagnostic]]:
    return type(exc).__name__, list(exc.diagnostics)


def _unpack_error(name: str, diags: list[Diagnostic]) -> AccountRulesError:
    from . import errors

    cls = getattr(errors, name, errors.EvaluationError)
    return cls(diags)  # type: ignore[no-any-return]


def _eval_chunk(cases: Sequence[Case | dict[str, Any]], lang: str) -> list[Any]:
    """Evaluate a chunk in a worker: each result is a recommendation as JSON, or a packed error.

    JSON rather than the pickled model: pydantic's Rust serializer and validator move a
    recommendation in about a third of the time pickle takes, and the parent's share of the work
    is what limits scaling.
    """
    engine = _worker_engine()
    out: list[Any] = []
    for c in cases:
        try:
            out.append(engine.evaluate(c, lang=lang).model_dump_json())
        except AccountRulesError as exc:
            out.append(_pack_error(exc))
    return out


def _mp_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    # fork: workers inherit the rulebook (no pickling, no re-import). durable's C state is
    # per-ruleset and each worker registers its own, so a forked copy of the parent's is inert.
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform == "linux" else None)


def default_workers() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _pool(book: Rulebook, backend: Backend, workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(), initializer=_init_worker,
                               initargs=(book, backend))


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for x in items:
        chunk.append(x)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ordered_map(pool: ProcessPoolExecutor, fn: Callable[..., R], chunks: Iterable[T], *args: Any,
                 ahead: int) -> Iterator[R]:
    """``pool.map`` with at most ``ahead`` chunks in flight (bounded memory for long inputs)."""
    pending: deque[Future[R]] = deque()
    for chunk in chunks:
        pending.append(pool.submit(fn, chunk, *args))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _auto_chunksize(n: int | None, workers: int) -> int:
    if n is None:
        return 64
    return max(1, min(256, n // (workers * 8) or 1))


# --------------------------------------------------------------------------- evaluate_many


def _engine_for(rulebook_dir: str | Path | None, backend: Backend) -> tuple[Rulebook, Engine]:
    from .cache import load_rulebook_cached, rulebook_key

    key = rulebook_key(rulebook_dir)
    ident = (key or "", str(rulebook_dir), backend)
    engine = _ENGINES.get(ident) if key else None
    if engine is None:
        engine = Engine(load_rulebook_cached(rulebook_dir), backend=backend)
        if key:
            _ENGINES[ident] = engine
    return engine.rulebook, engine


def evaluate_many(cases: Iterable[Case | dict[str, Any]], *, rulebook_dir: str | Path | None = None,
                  backend: Backend = "python", lang: str = "zh", workers: int | None = None,
                  chunksize: int | None = None, engine: Engine | None = None) -> list[Recommendation]:
    """Evaluate many cases, over ``workers`` processes; results in input order.

    Args:
        cases: case dicts (contract §1) or :class:`Case` objects.
        rulebook_dir: the rulebook (default: the bundled one); ignored when ``engine`` is given.
        backend: ``"python"`` or ``"durable"``; ignored when ``engine`` is given.
        workers: processes (default: the CPUs available); 1 evaluates in this process.
        chunksize: cases sent to a worker at a time (default: about 8 chunks per worker, ≤ 256).
        engine: evaluate with this engine's rulebook and backend (each worker builds its own).

    Raises:
        InvalidCase, RuleConflict, EngineFailure: as :meth:`Engine.evaluate` for the first case
        (in input order) that fails.
    """
    if lang not in ("zh", "en"):
        raise ValueError("lang must be 'zh' or 'en'")
    items = list(cases)
    n_workers = workers if workers is not None else default_workers()
    if n_workers < 1:
        raise ValueError("workers must be at least 1")
    if engine is None:
        book, local = _engine_for(rulebook_dir, backend)
    else:
        book, local = engine.rulebook, engine
    if n_workers == 1 or len(items) <= 1:
        return [local.evaluate(c, lang=lang) for c in items]
    size = chunksize or _auto_chunksize(len(items), n_workers)
    out: list[Recommendation] = []
    with _pool(book, local.backend, min(n_workers, -(-len(items) // size))) as pool:
        for results in _ordered_map(pool, _eval_chunk, _chunks(items, size), lang, ahead=4 * n_workers):
            for r in results:
                if isinstance(r, tuple):
                    raise _unpack_error(*r)
                out.append(Recommendation.model_validate_json(r))
    return out


# --------------------------------------------------------------------------- JSON Lines


def _line_problem(path: str, n: int, exc: AccountRulesError) -> list[Diagnostic]:
    """Diagnostics of one bad line, each located at ``FILE:LINE``."""
    where = f"{path}:{n}"
    out = []
    for d in exc.diagnostics:
        msg = d.message
        if d.path and d.path != where and not msg.startswith(d.path):
            msg = f"{d.path}: {msg}"
        out.append(Diagnostic(d.code, msg, None, d.severity, d.rule_id, where))
    return out


def _no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key '{k}'")
        out[k] = v
    return out


def _parse_line(path: str, n: int, line: str) -> Case:
    """One JSON line → a case (the same checks and messages as :func:`intake.iter_jsonl`).

    Raises:
        InvalidCase: the line is too long, not JSON, or not a valid case.
    """
    from .intake import parse_case

    if len(line) > MAX_BYTES:
        raise InputTooLarge([Diagnostic("file-too-large", f"line {n} is longer than {MAX_BYTES} bytes.",
                                        path=f"{path}:{n}")])
    try:
        data = json.loads(line, object_pairs_hook=_no_dupes)
    except ValueError as exc:
        raise InvalidCase([Diagnostic("json-syntax", f"line {n}: {exc}.", path=f"{path}:{n}")]) from None
    return parse_case(data, file=f"{path}:{n}")


def _jsonl_one(engine: Engine, path: str, n: int, line: str, lang: str) -> tuple[int, str | list[Diagnostic]]:
    from .render import to_jsonl

    try:
        case = _parse_line(path, n, line)
        return n, to_jsonl(engine.evaluate(case, lang=lang))
    except EvaluationError as exc:
        return n, _line_problem(path, n, exc)


def _jsonl_chunk(lines: Sequence[tuple[int, str]], path: str, lang: str) -> list[tuple[int, str | list[Diagnostic]]]:
    engine = _worker_engine()
    return [_jsonl_one(engine, path, n, line, lang) for n, line in lines]


def _numbered_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                yield n, line


class _Progress:
    """A case counter on stderr, only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.on = sys.stderr.isatty()
        self.label = label
        self.n = 0
        self.bad = 0
        self.start = self.last = time.monotonic()

    def step(self, ok: bool) -> None:
        self.n += 1
        self.bad += not ok
        if self.on:
            now = time.monotonic()
            if now - self.last >= 0.2:
                self.last = now
                self._show(now)

    def _show(self, now: float) -> None:
        rate = self.n / max(now - self.start, 1e-9)
        sys.stderr.write(f"\r{self.label}: {self.n} cases ({self.bad} bad), {rate:,.0f}/s")
        sys.stderr.flush()

    def close(self) -> None:
        if self.on and self.n:
            self._show(time.monotonic())
            sys.stderr.write("\n")
            sys.stderr.flush()


def evaluate_jsonl(engine: Engine, path: str | Path, *, lang: str = "zh", workers: int | None = 1,
                   out: TextIO | None = None, chunksize: int = 64) -> list[Diagnostic]:
    """Evaluate a JSON Lines file: one compact JSON recommendation per valid line, in input order.

    Blank lines are skipped. Lines are read, validated and evaluated in the workers; results are
    written as they come, in order, so memory stays bounded however long the file is.

    Returns:
        One diagnostic per problem of each invalid line (bad JSON, an invalid case, an unknown
        code, a rule conflict), located at ``FILE:LINE``.

    Raises:
        InvalidCase: the file cannot be read.
    """
    src = str(path)
    sink = out if out is not None else sys.stdout
    n_workers = workers if workers is not None else default_workers()
    problems: list[Diagnostic] = []
    progress = _Progress(Path(src).name)
    if not os.path.isfile(src):
        raise InvalidCase([Diagnostic("file-not-found", "cannot read case file: no such file.", path=src)])

    def emit(result: str | list[Diagnostic]) -> None:
        if isinstance(result, str):
            sink.write(result + "\n")
            progress.step(True)
        else:
            problems.extend(result)
            progress.step(False)

    try:
        lines = _numbered_lines(src)
        if n_workers <= 1:
            for n, line in lines:
                emit(_jsonl_one(engine, src, n, line, lang)[1])
        else:
            with _pool(engine.rulebook, engine.backend, n_workers) as pool:
                for results in _ordered_map(pool, _jsonl_chunk, _chunks(lines, chunksize), src, lang,
                                            ahead=4 * n_workers):
                    for _n, result in results:
                        emit(result)
    except UnicodeDecodeError as exc:
        problems.append(Diagnostic("bad-encoding", f"the file is not UTF-8 ({exc.reason}); nothing after "
                                   "this point was read.", path=src))
    except OSError as exc:
        raise InvalidCase([Diagnostic("file-not-found", f"cannot read case file: {exc.strerror}.",
                                      path=src)]) from None
    finally:
        progress.close()
        sink.flush()
    return problems
