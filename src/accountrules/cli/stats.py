"""``accountrules stats``: statistics over a corpus of cases, with threshold flags and charts."""

from __future__ import annotations

import click

from ..diagnostics import Diagnostic
from ..engine import Engine, default_backend
from ..errors import InvalidCase
from ._common import book_from, fail, rulebook_option


@click.command("stats")
@click.argument("corpus", nargs=-1)
@click.option("--db", "db", multiple=True, metavar="URL|PATH",
              help="A decision-record database as (part of) the corpus: a SQLite file or a postgresql:// URL "
                   "(what evaluate --record and serve --records write). Repeatable.")
@rulebook_option()
@click.option("--caseload", type=click.Path(dir_okay=False),
              help="CSV of cases handled per agency and year, optionally per field (the denominators of the rates; docs/statistics.md).")
@click.option("--format", "fmt", type=click.Choice(("text", "csv", "json")), default="text", show_default=True)
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True)
@click.option("--charts", "charts", type=click.Path(file_okay=False),
              help="Write trend/rates/items charts (PNG and SVG) into this directory.")
@click.option("--backend", type=click.Choice(("durable", "python")), default=None,
              help="Matcher (default: durable where durable-rules imports, else python).")
def command(corpus: tuple[str, ...], db: tuple[str, ...], rules: str | None, caseload: str | None, fmt: str, lang: str,
            charts: str | None, backend: str | None) -> None:
    """Loss, correction and appearance rates per agency, region, level, field and year, with flags.

    CORPUS: case files, directories of them, JSON Lines of cases or of {"case", "recommendation"} pairs,
    sqlite:///FILE or postgresql:// URLs of decision-record databases. Give CORPUS, --db or both.
    """
    if not corpus and not db:
        raise click.UsageError("give a CORPUS (case files, a directory, JSON Lines) or --db URL|PATH (decision records).")
    from ..stats import compute_corpus, read_caseload
    from ..stats.output import to_csv, to_json, to_text

    engine = Engine(book_from(rules), backend=backend or default_backend())  # type: ignore[arg-type]
    try:
        load = read_caseload(caseload) if caseload else None
        report = compute_corpus(engine, list(corpus), load, lang=lang, db=db)
    except InvalidCase as exc:
        fail(exc.diagnostics)
    if charts:
        from ..stats.charts import ChartsUnavailable, write_charts

        try:
            for path in write_charts(report, engine.rulebook, charts):
                click.echo(f"wrote {path}", err=True)
        except ChartsUnavailable as exc:
            fail([Diagnostic("missing-dependency", str(exc), path=charts)])
    text = {"text": lambda: to_text(report, engine.rulebook), "csv": lambda: to_csv(report),
            "json": lambda: to_json(report)}[fmt]()
    click.echo(text, nl=False)
