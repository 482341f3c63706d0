"""JSON Lines batches that survive faults, run for real: bad lines reported as found, SIGKILL of the
parent halfway (no worker survives; ``--resume`` completes the output with no duplicate and no torn
line), SIGINT/SIGTERM (exit 130), exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from accountrules import Engine
from accountrules.diagnostics import Diagnostic
from accountrules.intake import read_case_file
from accountrules.scale.batchfile import EXIT_INTERRUPTED, Summary, done_ids, exit_code, run

from ..conftest import EXAMPLE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

BAD = {  # line number within each 100 → (the line, the code reported)
    7: (b'{"case": ' + b"[" * 3000 + b"]" * 3000 + b"}", "document-too-complex"),
    11: (b"\xff\xfe\xfa not utf-8", "not-utf8"),
    13: (b"{not json", "json-syntax"),
    19: (None, "bad-value"),  # decided_on: 0
    23: (None, "json-syntax"),  # a duplicate key
}


def _lines(n: int) -> list[bytes]:
    base: dict[str, Any] = read_case_file(EXAMPLE).model_dump(mode="json")
    out = []
    for i in range(1, n + 1):
        k = i % 100
        case = dict(base["case"], id=f"C{i}")
        if k == 17:  # a valid case with a number durable-rules used to crash on
            case["consequences"] = {"economic_loss_yuan": 1e300}
        if k == 19:
            case["decided_on"] = 0
        line = json.dumps(dict(base, case=case), ensure_ascii=False).encode()
        if k == 23:
            line = line.replace(b'"effective": true', b'"effective": true, "effective": true')
        if k in BAD and BAD[k][0] is not None:
            line = BAD[k][0]  # type: ignore[assignment]
        out.append(line)
    return out


def _write(path: Path, n: int) -> Path:
    path.write_bytes(b"\n".join(_lines(n)) + b"\n")
    return path


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "accountrules.cli", "evaluate", *args, "--backend", "python"]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ")[1][0] != "Z"
    except OSError:
        return True


def _wait_lines(path: Path, n: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError("no progress")


def _ids(path: Path) -> list[str]:
    data = path.read_bytes()
    assert data.endswith(b"\n"), "torn last line"
    return [json.loads(line)["case_id"] for line in data.splitlines()]


def _expected_ids(n: int) -> list[str]:
    return [f"C{i}" for i in range(1, n + 1) if i % 100 not in BAD]


pgrep = pytest.mark.skipif(not Path("/proc").exists() or subprocess.run(["which", "pgrep"], capture_output=True,
                           check=False).returncode != 0, reason="needs /proc and pgrep")


@pgrep
def test_killed_parent_leaves_no_worker_and_resume_completes(tmp_path: Path) -> None:
    n = 2400
    src = _write(tmp_path / "b.jsonl", n)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(_cli(str(src), "--workers", "2", "-o", str(out)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        _wait_lines(out, 600, proc)
        workers = _children(proc.pid)
        assert len(workers) == 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "a worker outlived its parent"
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert f"{src}:7: document-too-complex" in stderr  # reported before the kill
    first = out.read_bytes()
    assert 0 < first.count(b"\n") < len(_expected_ids(n))
    # simulate the worst a kill can do to the last write: a torn line
    out.write_bytes(first + b'{"case_id":"C99999","rulebook":{')
    done = subprocess.run(_cli(str(src), "--workers", "2", "-o", str(out), "--resume"), capture_output=True,
                          text=True, check=False, timeout=600)
    assert done.returncode == 1, done.stderr  # the planted bad lines
    ids = _ids(out)
    assert len(ids) == len(set(ids)), "a case written twice"
    assert ids == _expected_ids(n)
    assert "skipped (already in the output)" in done.stderr.splitlines()[-1]


@pgrep
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_workers_and_exit_130(tmp_path: Path, sig: signal.Signals) -> None:
    src = _write(tmp_path / "b.jsonl", 3000)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(_cli(str(src), "--workers", "2", "-o", str(out)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        _wait_lines(out, 300, proc)
        workers = _children(proc.pid)
        proc.send_signal(sig)
        assert proc.wait(timeout=120) == EXIT_INTERRUPTED
    finally:
        if proc.poll() is None:
            for w in _children(proc.pid):
                os.kill(w, signal.SIGKILL)
            proc.kill()
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert "Traceback" not in stderr and ": interrupted: " in stderr
    assert not [w for w in workers if _alive(w)]
    ids = _ids(out)
    assert ids == _expected_ids(3000)[:len(ids)]


def test_bad_lines_reported_as_found_while_the_run_continues(tmp_path: Path) -> None:
    src = _write(tmp_path / "b.jsonl", 1500)
    proc = subprocess.Popen(_cli(str(src), "--workers", "1"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    first = proc.stderr.readline().decode()
    still_running = proc.poll() is None
    rest = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 1
    assert first.startswith(f"{src}:7: document-too-complex")
    assert still_running, "the first bad line was reported only at the end"
    reported = [line for line in (first + rest).splitlines() if line.startswith(f"{src}:") and
                line[len(str(src)) + 1].isdigit()]
    assert len(reported) == 15 * len(BAD)
    codes = {int(line.split(":")[1]) % 100: line.split(": ")[1] for line in reported}
    assert codes == {k: v[1] for k, v in BAD.items()}
    assert rest.splitlines()[-1] == f"{src}: done: 1500 lines, {1500 - 75} evaluated, 75 bad"


@pytest.mark.parametrize("workers", [1, 2])
def test_run_in_process_and_with_workers_agree(tmp_path: Path, py_engine: Engine, workers: int) -> None:
    src = _write(tmp_path / "b.jsonl", 230)
    out = tmp_path / f"out{workers}.jsonl"
    seen: list[Diagnostic] = []
    summary = run(py_engine, str(src), lang="en", workers=workers, output=out, report=seen.append, chunksize=16)
    assert (summary.lines, summary.written, summary.bad, summary.internal) == (230, 215, 15, 0)
    assert exit_code(summary) == 1
    if workers == 1:
        assert [d.path for d in seen][:2] == [f"{src}:7", f"{src}:11"]
    assert _ids(out) == _expected_ids(230)


def test_done_ids_cuts_a_torn_tail_and_refuses_foreign_output(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    assert done_ids(out) == frozenset()
    out.write_bytes(b'{"case_id":"A","x":1}\n{"x": 2, "case_id": "B"}\n{"case_id":"C",')
    assert done_ids(out) == {"A", "B"}
    assert out.read_bytes().endswith(b'"B"}\n')
    out.write_bytes(b"hello\n")
    with pytest.raises(Exception, match="not a recommendation"):
        done_ids(out)


def test_exit_codes() -> None:
    assert exit_code(Summary()) == 0
    assert exit_code(Summary(bad=1)) == 1
    assert exit_code(Summary(bad=1, internal=1)) == 3
    assert exit_code(Summary(bad=1, internal=1, interrupted=True)) == 130


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    src = _write(tmp_path / "b.jsonl", 1)
    for args in ([str(src), "--resume"], [str(EXAMPLE), "-o", str(tmp_path / "o.jsonl")],
                 [str(src), "--workers", "0"]):
        proc = subprocess.run(_cli(*args), capture_output=True, text=True, check=False, timeout=120)
        assert proc.returncode == 2, (args, proc.stderr)


def test_a_directory_batch_is_exit_1(tmp_path: Path) -> None:
    d = tmp_path / "d.jsonl"
    d.mkdir()
    proc = subprocess.run(_cli(str(d)), capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 1 and "directory" in proc.stderr


def _wait_reading_stdin(proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Until the process blocks in read(0, …) (x86-64 Linux: /proc/PID/syscall), else a generous pause."""
    syscall = Path(f"/proc/{proc.pid}/syscall")
    if os.uname().machine != "x86_64" or not syscall.exists():
        time.sleep(15)
        return
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if syscall.read_text().startswith("0 0x0 "):
                time.sleep(0.2)
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("the command never read its input")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_any_command_interrupted_exits_130(sig: signal.Signals) -> None:
    """Not only batches: `evaluate -` waiting on its input, stopped by SIGINT or SIGTERM, exits 130."""
    proc = subprocess.Popen(_cli("-"), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_reading_stdin(proc)
        assert proc.poll() is None
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == EXIT_INTERRUPTED
    finally:
        if proc.stdin:
            proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
    assert b"Traceback" not in (proc.stderr.read() if proc.stderr else b"")


def _dated_lines(n: int) -> bytes:
    """Cases whose unit measure cites another text from 2025-06-01 on (监察法 2024 amendment, cited since the
    unit refused a 监察建议): the date of evaluation changes the output. Line 3 is not a case (it is reported, the rest goes on)."""
    base: dict[str, Any] = read_case_file(EXAMPLE).model_dump(mode="json")
    out = []
    for i in range(1, n + 1):
        case = dict(base["case"], id=f"D{i}", origin="reconsideration", decided_on="2025-05-30",
                    conduct_date="2025-01-02", history={"same_issue_lost_before": True},
                    supervision_recommendation_refused=True)
        out.append(b"{not json" if i == 3 else json.dumps(dict(base, case=case), ensure_ascii=False).encode())
    return b"\n".join(out) + b"\n"


def test_as_of_travels_to_the_workers_and_into_the_output(tmp_path: Path) -> None:
    """``--as-of`` with ``--workers 2 --output FILE``: the same bytes as the one-process run to stdout,
    every line citing the text in force on that date; without ``--as-of`` none does."""
    src = tmp_path / "dated.jsonl"
    src.write_bytes(_dated_lines(40))
    here = subprocess.run(_cli(str(src), "--as-of", "2025-06-02"), capture_output=True, check=False)
    assert here.returncode == 1 and b"dated.jsonl:3: json-syntax" in here.stderr, here.stderr
    out = tmp_path / "out.jsonl"
    pooled = subprocess.run(_cli(str(src), "--as-of", "2025-06-02", "--workers", "2", "--output", str(out)),
                            capture_output=True, check=False)
    assert pooled.returncode == 1 and b"39 evaluated, 1 bad" in pooled.stderr, pooled.stderr
    assert out.read_bytes() == here.stdout and here.stdout.count(b"\n") == 39
    plain = subprocess.run(_cli(str(src)), capture_output=True, check=False)
    assert plain.stdout.count(b"\n") == 39
    dated, undated = here.stdout.decode().splitlines(), plain.stdout.decode().splitlines()
    assert all("2024年修正" in line for line in dated) and not any("2024年修正" in line for line in undated)


def test_run_as_of_with_workers_is_the_library_result(tmp_path: Path, py_engine: Engine) -> None:
    """:func:`run` (and :func:`accountrules.scale.batch.evaluate_jsonl`) with ``as_of`` and workers:
    each line is what :meth:`Engine.evaluate` gives for that date in this process."""
    import datetime as dt
    import io

    from accountrules.output.render import to_jsonl
    from accountrules.scale.batch import evaluate_jsonl, evaluate_many

    src = tmp_path / "dated.jsonl"
    src.write_bytes(_dated_lines(12))
    day = dt.date(2025, 6, 2)
    cases = [json.loads(x) for i, x in enumerate(src.read_bytes().splitlines(), 1) if i != 3]
    expected = "".join(to_jsonl(py_engine.evaluate(c, as_of=day)) + "\n" for c in cases).encode()
    out = tmp_path / "out.jsonl"
    summary = run(py_engine, str(src), workers=2, output=out, chunksize=4, as_of=day, report=lambda d: None)
    assert (summary.written, summary.bad) == (11, 1) and out.read_bytes() == expected
    sink = io.StringIO()
    problems = evaluate_jsonl(py_engine, src, workers=2, out=sink, chunksize=4, as_of=day)
    assert [p.code for p in problems] == ["json-syntax"] and sink.getvalue().encode() == expected
    recs = evaluate_many(cases, engine=py_engine, workers=2, chunksize=4, as_of=day)
    assert "".join(to_jsonl(r) + "\n" for r in recs).encode() == expected
