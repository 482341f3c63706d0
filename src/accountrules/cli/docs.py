"""``accountrules docs``: generate the rulebook reference (see :mod:`accountrules.docs`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..authoring.docs import generate, stale
from ._common import rulebook_option


@click.command("docs")
@rulebook_option()
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Where to write (default: docs/ for the default rulebook, else the rulebook's own docs/).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing stale files (for CI).")
def command(rules: str | None, out: str | None, check: bool) -> None:
    """Generate the rulebook reference (Chinese and English) into docs/ (or next to the rulebook)."""
    from ..rules import load_rulebook
    from ..rules.registry import DEFAULT_NAME

    book = load_rulebook(rules) if rules else load_rulebook()
    pages = generate(book)
    if out is None:
        out = "docs" if book.manifest.id == DEFAULT_NAME and rules in (None, DEFAULT_NAME) else str(
            Path(book.directory) / "docs")
    target = Path(out)
    bad = stale(pages, target)
    if check:
        if bad:
            for p in bad:
                click.echo(f"stale: {p}")
            again = "accountrules docs" + (f" --rules {rules}" if rules else "") + (
                f" --out {out}" if rules or out != "docs" else "")
            click.echo(f"the generated docs are out of date; run `{again}` and commit the result.")
            sys.exit(1)
        click.echo(f"ok: {len(pages)} generated files are up to date")
        return
    target.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        p = target / name
        if p in bad:
            p.write_text(text, encoding="utf-8")
            click.echo(f"wrote {p}")
    if not bad:
        click.echo(f"ok: {len(pages)} generated files were already up to date")

