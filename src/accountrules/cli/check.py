"""``accountrules check``: certify a rulebook's sanction consistency (see :mod:`accountrules.certify`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..certify import counterexample_path, describe_violation, format_certificate
from ..rules.validate import Rulebook


@click.command("check")
@click.argument("directory", required=False, type=click.Path())
@click.option("--examples", type=click.IntRange(min=0), default=2000, show_default=True,
              help="Generated cases to check.")
@click.option("--seed", type=int, default=0, show_default=True, help="Hypothesis seed (reproducible runs).")
@click.option("--exhaustive", is_flag=True, help="Also check every item × role × fault × single circumstance.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Counterexample file (default: ./counterexample-<property>.yaml).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Processes that generate cases (worker k uses seed S+k).")
@click.option("--property", "only", multiple=True, metavar="NAME",
              help="Check only this property (repeatable).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
def command(directory: str | None, examples: int, seed: int, exhaustive: bool, out: str | None, workers: int,
            only: tuple[str, ...], fmt: str) -> None:
    """Certify sanction consistency: equal cases, equal outcomes; more fault, never less accountability."""
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        click.echo("accountrules check needs Hypothesis: pip install 'accountrules[test]'", err=True)
        sys.exit(1)
    from ..properties import PROCESS_PROPERTY, PROPERTIES, run_properties, write_counterexample
    from ..rules import load_rulebook

    unknown = [n for n in only if n not in PROPERTIES and n != PROCESS_PROPERTY]
    if unknown:
        raise click.BadParameter(f"unknown property '{unknown[0]}'; allowed: "
                                 f"{', '.join([*PROPERTIES, PROCESS_PROPERTY])}", param_hint="--property")
    book: Rulebook = load_rulebook(directory) if directory else load_rulebook()
    report = run_properties(book, examples=examples, seed=seed, exhaustive=exhaustive,
                            properties=list(only) or None, workers=workers)
    written: dict[str, list[Path]] = {}
    violations = report.violations
    for v in violations:
        path = counterexample_path(v.property, out, len(violations) > 1)
        written[v.property] = write_counterexample(v, path, rules=directory, rulebook=book)
    if fmt == "json":
        data = report.to_dict()
        data["counterexamples"] = {k: [str(p) for p in files] for k, files in written.items()}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(format_certificate(report), nl=False)
        for v in violations:
            click.echo("")
            click.echo(describe_violation(v, written[v.property], directory))
    if not report.ok:
        sys.exit(1)
