"""``accountrules evaluate``: case files in, recommendations out."""

from __future__ import annotations

import datetime as _dt
import json
import sys
from typing import Any

import click

from ..contract.intake import read_case_file, read_case_text
from ..diagnostics import Diagnostic
from ..engine import Engine
from ..errors import InvalidCase
from ..output import render
from ..rules.citations import parse_as_of
from ._common import FORMATS, book_from, fail, with_file


@click.command("evaluate")
@click.argument("cases", nargs=-1, required=True)
@click.option("--rules", "--rulebook", "rules", type=click.Path(file_okay=False),
              help="Rulebook directory or bundled rulebook name (default: the bundled default).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True)
@click.option("--backend", type=click.Choice(("durable", "python")), default="durable", show_default=True)
@click.option("--workers", type=int, default=1, show_default=True, help="Processes for JSON Lines batches.")
@click.option("--detail", type=click.Choice(("full", "compact")), default="full", show_default=True,
              help="compact: each reason's primary citation only, without the quoted text.")
@click.option("--trace", "trace_mode", type=click.Choice(("none", "fired", "full")), default="none",
              show_default=True, help="Print the rule trace to stderr (fired: rules that fired; full: also "
              "overridden, blocked and no-rule events).")
@click.option("--record", "record_db", default=None, metavar="DB",
              help="Record each decision in this database (a SQLite file path or a URL; see `accountrules verify`).")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Date of evaluation: the law in force on it decides what the unit is to do and, where lighter "
              "(从旧兼从轻), the sanction; default: the case's decided_on.")
def command(cases: tuple[str, ...], rules: str | None, fmt: str, lang: str, backend: str, workers: int,
            detail: str, trace_mode: str, record_db: str | None, as_of: str | None) -> None:
    """Evaluate case files (YAML/JSON; `-` = stdin; *.jsonl = a batch, one case per line)."""
    day = _day(as_of)
    engine = Engine(book_from(rules), backend=backend)  # type: ignore[arg-type]
    if day is not None and record_db is not None:
        raise click.UsageError("--as-of cannot be combined with --record yet (a recorded decision is verified "
                               "without it).")
    store = _store(record_db)
    problems: list[Diagnostic] = []
    outputs: list[str] = []
    for src in cases:
        if src.endswith(".jsonl") and store is not None:
            problems += _recorded_batch(engine, store, src, lang, detail)
            continue
        if src.endswith(".jsonl"):
            from ..scale.batch import evaluate_jsonl

            if day is not None:
                raise click.UsageError("--as-of is not available for JSON Lines batches yet; evaluate the files one "
                                       "by one.")
            problems += evaluate_jsonl(engine, src, lang=lang, workers=workers, out=sys.stdout)
            continue
        try:
            case = read_case_text(sys.stdin.buffer.read(), "<stdin>") if src == "-" else read_case_file(src)
            if trace_mode == "none":
                rec = engine.evaluate(case, lang=lang, detail=detail, as_of=day)
            else:
                from ..explanation.trace import format_trace

                rec, trace = engine.evaluate_traced(case, lang=lang, detail=detail, as_of=day)
                click.echo(format_trace(trace, engine.rulebook, full=trace_mode == "full"), err=True)
        except InvalidCase as exc:
            problems += with_file(exc.diagnostics, src)
            continue
        if store is not None:
            store.record(case, render.to_json(rec), engine, lang=lang, detail=detail)
        if fmt == "json":
            outputs.append(render.to_json(rec))
        elif fmt == "text":
            outputs.append(render.to_text(rec, lang))
        else:
            outputs.append(render.to_markdown(rec, lang))
    if fmt == "json" and len(outputs) > 1:
        recs = [json.loads(o) for o in outputs]
        click.echo(json.dumps(recs, ensure_ascii=False, indent=2))
    else:
        for o in outputs:
            click.echo(o, nl=False)
    if problems:
        fail(problems)


def _day(as_of: str | None) -> _dt.date | None:
    """The ``--as-of`` date, or a usage error that says what was given."""
    if as_of is None:
        return None
    try:
        return parse_as_of(as_of)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None


def _store(record_db: str | None) -> Any:
    if record_db is None:
        return None
    try:
        from ..records import RecordStore
    except ImportError:
        raise click.ClickException("decision records need: pip install 'accountrules[records]'") from None
    from ._records import records_key

    store = RecordStore(record_db, key=records_key())
    store.create_schema()
    return store


def _recorded_batch(engine: Engine, store: Any, src: str, lang: str, detail: str) -> list[Diagnostic]:
    """A JSON Lines batch, one case at a time, each decision recorded (no worker processes)."""
    from ..contract.intake import iter_jsonl

    problems: list[Diagnostic] = []
    for _n, item in iter_jsonl(src):
        if isinstance(item, InvalidCase):
            problems += item.diagnostics
            continue
        try:
            rec = engine.evaluate(item, lang=lang, detail=detail)
        except InvalidCase as exc:
            problems += with_file(exc.diagnostics, f"{src}:{_n}")
            continue
        click.echo(render.to_jsonl(rec))
        store.record(item, render.to_json(rec), engine, lang=lang, detail=detail)
    return problems
