"""What the commands share: failing with diagnostics, loading the rulebook a command names."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from ..diagnostics import Diagnostic, format_github, format_json, format_text
from ..rules import load_rulebook
from ..rules.validate import Rulebook

__all__ = ["FORMATS", "book_from", "fail", "rulebook_option", "with_file"]

FORMATS = ("json", "text", "markdown")

F = TypeVar("F", bound=Callable[..., Any])


def rulebook_option(default: str = "the bundled default") -> Callable[[F], F]:
    """``--rules DIR|NAME`` with its alias ``--rulebook``: a rulebook directory or a bundled name."""
    return click.option("--rules", "--rulebook", "rules", type=click.Path(file_okay=False),
                        help=f"Rulebook directory or bundled rulebook name (default: {default}).")


def fail(diags: list[Diagnostic], fmt: str = "text") -> NoReturn:
    """Print the diagnostics on stderr (text, JSON or GitHub annotations) and exit 1."""
    out = {"json": format_json, "github": format_github}.get(fmt, format_text)(diags)
    click.echo(out, err=True)
    sys.exit(1)


def book_from(rules: str | None) -> Rulebook:
    """The rulebook in directory ``rules``, or the bundled default rulebook."""
    return load_rulebook(rules) if rules else load_rulebook()


def with_file(diags: list[Diagnostic], src: str) -> list[Diagnostic]:
    """Name the case file in diagnostics that carry no position of their own."""
    out = []
    name = "<stdin>" if src == "-" else src
    for d in diags:
        if d.span is None and (d.path is None or not d.path.startswith(name)):
            msg = d.message if d.path is None or d.message.startswith(d.path) else f"{d.path}: {d.message}"
            out.append(Diagnostic(d.code, msg, None, d.severity, d.rule_id, name))
        else:
            out.append(d)
    return out
