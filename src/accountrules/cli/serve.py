"""``accountrules serve``: the HTTP API under uvicorn (see :mod:`accountrules.server`)."""

from __future__ import annotations

import os

import click

from ._common import rulebook_option


@click.command("serve")
@rulebook_option("ACCOUNTRULES_RULES, else bundled")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--backend", type=click.Choice(("durable", "python")), default=None,
              help="Matcher (ACCOUNTRULES_BACKEND; default durable where durable-rules imports, else python).")
@click.option("--records", "records_db", default=None, help="Record every decision in this database: a SQLite "
              "file path or a URL (ACCOUNTRULES_RECORDS_DB).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
def command(rules: str | None, host: str, port: int, backend: str | None, records_db: str | None,
            workers: int) -> None:
    """Serve the HTTP API (needs `pip install accountrules[server]`); settings: docs/contract.md §5."""
    try:
        import uvicorn

        from ..server import Settings
    except ImportError:
        raise click.ClickException("the HTTP server needs: pip install 'accountrules[server]'") from None
    overrides = {"rules": rules, "backend": backend, "records_db": records_db}
    Settings.from_env(None, rules=rules, backend=backend, records_db=records_db)  # a bad setting is refused here, once, with a clear message
    for name, value in overrides.items():  # workers are separate processes: they read the environment
        if value is not None:
            os.environ[f"ACCOUNTRULES_{name.upper()}"] = value
    uvicorn.run("accountrules.server:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)
