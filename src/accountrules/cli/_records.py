"""What the record commands share: opening the records database a command names."""

from __future__ import annotations

import os

import click

__all__ = ["db_option", "open_store", "records_key"]

db_option = click.option("--db", "db", default=None, metavar="URL|PATH",
                         help="Records database: a SQLite file path or a URL (default: ACCOUNTRULES_RECORDS_DB).")


def records_key() -> bytes | None:
    """The sealing key from ACCOUNTRULES_RECORDS_KEY, if set."""
    key = os.environ.get("ACCOUNTRULES_RECORDS_KEY")
    return key.encode() if key else None


def open_store(db: str | None) -> object:
    """A :class:`~accountrules.records.RecordStore` for ``db`` (or the environment's database)."""
    target = db or os.environ.get("ACCOUNTRULES_RECORDS_DB")
    if not target:
        raise click.UsageError("no records database: give --db URL|PATH or set ACCOUNTRULES_RECORDS_DB.")
    try:
        from ..records import RecordStore
    except ImportError:
        raise click.ClickException("decision records need: pip install 'accountrules[records]'") from None
    if "://" not in target and not os.path.exists(target):
        raise click.UsageError(f"no records database at '{target}'.")
    from sqlalchemy.exc import SQLAlchemyError

    store = RecordStore(target, key=records_key())
    shown = target if "://" not in target else store.engine.url.render_as_string(hide_password=True)
    try:
        found = store.has_schema()
    except SQLAlchemyError as exc:
        store.close()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        raise click.ClickException(f"cannot read the records database '{shown}': {reason}") from None
    if not found:
        store.close()
        raise click.ClickException(f"'{shown}' holds no decision records (no 'decisions' table).")
    return store
