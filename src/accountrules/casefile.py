"""Rule cases: ``*.cases.yaml`` beside the rule files (format: ``docs/cases-format.md``).

Each case is evaluated (on both backends by default) and compared with its ``expect``; a failure
names the file, the case and shows a readable diff of expected against actual.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from .diagnostics import Diagnostic, SourceSpan
from .errors import AccountRulesError, RuleFileError
from .load import RawDocument, YamlProblem, load_file
from .models import Recommendation
from .trace import Trace

EXPECT_KEYS = ("status", "definition", "situations", "persons", "unit_measures", "unit_measures_include",
               "review", "fired", "silent", "error")
PERSON_KEYS = ("level", "rank", "responsibility", "exemption", "referral", "band", "channel", "measures",
               "considered_not_applied", "considered_applied")


@dataclass
class RuleCase:
    """One case of a cases file."""

    file: str
    name: str
    data: dict[str, Any]
    expect: dict[str, Any]
    span: SourceSpan


@dataclass
class CaseResult:
    """The outcome of running one case."""

    case: RuleCase
    backend: str
    ok: bool
    diff: str = ""
    fired: set[str] = field(default_factory=set)
    silent_checked: set[str] = field(default_factory=set)


def deep_merge(base: Any, over: Any) -> Any:
    """Mappings merge recursively; lists and scalars in ``over`` replace."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def find_case_files(root: str | Path) -> list[Path]:
    """Every ``*.cases.yaml`` under ``root`` (or ``root`` itself), sorted."""
    p = Path(root)
    if p.is_file():
        return [p]
    return sorted(p.rglob("*.cases.yaml"))


def load_cases(path: str | Path, display: str | None = None) -> list[RuleCase]:
    """Parse one cases file.

    Raises:
        RuleFileError: the file is not valid YAML or not in the cases format.
    """
    name = display or str(path)
    try:
        doc: RawDocument = load_file(path, display=name)
    except YamlProblem as exc:
        raise RuleFileError(exc.diagnostics) from None
    data = doc.data or {}
    problems: list[Diagnostic] = []
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise RuleFileError([Diagnostic("bad-cases-file", "a cases file is a mapping with 'cases:' (a list) and "
                                        "optionally 'base:'.", doc.span(()))])
    for k in data:
        if k not in ("base", "cases"):
            problems.append(Diagnostic("unknown-key", f"unexpected key '{k}'. Allowed: base, cases.",
                                       doc.key_span((k,))))
    base = data.get("base") or {}
    out: list[RuleCase] = []
    names: set[str] = set()
    for i, c in enumerate(data["cases"]):
        loc = ("cases", i)
        if not isinstance(c, dict) or "name" not in c or "expect" not in c:
            problems.append(Diagnostic("bad-case", "each case needs 'name', 'case' and 'expect'.", doc.span(loc)))
            continue
        for k in c:
            if k not in ("name", "case", "expect", "note"):
                problems.append(Diagnostic("unknown-key", f"unexpected key '{k}' in a case. Allowed: name, case, "
                                           "expect, note.", doc.key_span(loc + (k,))))
        if c["name"] in names:
            problems.append(Diagnostic("duplicate-id", f"case name '{c['name']}' is used twice.",
                                       doc.span(loc + ("name",))))
        names.add(c["name"])
        expect = c["expect"] or {}
        for k in expect:
            if k not in EXPECT_KEYS:
                problems.append(Diagnostic("unknown-key", f"unexpected expectation '{k}'. Allowed: "
                                           f"{', '.join(EXPECT_KEYS)}.", doc.key_span(loc + ("expect", k))))
        out.append(RuleCase(name, str(c["name"]), deep_merge(base, c.get("case") or {}), expect, doc.span(loc)))
        out[-1].file = name
    if problems:
        raise RuleFileError(problems)
    return out


def actual_of(rec: Recommendation | None, trace: Trace | None, expect: Mapping[str, Any],
              error: AccountRulesError | None) -> dict[str, Any]:
    """The actual values for exactly the keys ``expect`` names (so the diff is readable)."""
    act: dict[str, Any] = {}
    if error is not None or rec is None:
        code = error.diagnostics[0].code if error and error.diagnostics else "error"
        return {"error": code, "message": str(error)}
    fired = trace.fired() if trace else set()
    for k in expect:
        if k == "status":
            act[k] = rec.error_case.status
        elif k == "definition":
            act[k] = rec.error_case.definition
        elif k == "situations":
            act[k] = [s.item for s in rec.situations]
        elif k == "unit_measures":
            act[k] = [u.measure for u in rec.unit_measures]
        elif k == "unit_measures_include":
            have = [u.measure for u in rec.unit_measures]
            act[k] = [x for x in expect[k] if x in have]
        elif k == "review":
            act[k] = rec.review.track
        elif k == "fired":
            act[k] = [r for r in expect[k] if r in fired]
        elif k == "silent":
            act[k] = [r for r in expect[k] if r not in fired]
        elif k == "error":
            act[k] = None
        elif k == "persons":
            people = {p.id: p for p in rec.persons}
            pa: dict[str, Any] = {}
            for pid, want in (expect[k] or {}).items():
                p = people.get(pid)
                if p is None:
                    pa[pid] = None
                    continue
                d: dict[str, Any] = {}
                for pk in want:
                    if pk == "exemption":
                        d[pk] = p.exemption.code if p.exemption else None
                    elif pk == "considered_not_applied":
                        d[pk] = [x.code for x in p.considered if not x.applied]
                    elif pk == "considered_applied":
                        d[pk] = [x.code for x in p.considered if x.applied]
                    elif pk in PERSON_KEYS:
                        d[pk] = getattr(p, pk)
                    else:
                        d[pk] = f"<unknown key; allowed: {', '.join(PERSON_KEYS)}>"
                pa[pid] = d
            act[k] = pa
    return act


def _norm(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return v


def run_case(case: RuleCase, engines: Mapping[str, Any]) -> list[CaseResult]:
    """Run one case on each engine; compare with ``expect``."""
    from .intake import parse_case

    results = []
    for backend, engine in engines.items():
        rec = trace = err = None
        try:
            rec, trace = engine.evaluate_traced(parse_case(case.data, file=case.file), lang="en")
        except AccountRulesError as exc:
            err = exc
        act = actual_of(rec, trace, case.expect, err)
        want = _norm(case.expect)
        if "error" not in case.expect and err is not None:
            ok = False
        elif "error" in case.expect:
            ok = err is not None and act.get("error") == case.expect["error"]
            act = {"error": act.get("error")}
        else:
            ok = all(_norm(act.get(k)) == want[k] for k in want)
        diff = ""
        if not ok:
            a = json.dumps(want, ensure_ascii=False, indent=2, sort_keys=True).splitlines()
            b = json.dumps(act, ensure_ascii=False, indent=2, sort_keys=True).splitlines()
            diff = "\n".join(difflib.unified_diff(a, b, "expected", f"actual ({backend})", lineterm=""))
        results.append(CaseResult(case, backend, ok, diff, trace.fired() if trace else set()))
    return results


def make_engines(rules: str | Path | None, backends: tuple[str, ...] = ("python", "durable")) -> dict[str, Any]:
    """One engine per backend for a rulebook directory."""
    from .engine import Engine
    from .rules import load_rulebook

    book = load_rulebook(rules) if rules else load_rulebook()
    return {b: Engine(book, backend=b) for b in backends}  # type: ignore[arg-type]


def iter_results(rules: str | Path | None, paths: list[Path], backends: tuple[str, ...] = ("python", "durable")
                 ) -> Iterator[CaseResult]:
    """Run every case of every file."""
    engines = make_engines(rules, backends)
    for p in paths:
        for c in load_cases(p):
            yield from run_case(c, engines)


@click.command("test")
@click.argument("directory", required=False, type=click.Path(exists=True))
@click.option("--rules", "rules", type=click.Path(file_okay=False), help="Rulebook (default: DIRECTORY, or bundled).")
@click.option("--backend", type=click.Choice(("both", "python", "durable")), default="both", show_default=True)
@click.option("-q", "--quiet", is_flag=True)
def command(directory: str | None, rules: str | None, backend: str, quiet: bool) -> None:
    """Run the *.cases.yaml beside a rulebook's rule files."""
    from .rules import default_rulebook_dir

    root = Path(directory) if directory else default_rulebook_dir()
    rules_dir = rules or (str(root) if (root / "rulebook.yaml").exists() else None)
    backends = ("python", "durable") if backend == "both" else (backend,)
    passed = failed = 0
    for r in iter_results(rules_dir, find_case_files(root), backends):
        if r.ok:
            passed += 1
        else:
            failed += 1
            click.echo(f"FAIL {r.case.span}: case '{r.case.name}' [{r.backend}]\n{r.diff}\n")
    if not quiet:
        click.echo(f"{passed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":  # pragma: no cover
    command()
