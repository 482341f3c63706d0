"""``accountrules lint``: what validation cannot see (see :mod:`accountrules.lint`)."""

from __future__ import annotations

import sys

import click

from ..diagnostics import sort_diagnostics
from ..lint import lint, load_for_lint, render


@click.command("lint")
@click.argument("directory", required=False, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(("text", "json", "github")), default="text", show_default=True)
def command(directory: str | None, fmt: str) -> None:
    """Find rules that never fire, conflicts, gaps and unreachable levels (errors exit 1)."""
    book, problems = load_for_lint(directory)
    diags = sort_diagnostics(problems + (lint(book) if book is not None else []))
    click.echo(render(diags, fmt))
    if any(d.severity == "error" for d in diags):
        sys.exit(1)

