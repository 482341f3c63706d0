"""``accountrules diff``: replay cases under two rulebooks (see :mod:`accountrules.diff`)."""

from __future__ import annotations

import json
import sys

import click

from ..authoring.diff import CASE_FORMATS, format_diff_text, iter_replay_cases, replay, unreadable
from ..diagnostics import format_text
from ..errors import RuleFileError


@click.command("diff")
@click.argument("old", type=click.Path(file_okay=False))
@click.argument("new", type=click.Path(file_okay=False))
@click.option("--cases", "cases", multiple=True, required=True, type=click.Path(),
              help="A directory (of *.cases.yaml, *.jsonl and case files *.yaml/*.yml/*.json), a cases file, a "
                   "case file or a JSON Lines batch (repeatable).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--lang", type=click.Choice(("zh", "en")), default="zh", show_default=True)
def command(old: str, new: str, cases: tuple[str, ...], fmt: str, lang: str) -> None:
    """Replay cases under rulebooks OLD and NEW; report every changed outcome with both sides' reasons."""
    from ..engine import Engine
    from ..rules import load_rulebook

    try:
        old_engine = Engine(load_rulebook(old), backend="python")
        new_engine = Engine(load_rulebook(new), backend="python")
        loaded = list(iter_replay_cases(cases))
    except RuleFileError as exc:
        click.echo(format_text(exc.diagnostics), err=True)
        sys.exit(1)
    diffs = replay(old_engine, new_engine, loaded, lang)
    not_read = unreadable(loaded)
    if fmt == "json":
        click.echo(json.dumps({"cases": len(loaded), "changed": len(diffs), "diffs": [d.as_dict() for d in diffs],
                               "not_read": [{"case": c.label, "diagnostics": [d.as_dict() for d in
                                                                              (c.problem.diagnostics if c.problem
                                                                               else [])]} for c in not_read]},
                              ensure_ascii=False, indent=2))
    else:
        click.echo(format_diff_text(diffs, len(loaded), not_read))
    if loaded and len(not_read) == len(loaded):
        click.echo(f"no case could be read. {CASE_FORMATS}", err=True)
        sys.exit(1)

