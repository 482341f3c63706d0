"""``accountrules audit``: equal-treatment breaches and drift over the decision records."""

from __future__ import annotations

import json
import sys

import click

from ..engine import Engine
from ._common import book_from, rulebook_option
from ._records import db_option, open_store


@click.command("audit")
@db_option
@rulebook_option("bundled; the current rulebook, for drift")
@click.option("--backend", type=click.Choice(("durable", "python")), default="python", show_default=True)
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
def command(db: str | None, rules: str | None, backend: str, fmt: str) -> None:
    """Records whose legally relevant facts are equal but whose outcomes differ (同案同罚), and the
    recorded decisions the current rulebook would change. Exit 1 when there is a breach."""
    store = open_store(db)  # first: says which extra to install when it is missing
    from ..records import RecordStore
    from ..records.audit import audit

    assert isinstance(store, RecordStore)
    engine = Engine(book_from(rules), backend=backend)  # type: ignore[arg-type]
    try:
        report = audit(store.records(), engine)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.format_table(), nl=False)
    if report.breaches:
        sys.exit(1)
