"""Batches: many cases over several processes, and JSON Lines files.

* :func:`evaluate_many` — a list of cases (dicts or :class:`~accountrules.models.Case`) → their
  recommendations, in order. ``workers=1`` evaluates in this process; more workers use a process
  pool whose initializer builds one :class:`~accountrules.engine.Engine` per worker, and cases
  go out in chunks (validation happens in the workers too; forked workers read their chunk from
  the memory they inherited). Results come back through :mod:`accountrules.transport`. The
  rulebook comes from :func:`~accountrules.cache.load_rulebook_cached`.
* :func:`evaluate_many_json` — the same, rendered to JSON in the workers.
* :func:`evaluate_jsonl` — a JSON Lines file to a text stream: one JSON line out per valid case,
  in input order, streamed; one diagnostic (``FILE:LINE``) per bad line, never stopping at the
  first. (``accountrules evaluate FILE.jsonl`` runs :mod:`accountrules.scale.batchfile`, which also
  reports lines as found, resumes, and survives signals; both read lines through
  :mod:`accountrules.scale.jsonl`.)

Processes rather than threads: matching and deciding are pure Python (or durable under one lock),
so threads would share one core. On Linux the pool forks, so the workers inherit the rulebook
instead of unpickling it (elsewhere it is pickled once per worker).
"""

from __future__ import annotations

import datetime as _dt
import gc
import itertools
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TextIO, TypeVar

from .._limits import no_gc
from ..contract.models import Case, Recommendation
from ..diagnostics import Diagnostic
from ..engine import Backend, Engine
from ..errors import AccountRulesError, EvaluationError, InvalidCase
from ..output.render import json_pieces, to_json, to_jsonl
from ..rules.validate import Rulebook
from .jsonl import BadEncoding, decoded, line_ranges, located, numbered_lines, parse_line, read_range
from .transport import Decoder, Encoder, TextDecoder, TextEncoder

T = TypeVar("T")
R = TypeVar("R")

_ENGINE: Engine | None = None  # the worker's engine (set by the pool initializer)
_ENCODER: Encoder | None = None  # the worker's side of the recommendation transport (idem)
_TEXT_ENCODER: TextEncoder | None = None  # and of the JSON text transport (idem)
_INHERITED: dict[int, list[Any]] = {}  # inputs of running fan-outs, read by forked workers by token
_TOKENS = itertools.count()
_ENGINES: dict[tuple[str, str, str], Engine] = {}  # in-process engines, by (rulebook key, backend)


# --------------------------------------------------------------------------- workers


def _init_worker(source: Engine | Rulebook, backend: Backend) -> None:
    global _ENGINE, _ENCODER, _TEXT_ENCODER
    _ENCODER, _TEXT_ENCODER = Encoder(), TextEncoder()
    if isinstance(source, Engine):
        # forked from the parent: its python engine (compiled rules, warm caches) is ours too
        _ENGINE = source
    else:
        _ENGINE = Engine(source, backend=backend)
    # everything alive now (the inherited heap, the rulebook, the engine) lives as long as the
    # worker: keep the cyclic GC from scanning it (which also copies every forked page it touches)
    gc.freeze()


def _worker_engine() -> Engine:
    if _ENGINE is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker engine not initialised")
    return _ENGINE


def _pack_error(exc: AccountRulesError) -> tuple[str, list[Diagnostic]]:
    return type(exc).__name__, list(exc.diagnostics)


def _unpack_error(name: str, diags: list[Diagnostic]) -> AccountRulesError:
    from .. import errors

    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, AccountRulesError)):
        cls = errors.EvaluationError
    return cls(diags)


def _eval_chunk(cases: Sequence[Case | dict[str, Any]], lang: str, as_of: _dt.date | None = None) -> bytes:
    """Evaluate a chunk in a worker: each result is a recommendation, or a packed error.

    The recommendations travel encoded by :class:`~accountrules.transport.Encoder`: each reason,
    citation or other shared object once per worker, not once per chunk, and rebuilt in the parent
    without pydantic's ``__setstate__`` — the parent's share of the work is what limits scaling.
    """
    engine = _worker_engine()
    out: list[Any] = []
    for c in cases:
        try:
            out.append(engine.evaluate(c, lang=lang, as_of=as_of))
        except AccountRulesError as exc:
            out.append(_pack_error(exc))
    if _ENCODER is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker encoder not initialised")
    return _ENCODER.chunk(out)


def _json_chunk(cases: Sequence[Case | dict[str, Any]], lang: str, compact: bool, as_of: _dt.date | None = None
                ) -> bytes:
    """Evaluate a chunk in a worker and render it: canonical JSON text (or one line), or a packed
    error. Texts travel as their pieces (:class:`~accountrules.transport.TextEncoder`): the text
    of each shared reason or citation once per worker."""
    engine = _worker_engine()
    out: list[Any] = []
    for c in cases:
        try:
            rec = engine.evaluate(c, lang=lang, as_of=as_of)
        except AccountRulesError as exc:
            out.append(_pack_error(exc))
            continue
        out.append(json_pieces(rec, compact=compact))
    if _TEXT_ENCODER is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker encoder not initialised")
    return _TEXT_ENCODER.chunk(out)


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


def _pool(engine: Engine, workers: int) -> ProcessPoolExecutor:
    """Worker processes, each with an engine for ``engine``'s rulebook and backend.

    Forked workers inherit a python-backend engine as it is (nothing is pickled or rebuilt). A
    durable engine is never shared across a fork — durable's C state and lock belong to one
    process — so each worker builds its own from the rulebook, as spawned workers do.
    """
    ctx = _mp_context()
    forked = ctx.get_start_method() == "fork"
    source: Engine | Rulebook = engine if forked and engine.backend == "python" else engine.rulebook
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(source, engine.backend))


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


def _spans(n: int, workers: int, chunksize: int | None) -> list[tuple[int, int]]:
    """Index ranges of the chunks of ``n`` items: ``chunksize`` each if given; otherwise guided —
    a quarter of what is left per worker, between 8 and 128 — so chunks shrink towards the end and
    the workers finish together instead of one waiting on the other's last big chunk."""
    out = []
    i = 0
    while i < n:
        size = chunksize or max(8, min(128, (n - i) // (workers * 4)))
        out.append((i, min(n, i + size)))
        i += size
    return out


# --------------------------------------------------------------------------- evaluate_many


def _engine_for(rulebook_dir: str | Path | None, backend: Backend) -> Engine:
    from ..rules.cache import load_rulebook_cached, rulebook_key

    key = rulebook_key(rulebook_dir)
    ident = (key or "", str(rulebook_dir), backend)
    engine = _ENGINES.get(ident) if key else None
    if engine is None:
        engine = Engine(load_rulebook_cached(rulebook_dir), backend=backend)
        if key:
            _ENGINES[ident] = engine
    return engine


def _prepare(rulebook_dir: str | Path | None, backend: Backend, lang: str, workers: int | None,
             engine: Engine | None) -> tuple[Engine, int]:
    if lang not in ("zh", "en"):
        raise ValueError("lang must be 'zh' or 'en'")
    n_workers = workers if workers is not None else default_workers()
    if n_workers < 1:
        raise ValueError("workers must be at least 1")
    local = engine if engine is not None else _engine_for(rulebook_dir, backend)
    return local, n_workers


def _fan_out(items: list[Any], engine: Engine, n_workers: int, chunksize: int | None,
             decode: Callable[[bytes], list[Any]], fn: Callable[..., bytes], *args: Any) -> Iterator[Any]:
    """Results of ``fn`` over chunks of ``items`` in worker processes, in input order: each chunk's
    payload goes through ``decode`` (the parent's side of :mod:`accountrules.transport`)."""
    spans = _spans(len(items), n_workers, chunksize)
    forked = _mp_context().get_start_method() == "fork"
    token = next(_TOKENS)
    if forked:
        # forked workers inherit the parent's memory: a chunk travels as its index range
        _INHERITED[token] = items
        work: Iterable[Any] = ((token, i, j) for i, j in spans)
        call: Callable[..., Any] = partial(_ranged, fn)
    else:
        work, call = (items[i:j] for i, j in spans), fn
    try:
        # rebuilt results are acyclic: the cyclic GC would only scan them, again and again
        with _pool(engine, min(n_workers, len(spans))) as pool, no_gc():
            for payload in _ordered_map(pool, call, work, *args, ahead=4 * n_workers):
                for r in decode(payload):
                    if isinstance(r, tuple):
                        raise _unpack_error(*r)
                    yield r
    finally:
        _INHERITED.pop(token, None)


def _ranged(fn: Callable[..., R], span: tuple[int, int, int], *args: Any) -> R:
    """``fn`` over the items ``span`` = (token, start, stop) names, in a forked worker."""
    token, start, stop = span
    return fn(_INHERITED[token][start:stop], *args)


def evaluate_many(cases: Iterable[Case | dict[str, Any]], *, rulebook_dir: str | Path | None = None,
                  backend: Backend = "python", lang: str = "zh", workers: int | None = None,
                  chunksize: int | None = None, engine: Engine | None = None, as_of: _dt.date | None = None
                  ) -> list[Recommendation]:
    """Evaluate many cases, over ``workers`` processes; results in input order.

    Recommendations cross back from the workers encoded by :mod:`accountrules.transport` (each
    shared reason or citation sent once per worker) and are rebuilt here without validation; they
    equal what :meth:`Engine.evaluate` returns in this process. While workers run, the cyclic GC
    of this process is paused (the rebuilt objects are acyclic; collections would only rescan
    them), and re-enabled when the call returns or fails.

    Args:
        cases: case dicts (contract §1) or :class:`Case` objects.
        rulebook_dir: the rulebook (default: the bundled one); ignored when ``engine`` is given.
        backend: ``"python"`` or ``"durable"``; ignored when ``engine`` is given.
        workers: processes (default: the CPUs available); 1 evaluates in this process.
        chunksize: cases sent to a worker at a time (default: guided — up to 128, shrinking towards
            the end so the workers finish together).
        engine: evaluate with this engine's rulebook and backend (each worker builds its own).
        as_of: the date of evaluation of every case (:meth:`Engine.evaluate`); sent to the workers.

    Raises:
        InvalidCase, RuleConflict, EngineFailure: as :meth:`Engine.evaluate` for the first case
        (in input order) that fails.
    """
    items = list(cases)
    local, n_workers = _prepare(rulebook_dir, backend, lang, workers, engine)
    if n_workers == 1 or len(items) <= 1:
        return [local.evaluate(c, lang=lang, as_of=as_of) for c in items]
    return list(_fan_out(items, local, n_workers, chunksize, Decoder().chunk, _eval_chunk, lang, as_of))


def evaluate_many_json(cases: Iterable[Case | dict[str, Any]], *, rulebook_dir: str | Path | None = None,
                       backend: Backend = "python", lang: str = "zh", workers: int | None = None,
                       chunksize: int | None = None, engine: Engine | None = None,
                       compact: bool = False, as_of: _dt.date | None = None) -> list[str]:
    """Like :func:`evaluate_many`, but each result is the recommendation's JSON, rendered in the
    worker: :func:`~accountrules.render.to_json` (or :func:`~accountrules.render.to_jsonl` with
    ``compact=True``). Texts travel as their pieces, the text of each shared reason or citation
    once per worker (:class:`~accountrules.transport.TextEncoder`), and are joined here. For the
    most throughput over processes, :func:`evaluate_jsonl` writes files and keeps nothing in
    memory (``docs/performance.md``).
    """
    items = list(cases)
    local, n_workers = _prepare(rulebook_dir, backend, lang, workers, engine)
    if n_workers == 1 or len(items) <= 1:
        render = to_jsonl if compact else to_json
        return [render(local.evaluate(c, lang=lang, as_of=as_of)) for c in items]
    return list(_fan_out(items, local, n_workers, chunksize, TextDecoder().chunk, _json_chunk, lang, compact,
                         as_of))


# --------------------------------------------------------------------------- JSON Lines


def _jsonl_one(engine: Engine, path: str, n: int, line: str, lang: str, as_of: _dt.date | None = None
               ) -> tuple[int, str | list[Diagnostic]]:
    try:
        case = parse_line(path, n, line)
        return n, to_jsonl(engine.evaluate(case, lang=lang, as_of=as_of))
    except EvaluationError as exc:
        return n, located(path, n, exc)


def _jsonl_range_to_file(span: tuple[int, int, int], path: str, lang: str, out_dir: str,
                         as_of: _dt.date | None = None) -> tuple[str, int, list[list[Diagnostic]], tuple[int, str] | None]:
    """A run of lines in a worker: read from the file itself (bytes ``start:end``), the output
    written to a file of its own in ``out_dir``.

    Returns the file, how many lines it holds, the diagnostics of the bad lines, and where the
    file stops being UTF-8 (if it does in this run). The parent sends only byte ranges and copies
    the output files into the sink in input order: no case and no recommendation passes through a
    pipe or a pickle, so the parent's share of the work stays small and two workers use two cores.
    """
    engine = _worker_engine()
    problems: list[list[Diagnostic]] = []
    raw_lines, first = read_range(path, span)
    fd, name = tempfile.mkstemp(dir=out_dir, suffix=".jsonl")
    written = 0
    stop: tuple[int, str] | None = None
    with os.fdopen(fd, "wb") as fh:
        try:
            for n, line in decoded(raw_lines, first):
                _, result = _jsonl_one(engine, path, n, line, lang, as_of)
                if isinstance(result, str):
                    fh.write((result + "\n").encode("utf-8"))
                    written += 1
                else:
                    problems.append(result)
        except BadEncoding as exc:
            stop = (exc.line, exc.reason)
    return name, written, problems, stop


class _Progress:
    """A case counter on stderr, only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.on = sys.stderr.isatty()
        self.label = label
        self.n = 0
        self.bad = 0
        self.start = self.last = time.monotonic()

    def step(self, ok: bool, count: int = 1) -> None:
        self.n += count
        self.bad += 0 if ok else count
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
                   out: TextIO | None = None, chunksize: int = 128, as_of: _dt.date | None = None
                   ) -> list[Diagnostic]:
    """Evaluate a JSON Lines file: one compact JSON recommendation per valid line, in input order.

    Lines end at ``\\n`` (a ``\\r`` before it is whitespace); blank lines are skipped. With
    workers, each reads its own runs of lines from the file and writes its output to a file of its
    own; results are copied out as they come, in order, so memory stays bounded however long the
    file is. Reading stops at the first line that is not UTF-8 (one diagnostic says where).
    ``as_of`` (the date of evaluation, :meth:`Engine.evaluate`) goes to the workers with each run.

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

    raw = getattr(sink, "buffer", None)
    if raw is not None and str(getattr(sink, "encoding", "")).lower().replace("-", "") != "utf8":
        raw = None

    def emit(result: str | list[Diagnostic]) -> None:
        if isinstance(result, str):
            sink.write(result + "\n")
            progress.step(True)
        else:
            problems.extend(result)
            progress.step(False)

    def bad_encoding(line: int, reason: str) -> None:
        problems.append(Diagnostic("bad-encoding", f"line {line} is not UTF-8 ({reason}); nothing from this "
                                   "line on was read.", path=f"{src}:{line}"))

    try:
        if n_workers <= 1:
            for n, line in numbered_lines(src):
                emit(_jsonl_one(engine, src, n, line, lang, as_of)[1])
        else:
            sink.flush()  # what was written as text goes first; workers' lines go to the binary buffer
            out_dir = tempfile.mkdtemp(prefix="accountrules-jsonl-")
            try:
                with _pool(engine, n_workers) as pool:
                    for name, written, bad, stop in _ordered_map(
                            pool, _jsonl_range_to_file, line_ranges(src, chunksize), src, lang, out_dir, as_of,
                            ahead=4 * n_workers):
                        with open(name, "rb") as fh:
                            if raw is not None:
                                shutil.copyfileobj(fh, raw, 1 << 20)
                            else:
                                sink.write(fh.read().decode("utf-8"))
                        os.unlink(name)
                        progress.step(True, written)
                        for diags in bad:
                            emit(diags)
                        if stop is not None:
                            bad_encoding(*stop)
                            pool.shutdown(wait=True, cancel_futures=True)
                            break
            finally:
                shutil.rmtree(out_dir, ignore_errors=True)
    except BadEncoding as exc:
        bad_encoding(exc.line, exc.reason)
    except OSError as exc:
        raise InvalidCase([Diagnostic("file-not-found", f"cannot read case file: {exc.strerror}.",
                                      path=src)]) from None
    finally:
        progress.close()
        sink.flush()
    return problems
