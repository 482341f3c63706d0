"""Where the statistics read their cases from: input adapters behind one protocol.

A source yields :class:`StatInput` — a case and its recommendation. Two adapters exist:

* :class:`CaseFiles` — case files (YAML/JSON, a directory of them, JSON Lines batches), evaluated
  with the engine;
* :class:`PairedJsonl` — JSON Lines whose lines are ``{"case": {...}, "recommendation": {...}}``
  (what a decision record holds: the input and the output), read without re-evaluating.

The decision-record database is the third (:class:`accountrules.stats.records.DecisionRecords`),
registered in :data:`ADAPTERS` under its URL schemes (``sqlite://``, ``postgresql://``). A source may
also have a ``notes`` list, filled while it is read; the report prints them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from ..contract.intake import iter_jsonl, parse_case, read_case_file
from ..contract.models import Case, Recommendation
from ..contract.yaml_source import MAX_BYTES
from ..diagnostics import Diagnostic
from ..engine import Engine
from ..errors import InvalidCase

_CASE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class StatInput:
    """One case of the corpus with its recommendation, and where it came from (``file[:line]``)."""

    case: Case
    recommendation: Recommendation
    origin: str


class CorpusSource(Protocol):
    """An input adapter: yields the corpus's cases with their recommendations."""

    def inputs(self, engine: Engine) -> Iterator[StatInput]:
        """Every case of the source, in a stable order; bad entries raise :class:`InvalidCase`."""
        ...


@dataclass(frozen=True)
class CaseFiles:
    """Case files: one file, a JSON Lines batch of cases, or a directory (searched recursively)."""

    path: Path

    def _files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.rglob("*")
                          if p.is_file() and (p.suffix in _CASE_SUFFIXES or p.suffix == ".jsonl"))
        return [self.path]

    def inputs(self, engine: Engine) -> Iterator[StatInput]:
        """Each case evaluated with ``engine``."""
        for f in self._files():
            if f.suffix == ".jsonl":
                if _is_paired(f):
                    yield from PairedJsonl(f).inputs(engine)
                    continue
                for n, item in iter_jsonl(f):
                    if isinstance(item, InvalidCase):
                        raise item
                    yield StatInput(item, _evaluate(engine, item, f"{f}:{n}"), f"{f}:{n}")
            else:
                case = read_case_file(f)
                yield StatInput(case, _evaluate(engine, case, str(f)), str(f))


@dataclass(frozen=True)
class PairedJsonl:
    """JSON Lines of ``{"case": …, "recommendation": …}`` (a case with the recommendation made for it)."""

    path: Path

    def inputs(self, engine: Engine) -> Iterator[StatInput]:
        """Each line's case and recommendation, validated against the contract (not re-evaluated)."""
        with open(self.path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{self.path}:{n}"
                if len(line) > MAX_BYTES:
                    raise InvalidCase([Diagnostic("file-too-large", f"line {n} is longer than {MAX_BYTES} bytes.",
                                                  path=where)])
                try:
                    data = json.loads(line)
                except ValueError as exc:
                    raise InvalidCase([Diagnostic("json-syntax", f"line {n}: {exc}.", path=where)]) from None
                if not isinstance(data, dict) or set(data) != {"case", "recommendation"}:
                    keys = ", ".join(sorted(data)) if isinstance(data, dict) else type(data).__name__
                    raise InvalidCase([Diagnostic(
                        "bad-type", f"line {n}: expected an object with exactly the keys 'case' and "
                        f"'recommendation' (found: {keys}). A recommendation alone does not name the agency, "
                        "field or year: pair it with its case.", path=where)])
                yield paired_input(data["case"], data["recommendation"], where)


def paired_input(case_data: Any, rec_data: Any, where: str) -> StatInput:
    """A case and the recommendation made for it, both checked against the contract (``where`` names
    the line or record in every problem)."""
    case = parse_case(case_data, file=where)
    try:
        rec = Recommendation.model_validate(rec_data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise InvalidCase([Diagnostic("bad-value", f"recommendation.{loc}: {first['msg']}.", path=where)]) from None
    if rec.case_id != case.case.id:
        raise InvalidCase([Diagnostic("bad-value", f"the recommendation is for case '{rec.case_id}', the case is "
                                      f"'{case.case.id}'.", path=where)])
    return StatInput(case, rec, where)


def _evaluate(engine: Engine, case: Case, where: str) -> Recommendation:
    """Evaluate, naming the file (and line) in any problem the case has (an unknown code …)."""
    try:
        return engine.evaluate(case)
    except InvalidCase as exc:
        raise InvalidCase([Diagnostic(d.code, d.message, d.span, d.severity, d.rule_id,
                                      d.path if d.span is not None else where) for d in exc.diagnostics]) from None


def _is_paired(path: Path) -> bool:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    data = json.loads(line)
                except ValueError:
                    return False
                return isinstance(data, dict) and "recommendation" in data
    return False


#: URL scheme → adapter factory, for sources that are not files (the decision-record database:
#: :mod:`accountrules.stats` registers it)
ADAPTERS: dict[str, Callable[[str], CorpusSource]] = {}


def source_for(spec: str) -> CorpusSource:
    """The adapter for a corpus argument: ``scheme://…`` from :data:`ADAPTERS`, else a path."""
    scheme = spec.split("://", 1)[0] if "://" in spec else ""
    if scheme:
        if scheme not in ADAPTERS:
            known = ", ".join(sorted(ADAPTERS)) or "none registered"
            raise InvalidCase([Diagnostic("bad-value", f"no corpus adapter for '{scheme}://' (adapters: {known}).",
                                          path=spec)])
        return ADAPTERS[scheme](spec)
    p = Path(spec)
    if not p.exists():
        raise InvalidCase([Diagnostic("file-not-found", "no such file or directory.", path=spec)])
    if p.is_file() and p.suffix == ".jsonl" and _is_paired(p):
        return PairedJsonl(p)
    return CaseFiles(p)
