"""ASGI middleware: request ids and JSON access logs, and body limits enforced while reading.

Both are plain ASGI (no buffering of the body or of the response): the body limit refuses a
request whose ``Content-Length`` is over the limit before reading any of it, and stops a chunked
body as soon as it passes the limit.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .problems import MEDIA_TYPE, Problem, problem, problem_bytes

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLarge(Exception):
    """Raised by the limited ``receive`` when the body passes its limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is over the limit of {limit} bytes")
        self.limit = limit


def state(scope: Scope) -> dict[str, Any]:
    """The per-request state dict (shared with Starlette's ``request.state``)."""
    st: dict[str, Any] = scope.setdefault("state", {})
    return st


async def send_problem(send: Send, p: Problem, extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Send a whole problem response."""
    body = problem_bytes(p)
    headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")] + (extra_headers or [])
    await send({"type": "http.response.start", "status": p.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AccessLog:
    """Writes one JSON line per request: time, request id, method, path, status, bytes, duration."""

    def __init__(self, destination: str) -> None:
        self.fd: int | None = None
        self.stream = None
        if destination == "off":
            return
        if destination in ("stderr", "stdout", "-"):
            self.stream = sys.stdout if destination == "stdout" else sys.stderr
        else:
            # O_APPEND and one write per line: lines from several worker processes never interleave
            self.fd = os.open(destination, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)

    def write(self, entry: dict[str, Any]) -> None:
        """Write one entry."""
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        if self.fd is not None:
            os.write(self.fd, line.encode("utf-8"))
        elif self.stream is not None:
            self.stream.write(line)
            self.stream.flush()


class RequestContext:
    """Outermost middleware: request id (``X-Request-ID`` honoured when well-formed, else a new
    one), the access log line, and a problem+json 500 for anything unhandled (no traceback)."""

    def __init__(self, app: ASGIApp, log: AccessLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        rid = given if given is not None and _REQUEST_ID.match(given) else uuid.uuid4().hex
        st = state(scope)
        st["request_id"] = rid
        started = time.perf_counter()
        info: dict[str, Any] = {"status": None, "bytes": 0}

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                info["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                if st.get("decision_ids"):
                    headers.append((b"x-decision-id", ",".join(st["decision_ids"][:1]).encode()))
                message["headers"] = headers
            elif message["type"] == "http.response.body":
                info["bytes"] += len(message.get("body", b""))
            await send(message)

        error = None
        try:
            await self.app(scope, receive, send_wrapped)
        except Exception as exc:  # noqa: BLE001 - last line of defence: a problem, never a traceback
            error = f"{type(exc).__name__}: {exc}"
            if info["status"] is None:
                await send_problem(send_wrapped, problem("internal-error", "An unexpected error occurred; "
                                                         "quote the request id when reporting it.",
                                                         instance=scope.get("path"), request_id=rid))
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "request_id": rid,
            "method": scope.get("method"),
            "path": scope.get("path"),
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": info["status"],
            "bytes": info["bytes"],
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "client": (scope.get("client") or [None])[0],
        }
        if st.get("decision_ids"):
            entry["decision_ids"] = st["decision_ids"]
        if error:
            entry["error"] = error
        self.log.write(entry)


class BodyLimit:
    """Refuse bodies over the limit: at once from ``Content-Length``, or while they stream in."""

    def __init__(self, app: ASGIApp, default: int, per_path: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.per_path = per_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        declared = _header(scope, b"content-length")
        rid = state(scope).get("request_id")
        if declared is not None:
            if not declared.isdigit():
                await send_problem(send, problem("bad-request", f"Content-Length '{declared[:40]}' is not a "
                                                 "number.", instance=scope["path"], request_id=rid))
                return
            if int(declared) > limit:
                await send_problem(send, problem("body-too-large", f"the body is {int(declared)} bytes; the limit "
                                                 f"is {limit} bytes.", instance=scope["path"], request_id=rid))
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return str(v.decode("latin-1"))
    return None
