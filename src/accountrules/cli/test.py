"""``accountrules test``: run the ``*.cases.yaml`` beside a rulebook (see :mod:`accountrules.casefile`)."""

from __future__ import annotations

import json
from typing import Any

import click

from ..authoring.casefile import CaseResult, compute_coverage, find_case_files, load_cases, make_engines, run_case
from ..diagnostics import Diagnostic
from ..engine import available_backends
from ..matching.protocol import Backend
from ._common import fail, rulebook_option

_BACKENDS: dict[str, tuple[Backend, ...]] = {"python": ("python",), "durable": ("durable",)}


@click.command("test")
@click.argument("directory", required=False, type=click.Path())
@rulebook_option("DIRECTORY, or bundled")
@click.option("--backend", type=click.Choice(("both", "python", "durable")), default="both", show_default=True)
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Report coverage by rule and by legal provision (articles no case exercises).")
@click.option("--min-coverage", "min_coverage", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="Fail (exit 1) when rule or provision coverage is below PCT percent (implies --coverage).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("-q", "--quiet", is_flag=True)
def command(directory: str | None, rules: str | None, backend: str, show_coverage: bool,
            min_coverage: float | None, fmt: str, quiet: bool) -> None:
    """Run the *.cases.yaml beside a rulebook's rule files (and report their coverage)."""
    from ..errors import RuleFileError
    from ..rules.registry import resolve_rulebook

    try:  # a directory (of rule files or of case files) or a bundled rulebook's name
        root = resolve_rulebook(directory)[0]
    except RuleFileError as exc:
        fail(exc.diagnostics)
    if not root.exists():
        fail([Diagnostic("rulebook-not-found", f"'{directory}' does not exist.", path=directory)])
    rules_dir = rules or (directory if (root / "rulebook.yaml").exists() else None)
    backends: tuple[Backend, ...] = available_backends() if backend == "both" else _BACKENDS[backend]
    engines = make_engines(rules_dir, backends)
    results: list[CaseResult] = []
    for p in find_case_files(root):
        for c in load_cases(p):
            results.extend(run_case(c, engines))
    failures = [r for r in results if not r.ok]
    passed, failed = len(results) - len(failures), len(failures)
    cov = None
    if show_coverage or min_coverage is not None:
        cov = compute_coverage(next(iter(engines.values())).rulebook, results)
    below = cov is not None and min_coverage is not None and (
        cov.rule_pct < min_coverage or cov.provision_pct < min_coverage)
    if fmt == "json":
        doc: dict[str, Any] = {
            "passed": passed, "failed": failed,
            "failures": [{"file": r.case.span.file, "line": r.case.span.line, "case": r.case.name,
                          "backend": r.backend, "diff": r.diff, "overridden": r.overridden} for r in failures],
        }
        if cov is not None:
            doc["coverage"] = cov.as_dict()
            if min_coverage is not None:
                doc["coverage"]["min_coverage"] = min_coverage
                doc["coverage"]["below_threshold"] = below
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        for r in failures:
            click.echo(f"FAIL {r.case.span}: case '{r.case.name}' [{r.backend}]\n{r.diff}\n")
        if not quiet:
            click.echo(f"{passed} passed, {failed} failed")
        if cov is not None:
            click.echo("\n" + cov.format_text())
            if below:
                click.echo(f"\ncoverage below {min_coverage}%: rules {cov.rule_pct}%, articles {cov.provision_pct}%")
    if failed or below:
        raise SystemExit(1)

