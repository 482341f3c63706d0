"""``accountrules evaluate``: case files in, recommendations out.

Exit codes: 0 ok · 1 bad input · 2 usage · 3 internal error · 130 interrupted (SIGINT/SIGTERM).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from ..contract.intake import locate, read_case_file, read_case_text
from ..contract.models import Case, Recommendation
from ..diagnostics import Diagnostic, format_text
from ..engine import Engine, default_backend
from ..errors import InvalidCase
from ..output import render
from ..rules.citations import parse_as_of
from ..rules.validate import Rulebook
from ._common import FORMATS, book_from, fail, rulebook_option, with_file


@click.command("evaluate")
@click.argument("cases", nargs=-1, required=True)
@rulebook_option()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True)
@click.option("--backend", type=click.Choice(("durable", "python")), default=None,
              help="Matcher (default: durable where durable-rules imports, else python).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes for JSON Lines batches.")
@click.option("--detail", type=click.Choice(("full", "compact")), default="full", show_default=True,
              help="compact: each reason's primary citation only, without the quoted text.")
@click.option("--trace", "trace_mode", type=click.Choice(("none", "fired", "full")), default="none",
              show_default=True, help="Print the rule trace to stderr (fired: rules that fired; full: also "
              "overridden, blocked and no-rule events).")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON Lines batches: write the recommendations to FILE (one chunk at a time, synced).")
@click.option("--resume", is_flag=True,
              help="With --output: keep what FILE holds and skip the cases whose ids are already in it.")
@click.option("--record", "record_db", default=None, metavar="DB",
              help="Record each decision in this database (a SQLite file path or a URL; see `accountrules verify`).")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Date of evaluation: the law in force on it decides what the unit is to do and, where lighter "
              "(从旧兼从轻), the sanction; default: the case's decided_on. Recorded with --record. A JSON Lines "
              "batch is evaluated as of it in every worker process; the output is the same with any --workers.")
@click.option("--stats", "stats_file", default=None, metavar="FILE", type=click.Path(dir_okay=False),
              help="The JSON of `accountrules stats --format json`: a case's unknown agency or county loss rate is "
              "taken from it (reported on stderr).")
def command(cases: tuple[str, ...], rules: str | None, fmt: str, lang: str, backend: str | None, workers: int,
            detail: str, trace_mode: str, output: Path | None, resume: bool, record_db: str | None,
            as_of: str | None, stats_file: str | None) -> None:
    """Evaluate case files (YAML/JSON; `-` = stdin; *.jsonl = a batch, one case per line)."""
    day = _day(as_of)
    batches = [src for src in cases if src.endswith(".jsonl")]
    if resume and output is None:
        raise click.UsageError("--resume needs --output FILE.")
    if output is not None and len(batches) != len(cases):
        raise click.UsageError("--output is for JSON Lines batches (*.jsonl) only.")
    read, problems = _read_all(cases, batches)
    if not read:
        fail(problems)
    tables = _stats_tables(stats_file)
    engine = Engine(book_from(rules), backend=backend or default_backend())  # type: ignore[arg-type]
    store = _store(record_db)
    outputs: list[str] = []
    code = 0
    for n, (src, case) in enumerate(read):
        if case is None and store is not None:
            problems += _inline_batch(engine, store, src, lang, detail, day)
            continue
        if case is None:
            code = max(code, _batch(engine, src, lang, detail, workers, output, resume, n > 0, day))
            continue
        try:
            case = _prepare(engine, case, src, tables, lang)
            rec = _evaluate(engine, case, lang, detail, trace_mode, day)
        except InvalidCase as exc:
            problems += with_file(exc.diagnostics if src == "-" else locate(exc.diagnostics, src), src)
            continue
        if store is not None:
            store.record(case, render.to_json(rec), engine, lang=lang, detail=detail, as_of=day)
        outputs.append(_render(rec, fmt, lang, engine.rulebook))
    if fmt == "json" and len(outputs) > 1:
        recs = [json.loads(o) for o in outputs]
        click.echo(json.dumps(recs, ensure_ascii=False, indent=2))
    else:
        for o in outputs:
            click.echo(o, nl=False)
    if problems:
        click.echo(format_text(problems), err=True)
        code = max(code, 1)
    if code:
        sys.exit(code)


def _read_all(cases: tuple[str, ...], batches: list[str]) -> tuple[list[tuple[str, Case | None]], list[Diagnostic]]:
    """Read every case file first (batches are read later, line by line): bad input is refused
    before the rulebook is compiled."""
    problems: list[Diagnostic] = []
    read: list[tuple[str, Case | None]] = []
    for src in cases:
        if src in batches:
            read.append((src, None))
            continue
        try:
            read.append((src, read_case_text(sys.stdin.buffer.read(), "<stdin>") if src == "-" else read_case_file(src)))
        except InvalidCase as exc:
            problems += with_file(exc.diagnostics, src)
    return read, problems


def _stats_tables(stats_file: str | None) -> dict[str, Any] | None:
    """The tables of ``--stats FILE`` (exit 1 with a message when it cannot be read)."""
    if stats_file is None:
        return None
    from ..stats.history import load_stats

    try:
        return load_stats(stats_file)
    except InvalidCase as exc:
        fail(exc.diagnostics)


def _prepare(engine: Engine, case: Case, src: str, tables: dict[str, Any] | None, lang: str) -> Case:
    """The case with its unknown loss rates taken from the statistics; what was filled, and the codes of
    another rulebook this one maps (``code_maps``), reported on stderr."""
    if tables is not None:
        from ..stats.history import fill_history

        case, filled = fill_history(case, tables)
        for line in filled:
            click.echo(f"{src}: from statistics: {line}", err=True)
    engine.check_case(case)  # a refused case prints no "mapped" line: only why it was refused
    for line in engine.map_codes(case)[1].lines(lang):
        click.echo(f"{src}: mapped: {line}" if lang == "en" else f"{src}：已映射：{line}", err=True)
    return case


def _render(rec: Recommendation, fmt: str, lang: str, book: Rulebook) -> str:
    """The recommendation in ``fmt``; text and Markdown print the labels of ``book`` (the rulebook
    that produced it)."""
    if fmt == "json":
        return render.to_json(rec)
    if fmt == "text":
        return render.to_text(rec, lang, book)
    return render.to_markdown(rec, lang, book)


def _evaluate(engine: Engine, case: Case, lang: str, detail: str, trace_mode: str, as_of: _dt.date | None
              ) -> Recommendation:
    if trace_mode == "none":
        return engine.evaluate(case, lang=lang, detail=detail, as_of=as_of)
    from ..explanation.trace import format_trace

    rec, trace = engine.evaluate_traced(case, lang=lang, detail=detail, as_of=as_of)
    click.echo(format_trace(trace, engine.rulebook, full=trace_mode == "full"), err=True)
    return rec


def _batch(engine: Engine, src: str, lang: str, detail: str, workers: int, output: Path | None,
           resume: bool, append: bool, day: _dt.date | None) -> int:
    """One JSON Lines batch (``accountrules.scale.batchfile``), as of ``day`` if given; returns its exit
    code (130 stops the command)."""
    from ..scale.batchfile import EXIT_INTERRUPTED, exit_code, run

    summary = run(engine, src, lang=lang, detail=detail, workers=workers, output=output, resume=resume,
                  append=append, as_of=day)
    click.echo(summary.text(src), err=True)
    code = exit_code(summary)
    if code == EXIT_INTERRUPTED:
        sys.exit(code)
    return code


def _day(as_of: str | None) -> _dt.date | None:
    """The ``--as-of`` date (exactly ``YYYY-MM-DD``, as over HTTP), or a usage error that says what was given."""
    if as_of is None:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", as_of):
            raise ValueError(f"as_of must be a date YYYY-MM-DD, got {as_of[:40]!r}")
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


def _inline_batch(engine: Engine, store: Any, src: str, lang: str, detail: str, day: _dt.date | None
                  ) -> list[Diagnostic]:
    """A JSON Lines batch with ``--record``, in this process, one case at a time (no worker processes):
    each decision is recorded (evaluated as of ``day`` if given)."""
    from ..contract.intake import iter_jsonl

    problems: list[Diagnostic] = []
    for _n, item in iter_jsonl(src):
        if isinstance(item, InvalidCase):
            problems += item.diagnostics
            continue
        try:
            rec = engine.evaluate(item, lang=lang, detail=detail, as_of=day)
        except InvalidCase as exc:
            problems += with_file(exc.diagnostics, f"{src}:{_n}")
            continue
        click.echo(render.to_jsonl(rec))
        if store is not None:
            store.record(item, render.to_json(rec), engine, lang=lang, detail=detail, as_of=day)
    return problems
