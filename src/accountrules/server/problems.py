"""RFC 9457 problem details: the one shape of every error the HTTP API returns.

Every error response is ``application/problem+json``: ``type`` (a relative URI,
``problems/<code>``, that the server also serves), ``title``, ``status``, ``detail``, ``instance``
(the request path) and two extension members: ``request_id`` and ``errors``, one entry per problem
with its ``code``, the field ``path`` (``persons[0].role``), the ``message`` the CLI prints, the
``line``/``column`` in the request body when known and a short ``excerpt`` of the body there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..diagnostics import Diagnostic

MEDIA_TYPE = "application/problem+json"
EXCERPT_CHARS = 60

# type code → (status, title, what it means); served at GET /problems/{code}
PROBLEM_TYPES: dict[str, tuple[int, str, str]] = {
    "bad-request": (400, "Bad request", "The request line or a query parameter is not allowed; the errors say which."),
    "unparseable-body": (400, "Unparseable body", "The body is not well-formed JSON (or a batch line is not)."),
    "not-found": (404, "Not found", "No such resource."),
    "method-not-allowed": (405, "Method not allowed", "The resource exists but not for this HTTP method."),
    "body-too-large": (413, "Body too large", ("The body (or one batch line) is over the configured limit; it was "
                       "refused before it was read in full.")),
    "unsupported-media-type": (415, "Unsupported media type", "The Content-Type is not one this endpoint accepts."),
    "invalid-case": (422, "Invalid case", "The case file does not satisfy the contract (docs/contract.md §1)."),
    "input-too-large": (422, "Input too complex", "The case is nested too deeply or has too many nodes."),
    "rule-conflict": (422, "Rule conflict", "Two rules fired with different outcomes and no priority between them."),
    "evaluation-failed": (500, "Evaluation failed", "The matching backend failed on this case."),
    "not-ready": (503, "Not ready", "The server cannot serve yet (the records database is unreachable)."),
    "records-unavailable": (503, "Records unavailable",
                            "The decision could not be recorded, so it is not given; retry later."),
    "internal-error": (500, "Internal error", "An unexpected error; the request id identifies it in the log."),
}


class ProblemItem(BaseModel):
    """One problem in a request: where (field path, line, column), what, and the text there."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable diagnostic code (docs/errors.md).")
    message: str = Field(description="What is wrong and what is allowed, as the CLI prints it.")
    path: str | None = Field(default=None, description="Field path in the case, e.g. persons[0].role.")
    line: int | None = Field(default=None, description="1-based line in the request body (batch: the line).")
    column: int | None = Field(default=None, description="1-based column in the request body.")
    excerpt: str | None = Field(default=None, description="Up to 60 characters of the body at that place.")


class Problem(BaseModel):
    """An RFC 9457 problem details object (``application/problem+json``)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="URI reference identifying the problem type: problems/<code>.")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str | None = Field(default=None, description="The request path.")
    request_id: str | None = Field(default=None, description="The request id (X-Request-ID).")
    errors: list[ProblemItem] = Field(default_factory=list)


_PATH_PREFIX = re.compile(r"^((?:case|persons)(?:\.[A-Za-z_]\w*|\[\d+\])*): ")


def _excerpt(body: str | None, line: int | None, column: int | None) -> str | None:
    if body is None or line is None:
        return None
    lines = body.splitlines()
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1]
    start = max((column or 1) - 1, 0)
    return text[start:start + EXCERPT_CHARS]


def item_of(d: Diagnostic, body: str | None = None, *, line: int | None = None) -> ProblemItem:
    """A diagnostic as a problem item; ``body`` (the request text) gives the excerpt."""
    path = None
    if d.path and _PATH_PREFIX.match(d.path + ": "):
        path = d.path
    else:
        m = _PATH_PREFIX.match(d.message)
        if m:
            path = m.group(1)
    ln = d.span.line if d.span else line
    col = d.span.column if d.span else None
    return ProblemItem(code=d.code, message=str(d.as_dict()["message"]), path=path,
                       line=ln, column=col, excerpt=_excerpt(body, d.span.line, col) if d.span else None)


def problem(code: str, detail: str, *, instance: str | None = None, request_id: str | None = None,
            errors: Sequence[ProblemItem] = (), status: int | None = None) -> Problem:
    """Build a problem of a known type."""
    st, title, _ = PROBLEM_TYPES[code]
    return Problem(type=f"problems/{code}", title=title, status=status or st, detail=detail, instance=instance,
                   request_id=request_id, errors=list(errors))


def problem_bytes(p: Problem) -> bytes:
    """The JSON body of a problem (members in a fixed order, UTF-8)."""
    return json.dumps(p.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


def problem_for_code(code: str) -> dict[str, Any]:
    """What ``GET /problems/{code}`` returns."""
    st, title, meaning = PROBLEM_TYPES[code]
    return {"type": f"problems/{code}", "title": title, "status": st, "description": meaning}
