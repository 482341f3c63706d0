"""``accountrules verify``: recompute a decision record under its own rulebook and compare."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ._records import db_option, open_store, records_key


@click.command("verify")
@click.argument("targets", nargs=-1, required=True, metavar="RECORD.json|DECISION-ID…")
@db_option
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
def command(targets: tuple[str, ...], db: str | None, fmt: str) -> None:
    """Recompute records (a decision id in the database, or a record exported as JSON) under their
    own stored rulebook; print match, or every difference. Exit 1 when anything differs."""
    store = open_store(db)  # first: says which extra to install when it is missing
    from ..records import DecisionRecord, RecordStore
    from ..records.verify import Verifier

    assert isinstance(store, RecordStore)
    verifier = Verifier(store, key=records_key())
    results = []
    try:
        for target in targets:
            if target.endswith(".json") and Path(target).is_file():
                try:
                    rec = DecisionRecord(**json.loads(Path(target).read_text(encoding="utf-8")))
                except (ValueError, TypeError) as exc:
                    raise click.ClickException(f"{target}: not a decision record ({exc}).") from None
            else:
                found = store.get(target)
                if found is None:
                    raise click.ClickException(f"no decision record '{target}' in the database.")
                rec = found
            results.append(verifier.verify(rec))
    finally:
        verifier.close()
        store.close()
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(r.format() for r in results))
    if not all(r.ok for r in results):
        sys.exit(1)
