"""The ``accountrules`` command line (click). Exit codes: 0 ok · 1 bad input or failed checks ·
2 usage error. No traceback ever reaches the user."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from . import __version__
from .diagnostics import Diagnostic, format_github, format_json, format_text
from .errors import AccountRulesError, InvalidCase, RuleFileError

FORMATS = ("json", "text", "markdown")


def _fail(diags: list[Diagnostic], fmt: str = "text") -> None:
    out = {"json": format_json, "github": format_github}.get(fmt, format_text)(diags)
    click.echo(out, err=True)
    sys.exit(1)


def _book(rules: str | None) -> Any:
    from .rules import load_rulebook

    return load_rulebook(rules) if rules else load_rulebook()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="accountrules")
def cli() -> None:
    """Reasoned, cited recommendations for accountability in administrative wrongful cases."""


@cli.command()
@click.argument("cases", nargs=-1, required=True)
@click.option("--rules", "rules", type=click.Path(file_okay=False), help="Rulebook directory (default: bundled).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True)
@click.option("--backend", type=click.Choice(("durable", "python")), default="durable", show_default=True)
@click.option("--workers", type=int, default=1, show_default=True, help="Processes for JSON Lines batches.")
@click.option("--detail", type=click.Choice(("full", "compact")), default="full", show_default=True,
              help="compact: each reason's primary citation only, without the quoted text.")
@click.option("--trace", "trace_mode", type=click.Choice(("none", "fired", "full")), default="none",
              show_default=True, help="Print the rule trace to stderr (fired: rules that fired; full: also "
              "overridden, blocked and no-rule events).")
def evaluate(cases: tuple[str, ...], rules: str | None, fmt: str, lang: str, backend: str, workers: int,
             detail: str, trace_mode: str) -> None:
    """Evaluate case files (YAML/JSON; `-` = stdin; *.jsonl = a batch, one case per line)."""
    from . import render
    from .engine import Engine
    from .intake import read_case_file, read_case_text

    engine = Engine(_book(rules), backend=backend)  # type: ignore[arg-type]
    problems: list[Diagnostic] = []
    outputs: list[str] = []
    for src in cases:
        if src.endswith(".jsonl"):
            from .batch import evaluate_jsonl

            problems += evaluate_jsonl(engine, src, lang=lang, workers=workers, out=sys.stdout)
            continue
        try:
            case = read_case_text(sys.stdin.buffer.read(), "<stdin>") if src == "-" else read_case_file(src)
            if trace_mode == "none":
                rec = engine.evaluate(case, lang=lang, detail=detail)
            else:
                from .decide import decide
                from .trace import Trace, format_trace

                trace = Trace()
                rec = decide(engine, case, lang, trace, detail)
                click.echo(format_trace(trace, engine.rulebook, full=trace_mode == "full"), err=True)
        except InvalidCase as exc:
            problems += _with_file(exc.diagnostics, src)
            continue
        if fmt == "json":
            outputs.append(render.to_json(rec))
        elif fmt == "text":
            outputs.append(render.to_text(rec, lang, engine.rulebook))
        else:
            outputs.append(render.to_markdown(rec, lang, engine.rulebook))
    if fmt == "json" and len(outputs) > 1:
        recs = [json.loads(o) for o in outputs]
        click.echo(json.dumps(recs, ensure_ascii=False, indent=2))
    else:
        for o in outputs:
            click.echo(o, nl=False)
    if problems:
        _fail(problems)


def _with_file(diags: list[Diagnostic], src: str) -> list[Diagnostic]:
    out = []
    name = "<stdin>" if src == "-" else src
    for d in diags:
        if d.span is None and (d.path is None or not d.path.startswith(name)):
            msg = d.message if d.path is None or d.message.startswith(d.path) else f"{d.path}: {d.message}"
            out.append(Diagnostic(d.code, msg, None, d.severity, d.rule_id, name))
        else:
            out.append(d)
    return out


@cli.command()
@click.argument("directory", required=False, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(("text", "json", "github")), default="text", show_default=True)
@click.option("--backend", type=click.Choice(("durable", "python", "none")), default="durable", show_default=True,
              help="Also compile for this matcher (durable limits are checked).")
def validate(directory: str | None, fmt: str, backend: str) -> None:
    """Check a rulebook: every problem as FILE:LINE:COL: CODE: message, all at once."""
    from .engine import Engine

    try:
        book = _book(directory)
        if backend != "none":
            Engine(book, backend=backend)  # type: ignore[arg-type]
    except RuleFileError as exc:
        _fail(exc.diagnostics, fmt)
    click.echo(f"ok: {book.manifest.id} {book.manifest.version} — {len(book.rules)} rules, {len(book.items)} items, "
               f"{len(book.ladder)} levels, sha256 {book.sha256[:12]}")


@cli.command()
@click.option("--rules", "rules", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(("json", "markdown")), default="json", show_default=True)
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True)
@click.option("--facts", is_flag=True, help="List the fact paths conditions may test instead.")
def catalog(rules: str | None, fmt: str, lang: str, facts: bool) -> None:
    """The rulebook's definitions, items, ladder and circumstances with their citations."""
    from .catalog import catalog_json, catalog_markdown, facts_markdown

    if facts:
        click.echo(facts_markdown(), nl=False)
        return
    book = _book(rules)
    click.echo(catalog_json(book, lang) if fmt == "json" else catalog_markdown(book, lang), nl=False)


@cli.command()
@click.argument("what", type=click.Choice(("case", "recommendation", "rulebook")))
def schema(what: str) -> None:
    """Print the JSON Schema of a case file, a recommendation or a rule file."""
    from pydantic import BaseModel

    from .models import Case, Recommendation
    from .rulebook import RuleFile

    models: dict[str, type[BaseModel]] = {"case": Case, "recommendation": Recommendation, "rulebook": RuleFile}
    model = models[what]
    click.echo(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2))


def _register_optional() -> None:
    """Commands that live in their own modules (lint, test, docs, diff, check, serve)."""
    import importlib

    for mod, name in (("lint", "lint"), ("casefile", "test"), ("docs", "docs"), ("diff", "diff"),
                      ("certify", "check"), ("server", "serve")):
        try:
            module = importlib.import_module(f"accountrules.{mod}")
        except ImportError:
            continue
        cmd = getattr(module, "command", None)
        if isinstance(cmd, click.Command):
            cli.add_command(cmd, name)


_register_optional()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the CLI, turning every error into a message and an exit code."""
    try:
        cli.main(args=argv, prog_name="accountrules", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if exc.exit_code else 2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except AccountRulesError as exc:
        click.echo(format_text(exc.diagnostics), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        click.echo(f"accountrules: internal error: {type(exc).__name__}: {exc} (please report this)", err=True)
        sys.exit(3)


if __name__ == "__main__":  # pragma: no cover
    main()
