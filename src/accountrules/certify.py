"""``accountrules check``: certify a rulebook's sanction consistency, or print a counterexample.

The command runs the properties of :mod:`accountrules.properties` on generated cases (and,
with ``--exhaustive``, on every item × role × fault × single circumstance) and prints a
certificate: the rulebook's id, version and sha256, the engine and durable-rules versions, each
property with the number of cases it was checked on, the seed and the time. When a property
does not hold it prints the property, what went wrong, and writes the minimal counterexample as
ready-to-run YAML case files, then exits with code 1. See ``docs/consistency.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .properties import Report, Violation

__all__ = ["counterexample_path", "describe_violation", "format_certificate"]


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


def describe_violation(v: Violation, files: list[Path], rules: str | None) -> str:
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
