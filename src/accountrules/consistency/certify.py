"""``accountrules check``: certify a rulebook's sanction consistency, or print a counterexample.

The command runs the properties of :mod:`accountrules.properties` on generated cases (and,
with ``--exhaustive``, on every item × role × fault × single circumstance) and prints a
certificate: the rulebook's id, version and sha256, the engine and durable-rules versions, each
property with the number of cases it was checked on, the seed and the time. When a property
does not hold it prints the property, what went wrong, and writes the minimal counterexample as
ready-to-run YAML case files, then exits with code 1. See ``docs/consistency.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from .properties import Report, Violation
    from ..rules.validate import Rulebook

__all__ = ["command", "counterexample_path", "format_certificate"]


def counterexample_path(prop: str, out: str | None, many: bool) -> Path:
    """Where the counterexample of ``prop`` goes: ``--out`` (suffixed when there are several) or
    ``./counterexample-<prop>.yaml``."""
    if out is None:
        return Path(f"counterexample-{prop}.yaml")
    p = Path(out)
    if not many:
        return p
    stem = p.name.removesuffix(".yaml")
    return p.with_name(f"{stem}-{prop}.yaml")


def format_certificate(report: Report) -> str:
    """The certificate (or the failure summary) as text."""
    workers = report.workers
    lines = [
        "accountrules consistency certificate" if report.ok else "accountrules consistency check: FAILED",
        f"  rulebook   {report.rulebook_id} {report.rulebook_version} ({report.directory})",
        f"  sha256     {report.sha256}",
        (f"  engine     accountrules {report.engine_version} · durable-rules {report.durable_version} · "
         f"Python {report.python_version}"),
    ]
    seeds = ", ".join(str(report.seed + k) for k in range(workers))
    lines.append(f"  seed       {report.seed}" + (f" ({workers} workers, seeds {seeds})" if workers > 1 else ""))
    total = report.generated + report.exhaustive_cases
    rate = f", {total / report.seconds:.0f} cases/s" if report.ok and report.seconds > 0 and total else ""
    lines.append(f"  examples   {report.generated} generated ({report.error_cases} error cases)"
                 f" + {report.exhaustive_cases} exhaustive")
    lines.append(f"  time       {report.seconds:.1f} s{rate}")
    lines.append("")
    width = max(len(r.name) for r in report.results)
    lines.append(f"  {'property'.ljust(width)}  {'checked':>7}  {'n/a':>5}  result")
    for r in report.results:
        result = "holds" if r.violation is None else "VIOLATED"
        if r.name == "deterministic_across_processes" and r.violation is None:
            result += f" (PYTHONHASHSEED {', '.join(report.hash_seeds)})"
        lines.append(f"  {r.name.ljust(width)}  {r.checked:>7}  {r.not_applicable:>5}  {result}")
    lines.append("")
    held = sum(1 for r in report.results if r.violation is None)
    if report.ok:
        lines.append(f"PASS: all {held} properties hold." if held != 1 else "PASS: the property holds.")
    else:
        bad = len(report.results) - held
        lines.append(f"FAIL: {bad} of {len(report.results)} properties {'does' if bad == 1 else 'do'} not hold "
                     "(counts are of the cases checked before the first violation).")
    return "\n".join(lines) + "\n"


def _describe(v: Violation, files: list[Path], rules: str | None) -> str:
    from .properties import PROPERTIES

    prop = PROPERTIES.get(v.property)
    doc = prop.doc if prop else ""
    rules_opt = f" --rules {rules}" if rules else ""
    out = [f"✗ {v.property} — {doc}".rstrip(" —"), f"  {v.message}"]
    if len(files) == 2:
        out.append(f"  counterexample: {files[0]} (before) and {files[1]} (after the change)")
    else:
        out.append(f"  counterexample: {files[0]}")
    backend = " --backend python" if v.property == "durable_agrees" else ""
    out.append(f"  run: accountrules evaluate{rules_opt}{backend} --format text {' '.join(map(str, files))}")
    return "\n".join(out)


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
    from .properties import PROCESS_PROPERTY, PROPERTIES, run_properties, write_counterexample
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
            click.echo(_describe(v, written[v.property], directory))
    if not report.ok:
        sys.exit(1)
