"""``accountrules validate``: check a rulebook, every problem at once."""

from __future__ import annotations

import click

from ..engine import Engine
from ..errors import RuleFileError
from ._common import book_from, fail


@click.command("validate")
@click.argument("directory", required=False, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(("text", "json", "github")), default="text", show_default=True)
@click.option("--backend", type=click.Choice(("durable", "python", "none")), default=None,
              help="Also compile for this matcher (default: durable where durable-rules imports, else python).")
def command(directory: str | None, fmt: str, backend: str | None) -> None:
    """Check a rulebook: every problem as FILE:LINE:COL: CODE: message, all at once."""
    try:
        book = book_from(directory)
        if backend != "none":
            Engine(book, backend=backend)  # type: ignore[arg-type]  # None: the default backend
    except RuleFileError as exc:
        fail(exc.diagnostics, fmt)
    click.echo(f"ok: {book.manifest.id} {book.manifest.version} — {len(book.rules)} rules, {len(book.items)} items, "
               f"{len(book.ladder)} levels, sha256 {book.sha256[:12]}")
