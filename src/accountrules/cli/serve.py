"""``accountrules serve``: the HTTP API (see :mod:`accountrules.server`)."""

from __future__ import annotations

import click

from ..server import create_app


@click.command("serve")
@click.option("--rules", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--backend", type=click.Choice(("durable", "python")), default="durable", show_default=True)
def command(rules: str | None, host: str, port: int, backend: str) -> None:
    """Serve the HTTP API (needs `pip install accountrules[server]`)."""
    try:
        import uvicorn
    except ImportError:
        raise click.ClickException("the HTTP server needs: pip install 'accountrules[server]'") from None
    uvicorn.run(create_app(rules, backend), host=host, port=port, log_level="warning")
