"""``accountrules docs``: generate the rulebook reference (see :mod:`accountrules.docs`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..docs import generate, stale


@click.command("docs")
@click.option("--rules", "rules", type=click.Path(file_okay=False), help="Rulebook (default: bundled).")
@click.option("--out", "out", type=click.Path(file_okay=False), default="docs", show_default=True)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing stale files (for CI).")
def command(rules: str | None, out: str, check: bool) -> None:
    """Generate the rulebook reference (Chinese and English) into docs/."""
    from ..rules import load_rulebook

    book = load_rulebook(rules) if rules else load_rulebook()
    pages = generate(book)
    target = Path(out)
    bad = stale(pages, target)
    if check:
        if bad:
            for p in bad:
                click.echo(f"stale: {p}")
            click.echo("the generated docs are out of date; run `accountrules docs` and commit the result.")
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

