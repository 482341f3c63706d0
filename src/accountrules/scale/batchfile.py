"""JSON Lines batch runs that survive faults: what ``accountrules evaluate FILE.jsonl`` runs.

* Every bad line — not JSON, not UTF-8, nested too deep, too large, an invalid case, a rule
  conflict — is reported on stderr **as it is found**, located at ``FILE:LINE`` (by the worker
  that found it), and the run goes on; the summary at the end counts them.
* Output goes to stdout or to ``--output FILE``, in input order, one chunk (a run of lines) at a
  time, each chunk with one ``write`` followed by ``fsync``. A chunk is never split across two
  writes, so only a kill in the middle of that one write (SIGKILL, power loss) can leave a last
  line without its newline; ``--resume`` cuts such a torn tail off before it appends.
* ``--resume`` reads the case ids already in the output and skips those input lines.
* SIGINT and SIGTERM stop the workers, write nothing half-done and exit 130; workers ignore
  SIGINT (the parent decides) and die with their parent: ``prctl(PR_SET_PDEATHSIG)`` on Linux,
  and on every platform a watcher thread that exits when the parent process is gone.
* No temporary files: workers return their output through the pool's pipe.
* Lines are cut, numbered, parsed and located by :mod:`accountrules.scale.jsonl` (as in
  :func:`accountrules.scale.batch.evaluate_jsonl`); a line that is not UTF-8 is reported here and
  the run goes on.

Exit codes (:func:`exit_code`): 0 ok · 1 bad lines · 3 internal error · 130 interrupted.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO

from ..diagnostics import Diagnostic, format_text
from ..engine import Backend, Engine
from ..errors import AccountRulesError, InvalidCase
from ..output.render import to_jsonl
from ..rules.validate import Rulebook
from .jsonl import line_ranges, located, parse_line, read_range

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

_DONE: frozenset[str] = frozenset()  # case ids already in the output (the worker's copy)
_REPORT: Callable[[Diagnostic], None] | None = None  # where a worker reports a bad line


@dataclass
class Summary:
    """What a run did."""

    lines: int = 0
    written: int = 0
    bad: int = 0
    skipped: int = 0
    internal: int = 0
    interrupted: bool = False
    problems: list[Diagnostic] = field(default_factory=list)

    def add(self, other: ChunkResult) -> None:
        """Count a chunk."""
        self.lines += other.lines
        self.written += other.written
        self.bad += other.bad
        self.skipped += other.skipped
        self.internal += other.internal

    def text(self, src: str) -> str:
        """The summary line printed on stderr."""
        parts = [f"{self.lines} lines", f"{self.written} evaluated", f"{self.bad} bad"]
        if self.skipped:
            parts.append(f"{self.skipped} skipped (already in the output)")
        if self.internal:
            parts.append(f"{self.internal} internal errors")
        state = "interrupted" if self.interrupted else "done"
        return f"{src}: {state}: " + ", ".join(parts)


def exit_code(summary: Summary) -> int:
    """0 ok · 1 bad lines · 3 internal error · 130 interrupted."""
    if summary.interrupted:
        return EXIT_INTERRUPTED
    if summary.internal:
        return EXIT_INTERNAL
    return EXIT_BAD_INPUT if summary.bad else EXIT_OK


@dataclass
class ChunkResult:
    """One chunk's output (complete lines) and counts."""

    data: bytes
    lines: int
    written: int
    bad: int
    skipped: int
    internal: int


# --------------------------------------------------------------------------- the work of one chunk


def _stderr_report(d: Diagnostic) -> None:
    """One diagnostic, one ``write`` on fd 2 (lines from several workers never interleave)."""
    os.write(2, (format_text([d]) + "\n").encode("utf-8", "replace"))


def _stream_report(d: Diagnostic) -> None:
    """One diagnostic on ``sys.stderr`` (in this process: follows a redirected ``sys.stderr``)."""
    sys.stderr.write(format_text([d]) + "\n")
    sys.stderr.flush()


def run_lines(engine: Engine, path: str, raw_lines: list[bytes], first: int, lang: str, detail: str,
              report: Callable[[Diagnostic], None], as_of: _dt.date | None = None) -> ChunkResult:
    """Evaluate numbered raw lines (as of ``as_of``, if given); report each bad line at once; return
    the good output.

    Never raises for a bad line: every problem, even an unexpected exception, becomes a diagnostic
    (code ``internal-error`` for the latter) and the next line is read.
    """
    out: list[str] = []
    lines = bad = skipped = internal = 0
    for n, raw in enumerate(raw_lines, first):
        if not raw.strip():
            continue
        lines += 1
        try:
            case = parse_line(path, n, raw.rstrip(b"\r\n"))
            if case.case.id in _DONE:
                skipped += 1
                continue
            out.append(to_jsonl(engine.evaluate(case, lang=lang, detail=detail, as_of=as_of)))
        except AccountRulesError as exc:
            bad += 1
            for d in located(path, n, exc):
                report(d)
        except Exception as exc:  # noqa: BLE001 - one line must not end the batch
            internal += 1
            report(Diagnostic("internal-error", f"{type(exc).__name__}: {str(exc)[:200]} (please report this).",
                              path=f"{path}:{n}"))
    data = "".join(s + "\n" for s in out).encode("utf-8")
    return ChunkResult(data, lines, len(out), bad, skipped, internal)


def _chunk_in_worker(span: tuple[int, int, int], path: str, lang: str, detail: str, as_of: _dt.date | None
                     ) -> ChunkResult:
    from .batch import _worker_engine

    raw_lines, first = read_range(path, span)
    return run_lines(_worker_engine(), path, raw_lines, first, lang, detail, _REPORT or _stderr_report, as_of)


# --------------------------------------------------------------------------- workers die with their parent


def _set_pdeathsig() -> bool:
    """Linux: the kernel kills this process when its parent dies. False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        return int(libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return False


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """Portable fallback: a daemon thread that ends this process once ``parent`` is gone."""

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(EXIT_INTERRUPTED)
            time.sleep(interval)

    threading.Thread(target=watch, name="accountrules-parent-watch", daemon=True).start()


def _init_batch_worker(source: Engine | Rulebook, backend: Backend, parent: int, done: frozenset[str]) -> None:
    global _DONE
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _set_pdeathsig()
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(EXIT_INTERRUPTED)
    _watch_parent(parent)
    _DONE = done
    from .batch import _init_worker

    _init_worker(source, backend)


# --------------------------------------------------------------------------- output and resume

_HEAD = re.compile(rb'^\{"case_id":"([^"\\]*)"')


def done_ids(output: Path) -> frozenset[str]:
    """Case ids of the complete lines of an existing output; a torn last line is cut off first.

    Raises:
        InvalidCase: the output cannot be read, or a complete line is not a recommendation.
    """
    try:
        with open(output, "r+b") as fh:
            data = fh.read()
            end = data.rfind(b"\n") + 1
            if end < len(data):  # a last line without its newline: a write that was cut short
                fh.truncate(end)
                data = data[:end]
    except FileNotFoundError:
        return frozenset()
    except OSError as exc:
        raise InvalidCase([Diagnostic("file-not-found", f"cannot read the output to resume: {exc.strerror}.",
                                      path=str(output))]) from None
    ids = set()
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        m = _HEAD.match(line)
        if m is not None:
            ids.add(m.group(1).decode("utf-8"))
            continue
        try:
            ids.add(str(json.loads(line)["case_id"]))
        except (ValueError, KeyError, TypeError):
            raise InvalidCase([Diagnostic("bad-output", f"line {n} is not a recommendation; --resume needs an "
                                          "output written by accountrules.", path=f"{output}:{n}")]) from None
    return frozenset(ids)


class _Sink:
    """stdout or the output file: each chunk in one write, then flushed to disk."""

    def __init__(self, output: Path | None, append: bool) -> None:
        self.file: BinaryIO | None = None
        if output is not None:
            self.file = open(output, "ab" if append else "wb")  # noqa: SIM115 - closed in close()
        self.fd = self.file.fileno() if self.file is not None else None

    def write(self, data: bytes) -> None:
        if not data:
            return
        blocking = hasattr(signal, "pthread_sigmask")
        if blocking:  # SIGINT/SIGTERM wait until the chunk is written whole
            old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            self._write(data)
        finally:
            if blocking:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def _write(self, data: bytes) -> None:
        if self.file is None:
            sys.stdout.flush()
            out = sys.stdout.buffer
            out.write(data)
            out.flush()
            return
        view = memoryview(data)
        while view:  # one write in practice; a short write is completed, never abandoned
            n = os.write(self.fd or 0, view)
            view = view[n:]
        os.fsync(self.fd or 0)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


# --------------------------------------------------------------------------- the run


class _Interrupted(Exception):
    pass


class _Stop:
    """Set by SIGINT/SIGTERM; the run checks it between chunks (never inside pool internals)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.event.set()

    def check(self) -> None:
        if self.event.is_set():
            raise _Interrupted


def run(engine: Engine, src: str, *, lang: str = "zh", detail: str = "full", workers: int = 1,
        output: Path | None = None, resume: bool = False, append: bool = False, chunksize: int = 64,
        report: Callable[[Diagnostic], None] | None = None, as_of: _dt.date | None = None) -> Summary:
    """Evaluate a JSON Lines file; see the module docstring for what survives what.

    Args:
        output: write here (default: stdout); replaced unless ``resume`` or ``append``.
        resume: skip the cases whose ids the output already holds (after cutting off a torn tail).
        append: add to the output (a further batch of the same command).
        as_of: the date of evaluation of every line (``Engine.evaluate``'s ``as_of``); it travels to
            the workers with each chunk, so the output is the same whatever ``workers`` is.
        report: called with each bad line's diagnostic as it is found (default: printed on stderr
            by whichever process found it); with workers it reaches forked workers only.

    Raises:
        InvalidCase: the input (or, with ``resume``, the output) cannot be read.
    """
    global _REPORT
    if os.path.isdir(src):
        raise InvalidCase([Diagnostic("file-not-found", "this is a directory; give a JSON Lines file.", path=src)])
    if not os.path.isfile(src):
        raise InvalidCase([Diagnostic("file-not-found", "cannot read case file: no such file.", path=src)])
    done = done_ids(output) if (resume and output is not None) else frozenset()
    summary = Summary()
    say = report or (_stream_report if workers <= 1 else _stderr_report)
    sink = _Sink(output, append=resume or append)
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    stop = _Stop()
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        for s in previous:
            signal.signal(s, stop)
    try:
        if workers <= 1:
            _run_here(engine, src, lang, detail, chunksize, done, say, sink, summary, stop, as_of)
        else:
            _run_pool(engine, src, lang, detail, workers, chunksize, done, say, sink, summary, stop, as_of)
    except (_Interrupted, KeyboardInterrupt):
        summary.interrupted = True
    except OSError as exc:
        raise InvalidCase([Diagnostic("file-not-found", f"cannot read case file: {exc.strerror}.", path=src)]
                          ) from None
    finally:
        _REPORT = None
        if in_main:
            for s, h in previous.items():
                signal.signal(s, h)
        sink.close()
    return summary


def _run_here(engine: Engine, src: str, lang: str, detail: str, chunksize: int, done: frozenset[str],
              say: Callable[[Diagnostic], None], sink: _Sink, summary: Summary, stop: _Stop,
              as_of: _dt.date | None) -> None:
    global _DONE
    _DONE = done
    try:
        with open(src, "rb") as fh:
            first = 1
            chunk: list[bytes] = []
            for raw in fh:
                chunk.append(raw)
                if len(chunk) >= chunksize:
                    stop.check()
                    _emit(run_lines(engine, src, chunk, first, lang, detail, say, as_of), sink, summary)
                    first += len(chunk)
                    chunk = []
            if chunk:
                stop.check()
                _emit(run_lines(engine, src, chunk, first, lang, detail, say, as_of), sink, summary)
    finally:
        _DONE = frozenset()


def _emit(result: ChunkResult, sink: _Sink, summary: Summary) -> None:
    sink.write(result.data)
    summary.add(result)


def _run_pool(engine: Engine, src: str, lang: str, detail: str, workers: int, chunksize: int, done: frozenset[str],
              say: Callable[[Diagnostic], None], sink: _Sink, summary: Summary, stop: _Stop,
              as_of: _dt.date | None) -> None:
    global _REPORT
    from collections import deque

    from .batch import _mp_context

    ctx = _mp_context()
    forked = ctx.get_start_method() == "fork"
    source: Engine | Rulebook = engine if forked and engine.backend == "python" else engine.rulebook
    _REPORT = None if say is _stderr_report else say  # a custom reporter reaches forked workers only
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_batch_worker,
                               initargs=(source, engine.backend, os.getpid(), done))
    pending: deque[Future[ChunkResult]] = deque()
    try:
        for span in line_ranges(src, chunksize):
            stop.check()
            pending.append(pool.submit(_chunk_in_worker, span, src, lang, detail, as_of))
            if len(pending) >= 4 * workers:
                _emit(_result(pending.popleft(), stop), sink, summary)
        while pending:
            _emit(_result(pending.popleft(), stop), sink, summary)
    except BrokenProcessPool:
        summary.internal += 1
        say(Diagnostic("internal-error", "a worker process died; the lines not yet written were not evaluated "
                       "(run again with --resume).", path=src))
    finally:
        _stop_pool(pool, pending)


def _result(future: Future[ChunkResult], stop: _Stop) -> ChunkResult:
    """The chunk's result, checking for SIGINT/SIGTERM while waiting for it."""
    from concurrent.futures import wait

    while not wait([future], timeout=0.1).done:
        stop.check()
    stop.check()
    return future.result()


def _stop_pool(pool: ProcessPoolExecutor, pending: Any) -> None:
    """Cancel what is queued and end the workers now (they hold nothing that must be kept)."""
    for f in pending:
        f.cancel()
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    previous = threading.excepthook

    def quiet(args: Any) -> None:  # the pool's own thread sees the workers it was running end: expected here
        if args.thread is not manager:
            previous(args)

    threading.excepthook = quiet
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:  # its feeder thread may be blocked writing to workers that are about to go:
        call_queue.cancel_join_thread()  # do not wait for it (that wait deadlocked the shutdown)
    try:
        for p in processes:
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(timeout=5)
        # A worker killed while writing its result leaves half a message in the result pipe, and the pool's
        # manager thread blocks reading the rest for ever: this process holds the pipe's other write end, so
        # no EOF comes (seen on Python 3.13, where shutdown() then waited for that thread). Close it: the
        # reader gets EOF, the manager marks the pool broken and ends.
        result_queue = getattr(pool, "_result_queue", None)
        writer = getattr(result_queue, "_writer", None)
        if writer is not None:
            writer.close()
        pool.shutdown(wait=True, cancel_futures=True)
        for p in processes:
            p.join(timeout=5)
        if manager is not None:
            manager.join(timeout=5)
    finally:
        threading.excepthook = previous
