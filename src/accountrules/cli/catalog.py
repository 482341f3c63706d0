"""``accountrules catalog``: the rulebook's definitions, items, ladder and circumstances."""

from __future__ import annotations

import click

from ..authoring.catalog import catalog_json, catalog_markdown, facts_markdown
from ._common import book_from, rulebook_option


@click.command("catalog")
@rulebook_option()
@click.option("--format", "fmt", type=click.Choice(("json", "markdown")), default="json", show_default=True)
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True)
@click.option("--facts", is_flag=True, help="List the fact paths conditions may test instead.")
def command(rules: str | None, fmt: str, lang: str, facts: bool) -> None:
    """The rulebook's definitions, items, ladder and circumstances with their citations."""
    if facts:
        click.echo(facts_markdown(), nl=False)
        return
    book = book_from(rules)
    click.echo(catalog_json(book, lang) if fmt == "json" else catalog_markdown(book, lang), nl=False)
