"""A real server: ``uvicorn --factory accountrules.server:create_app --workers 2`` on 127.0.0.1.

Concurrent clients get the CLI's bytes; oversized, malformed and wrong-typed requests get a
problem+json 4xx (a 100 MB body is refused before it is read), and the server keeps serving.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from accountrules.engine import default_backend

from .conftest import EXAMPLE, ROOT

pytest.importorskip("uvicorn")

CASES = [EXAMPLE, ROOT / "examples" / "worked-example-natural-resources.yaml"]
CLIENTS, REQUESTS = 10, 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    port = _free_port()
    log = tmp_path_factory.mktemp("srv") / "access.jsonl"
    env = dict(os.environ, ACCOUNTRULES_ACCESS_LOG=str(log), ACCOUNTRULES_BACKEND=default_backend())
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "accountrules.server:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--log-level", "warning"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _get(port, "/ready")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()  # uvicorn restarts workers that die: stop it before reading what it said
                err = proc.communicate()[1].decode()
                pytest.fail(f"the server did not start: {err[-2000:]}")
            time.sleep(0.2)
        yield port, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _post(conn: http.client.HTTPConnection, path: str, body: bytes, ctype: str = "application/json"
          ) -> tuple[int, str, bytes]:
    conn.request("POST", path, body=body, headers={"content-type": ctype})
    r = conn.getresponse()
    return r.status, r.getheader("content-type") or "", r.read()


def _example_body() -> bytes:
    from accountrules.intake import read_case_file

    return json.dumps(read_case_file(EXAMPLE).model_dump(mode="json"), ensure_ascii=False).encode()


def _cli(case: Path, lang: str) -> bytes:
    out = subprocess.run([sys.executable, "-m", "accountrules", "evaluate", str(case), "--lang", lang],
                         capture_output=True, check=True)
    return out.stdout


def test_concurrent_clients_get_the_cli_bytes(server: tuple[int, Path]) -> None:
    port, log = server
    from accountrules.intake import read_case_file

    bodies = {c: json.dumps(read_case_file(c).model_dump(mode="json"), ensure_ascii=False).encode() for c in CASES}
    expected = {(c, lang): _cli(c, lang) for c in CASES for lang in ("zh", "en")}
    errors: list[str] = []
    done = [0] * CLIENTS

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for i in range(REQUESTS):
                case, lang = CASES[(k + i) % len(CASES)], ("zh", "en")[i % 2]
                status, _, body = _post(conn, f"/evaluate?lang={lang}", bodies[case])
                if status != 200 or body != expected[(case, lang)]:
                    errors.append(f"client {k} request {i}: {status} {body[:200]!r}")
                    return
                done[k] += 1
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"client {k}: {type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert done == [REQUESTS] * CLIENTS
    for _ in range(100):  # a log line is written just after its response is sent
        entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]  # no torn lines
        if sum(1 for e in entries if e["path"] == "/evaluate" and e["status"] == 200) >= CLIENTS * REQUESTS:
            break
        time.sleep(0.05)
    assert sum(1 for e in entries if e["path"] == "/evaluate" and e["status"] == 200) >= CLIENTS * REQUESTS
    assert len({e["request_id"] for e in entries}) == len(entries)


def test_as_of_gives_the_cli_bytes(server: tuple[int, Path], tmp_path: Path) -> None:
    """The date of evaluation over HTTP is the CLI's ``--as-of``, byte for byte; a bad one is a 400."""
    from accountrules.intake import read_case_file

    data = read_case_file(EXAMPLE).model_dump(mode="json")
    data["case"].update(origin="reconsideration", decided_on="2025-05-30", conduct_date="2025-01-02",
                        history={"same_issue_lost_before": True})
    f = tmp_path / "dated.json"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "accountrules", "evaluate", str(f), "--as-of", "2025-06-02"],
                         capture_output=True, check=True).stdout
    port, _ = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        assert _post(conn, "/evaluate?as_of=2025-06-02", f.read_bytes()) == (200, "application/json", cli)
        status, ctype, body = _post(conn, "/evaluate?as_of=2025-06-31", f.read_bytes())
        assert (status, ctype) == (400, "application/problem+json")
        assert json.loads(body)["errors"][0]["path"] == "as_of"
    finally:
        conn.close()


def _raw(port: int, head: bytes, body_chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request as raw bytes while reading the answer; returns (answer, body bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sent = [0]

    def writer() -> None:
        try:
            sock.sendall(head)
            for chunk in body_chunks:
                sock.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:
            pass  # the server answered and closed: what we wanted

    t = threading.Thread(target=writer)
    t.start()
    answer = b""
    try:
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 4 + 100:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the server closed it first
        sock.close()
        t.join()
    return answer, sent[0]


def test_100_mb_body_refused_before_it_is_read(server: tuple[int, Path]) -> None:
    port, _ = server
    size = 100 * 1024 * 1024
    chunk = b" " * (1 << 20)
    head = (f"POST /evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    answer, sent = _raw(port, head, iter([chunk] * 100))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"application/problem+json" in answer and b"problems/body-too-large" in answer
    assert sent < size  # answered (and closed) before the client could send it all

    def chunked() -> Iterator[bytes]:  # no Content-Length: stopped once past the limit
        for _ in range(100):
            yield b"%x\r\n%s\r\n" % (len(chunk), chunk)

    head = b"POST /evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer, sent = _raw(port, head, chunked())
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < size


@pytest.mark.parametrize(("body", "ctype", "status"), [
    (b'{"case": {', "application/json", 400),
    (b"case: [1, 2", "application/json", 400),
    (b'{"case": {}, "case": {}, "persons": []}', "application/json", 422),
    (b"[" * 200 + b"]" * 200, "application/json", 422),
    (b'{"case": {}}', "text/plain", 415),
    (b"\xff\xfe\x00garbage", "application/json", 400),
])
def test_bad_requests_get_problems_and_the_server_keeps_serving(server: tuple[int, Path], body: bytes, ctype: str,
                                                                status: int) -> None:
    port, _ = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        got, got_type, answer = _post(conn, "/evaluate", body, ctype)
        assert (got, got_type) == (status, "application/problem+json"), answer[:300]
        problem = json.loads(answer)
        assert problem["status"] == status and problem["request_id"] and b"Traceback" not in answer
    finally:
        conn.close()
    assert _get(port, "/health")[0] == 200
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        assert _post(conn, "/evaluate", _example_body())[0] == 200
    finally:
        conn.close()


def test_accountrules_serve_command(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "served.db"
    env = dict(os.environ, ACCOUNTRULES_ACCESS_LOG="off")
    proc = subprocess.Popen([sys.executable, "-m", "accountrules", "serve", "--port", str(port), "--backend", "python",
                             "--records", str(db)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, body = _get(port, "/ready")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"accountrules serve did not start: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
                time.sleep(0.2)
        ready = json.loads(body)
        assert status == 200 and ready["backend"] == "python" and ready["records"] == "ok"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/evaluate", body=_example_body(), headers={"content-type": "application/json"})
        r = conn.getresponse()
        assert r.status == 200 and r.getheader("x-decision-id")
        r.read()
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    bad = subprocess.run([sys.executable, "-m", "accountrules", "serve", "--port", str(port)], capture_output=True,
                         text=True, env=dict(os.environ, ACCOUNTRULES_MAX_BODY_BYTES="ten"), timeout=60, check=False)
    assert bad.returncode == 1 and "ACCOUNTRULES_MAX_BODY_BYTES='ten'" in bad.stderr and "Traceback" not in bad.stderr
