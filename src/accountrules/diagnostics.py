"""Source positions and diagnostics: the records every stage uses to say *where* and *what*.

A :class:`SourceSpan` is defined once and travels with every rule, condition and citation;
a :class:`Diagnostic` is one problem found in an input (a rule file or a case file), rendered
as ``FILE:LINE:COL: CODE: message`` by :func:`format_text`, or as JSON / GitHub annotations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True, order=True)
class SourceSpan:
    """A position in a source file (1-based line and column)."""

    file: str
    line: int
    column: int
    end_line: int | None = field(default=None, compare=False)
    end_column: int | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def short(self) -> str:
        """``file:line``, the form used in reasons."""
        return f"{self.file}:{self.line}"


def _tidy(message: str) -> str:
    """Join 'did you mean …?' with what follows without a stray full stop."""
    return message.replace("?. ", "? ").replace("?.", "?")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a rule file, a case file or a rulebook as a whole."""

    code: str
    message: str
    span: SourceSpan | None = None
    severity: Severity = "error"
    rule_id: str | None = None
    path: str | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order by file, line, column, then code and message (stable, deterministic)."""
        if self.span is None:
            return ("", 0, 0, self.code, self.message)
        return (self.span.file, self.span.line, self.span.column, self.code, self.message)

    def format(self) -> str:
        """Render as ``FILE:LINE:COL: CODE: message`` (or ``PATH: CODE: message`` without a span)."""
        where = str(self.span) if self.span else (self.path or "<input>")
        sev = "" if self.severity == "error" else f"{self.severity} "
        return f"{where}: {sev}{self.code}: {_tidy(self.message)}"

    def as_dict(self) -> dict[str, object]:
        """A JSON-friendly dict."""
        return {
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "severity": self.severity,
            "code": self.code,
            "message": _tidy(self.message),
            "rule": self.rule_id,
            "path": self.path,
        }


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Deduplicate and sort diagnostics by position."""
    seen: dict[tuple[object, ...], Diagnostic] = {}
    for d in diags:
        seen.setdefault((d.sort_key(), d.severity, d.path), d)
    return sorted(seen.values(), key=Diagnostic.sort_key)


def format_text(diags: Sequence[Diagnostic]) -> str:
    """One line per diagnostic."""
    return "\n".join(d.format() for d in diags)


def format_json(diags: Sequence[Diagnostic]) -> str:
    """A JSON array of diagnostics."""
    return json.dumps([d.as_dict() for d in diags], ensure_ascii=False, indent=2)


def format_github(diags: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow annotations (``::error file=…,line=…,col=…::message``)."""
    lines = []
    for d in diags:
        level = "error" if d.severity == "error" else "warning"
        if d.span:
            loc = f" file={d.span.file},line={d.span.line},col={d.span.column}"
        else:
            loc = ""
        msg = d.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        lines.append(f"::{level}{loc},title={d.code}::{msg}")
    return "\n".join(lines)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``"; did you mean 'x'?"`` suffix, or an empty string."""
    import difflib

    close = difflib.get_close_matches(str(word), sorted(set(choices)), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def allowed(choices: Iterable[str], limit: int = 30) -> str:
    """``Allowed: a, b, c`` (abbreviated past ``limit`` choices)."""
    items = sorted(set(choices))
    shown = ", ".join(items[:limit])
    more = f", … ({len(items) - limit} more)" if len(items) > limit else ""
    return f"Allowed: {shown}{more}."
