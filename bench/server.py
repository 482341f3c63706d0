#!/usr/bin/env python
"""The HTTP server under concurrent clients, against the in-process engine in the same run (issue #16).

    python bench/server.py                       # 1 and 10 clients, about 30 s on 2 shared cores
    python bench/server.py --clients 1,10,20 --requests 300 --workers 2 --json server.json

What it does, in one run:

1. **Cases**: ``--cases`` synthetic valid cases (``bench/run.py``'s generator, seed fixed) as JSON
   request bodies, and 300 others to warm up with.
2. **In-process baseline**: one thread, the same work the server does per request minus HTTP —
   :func:`accountrules.intake.read_case_text` on the body → ``Engine.evaluate`` → ``render.to_json``
   — over the same bodies, after warming the engine on the other 300 (as a server is after its
   first requests). Recommendations/s and per-call p50/p99.
3. **Server**: a real ``accountrules serve`` process on 127.0.0.1 (a free port, ``--workers`` worker
   processes, the access log written to a file as in production), warmed on the other 300 cases;
   then for each ``--clients`` count N, N client threads, each with its own keep-alive connection,
   send ``--requests`` requests each (``POST /evaluate``, round robin over the bodies). Requests/s
   (wall clock), latency p50/p99 per request as the client sees it, the server's CPU seconds (its
   processes' user + system time from ``/proc``), and every answer checked: status 200 and the
   bytes of the in-process ``to_json`` for that body.

The clients run in this process (Python threads) on the same machine as the server, so they take
CPU from it; requests per server CPU-second is the figure that does not depend on that or on the
machine's other load. It prints tables and never asserts a speed; exit 1 only if an answer is wrong.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from accountrules.intake import read_case_text
from accountrules.render import to_json
from run import generate_cases, machine, table

from accountrules import Engine, load_rulebook
from accountrules.engine import default_backend

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(xs: list[float], q: float) -> float:
    ys = sorted(xs)
    return ys[min(len(ys) - 1, int(q * len(ys)))]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its descendants (the uvicorn workers), from /proc."""
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = (task / "children").read_text().split()
                todo += [int(k) for k in kids]
        except (OSError, IndexError, ValueError):
            continue
    return total


def bodies(n: int, seed: int) -> list[bytes]:
    """``n`` valid case files as JSON request bodies."""
    book = load_rulebook()
    return [json.dumps(c, ensure_ascii=False).encode("utf-8") for c in generate_cases(book, n, seed)]


def in_process(engine: Engine, work: list[bytes], warm: list[bytes], as_of: str | None
               ) -> tuple[dict[str, Any], list[str]]:
    """The baseline: read_case_text → Engine.evaluate → to_json, one thread; returns figures and outputs."""
    for b in warm:
        to_json(engine.evaluate(read_case_text(b, "<warm>"), as_of=as_of))
    lat: list[float] = []
    outs: list[str] = []
    cpu0, t0 = time.process_time(), time.perf_counter()
    for b in work:
        s = time.perf_counter()
        outs.append(to_json(engine.evaluate(read_case_text(b, "<request>"), as_of=as_of)))
        lat.append(time.perf_counter() - s)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"requests": len(work), "wall_s": wall, "rate": len(work) / wall, "cpu_s": cpu,
            "rate_per_cpu_s": len(work) / cpu, "p50_ms": _pct(lat, 0.5) * 1000,
            "p99_ms": _pct(lat, 0.99) * 1000}, outs


class Server:
    """``accountrules serve`` as a child process."""

    def __init__(self, backend: str, workers: int, log: Path) -> None:
        self.port = _free_port()
        env = dict(os.environ, ACCOUNTRULES_ACCESS_LOG=str(log), PYTHONPATH=str(ROOT / "src"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "accountrules", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--backend", backend, "--workers", str(workers)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while True:
            try:
                if self.request("GET", "/ready")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("the server did not start: " + (self.proc.stderr.read().decode()[-2000:]
                                                                 if self.proc.stderr else ""))
            time.sleep(0.2)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers={"content-type": "application/json"} if body else {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def clients(server: Server, n: int, per_client: int, work: list[bytes], expected: list[str], query: str
            ) -> dict[str, Any]:
    """``n`` threads, each with a keep-alive connection, ``per_client`` requests each."""
    lat: list[list[float]] = [[] for _ in range(n)]
    wrong: list[str] = []
    start = threading.Barrier(n + 1)

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        start.wait()
        for i in range(per_client):
            j = (k * per_client + i) % len(work)
            s = time.perf_counter()
            conn.request("POST", "/evaluate" + query, body=work[j], headers={"content-type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            lat[k].append(time.perf_counter() - s)
            if r.status != 200 or data.decode("utf-8") != expected[j]:
                wrong.append(f"client {k} request {i}: status {r.status}, {data[:120]!r}")
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    cpu0 = _cpu_seconds(server.proc.pid)
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu = _cpu_seconds(server.proc.pid) - cpu0
    every = [x for xs in lat for x in xs]
    return {"clients": n, "requests": len(every), "wrong": len(wrong), "wrong_examples": wrong[:3], "wall_s": wall,
            "rate": len(every) / wall, "server_cpu_s": cpu, "rate_per_cpu_s": len(every) / cpu if cpu else None,
            "p50_ms": _pct(every, 0.5) * 1000, "p99_ms": _pct(every, 0.99) * 1000,
            "mean_ms": statistics.fmean(every) * 1000}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", default="1,10", help="comma-separated client counts (default 1,10)")
    ap.add_argument("--requests", type=int, default=200, help="requests per client (default 200)")
    ap.add_argument("--cases", type=int, default=600, help="distinct request bodies (default 600)")
    ap.add_argument("--backend", choices=("durable", "python"), default=default_backend())
    ap.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    ap.add_argument("--as-of", default=None, help="send ?as_of=DATE (and evaluate the baseline with it)")
    ap.add_argument("--json", type=Path, default=None, help="write every figure as JSON too")
    a = ap.parse_args(argv)
    counts = [int(x) for x in a.clients.split(",")]
    work, warm = bodies(a.cases, seed=16), bodies(300, seed=1016)
    engine = Engine(load_rulebook(), backend=a.backend)
    base, expected = in_process(engine, work, warm, a.as_of)
    query = f"?as_of={a.as_of}" if a.as_of else ""
    with tempfile.TemporaryDirectory(prefix="accountrules-bench-server-") as tmp:
        log = Path(tmp) / "access.jsonl"
        t_start = time.perf_counter()
        server = Server(a.backend, a.workers, log)
        started = time.perf_counter() - t_start
        try:
            for b in warm:
                server.request("POST", "/evaluate" + query, b)
            runs = [clients(server, n, a.requests, work, expected, query) for n in counts]
        finally:
            server.stop()
        log_lines = sum(1 for _ in log.open(encoding="utf-8")) if log.exists() else 0
    res = {"machine": machine(), "backend": a.backend, "workers": a.workers, "as_of": a.as_of,
           "server_ready_s": started, "baseline": base, "server": runs, "access_log_lines": log_lines}
    m = res["machine"]
    print(f"accountrules server benchmark — {m['cpu']}, {m['nproc']} CPUs, Python {m['python']}, "
          f"backend {a.backend}, {a.workers} worker(s); load average {m['load_avg']}")
    print(f"server ready in {started:.1f} s; {len(work)} distinct cases; access log: {log_lines} lines\n")
    rows = [["in process (1 thread)", str(base["requests"]), "0", f"{base['rate']:,.0f}",
             f"{base['rate_per_cpu_s']:,.0f}", f"{base['p50_ms']:.2f}", f"{base['p99_ms']:.2f}", "1.00×"]]
    for r in runs:
        rows.append([f"HTTP, {r['clients']} client(s)", str(r["requests"]), str(r["wrong"]), f"{r['rate']:,.0f}",
                     f"{r['rate_per_cpu_s']:,.0f}" if r["rate_per_cpu_s"] else "-", f"{r['p50_ms']:.2f}",
                     f"{r['p99_ms']:.2f}", f"{r['rate'] / base['rate']:.2f}×"])
    print(table(["", "requests", "wrong", "per s (wall)", "per CPU-s", "p50 ms", "p99 ms", "vs in process"], rows))
    if a.json:
        a.json.write_text(json.dumps(res, indent=2, ensure_ascii=False), encoding="utf-8")
    bad = [r for r in runs if r["wrong"]]
    for r in bad:
        print(f"WRONG answers with {r['clients']} clients: {r['wrong_examples']}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
