"""The caseload table: cases handled per agency and year — the denominators of the rates.

A CSV file with a header row. Required columns: ``agency`` (the name used in the case files),
``year``, ``litigated`` (administrative-litigation cases concluded by judgment that year),
``reconsideration`` (reconsideration cases decided), ``appearances_required`` (hearings to which
the court summoned the agency head). Optional: ``region`` (the area whose agencies are pooled, e.g.
a county), ``level`` (township | county | city | province) and ``field`` (the enforcement field, as
the case files write ``agency.field``).

A row with an empty (or no) ``field`` gives the agency's totals for the year; a row with a ``field``
gives the agency's counts in that field, the denominators of the per-field rates. The two are
independent: the totals are never summed from field rows (a field the table does not list would be
missing from the sum), and field rates exist only for the fields listed. An agency-year's field rows
may not add up to more than its total row. Every problem is reported with its line and column, all
at once.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..contract.models import AGENCY_LEVELS
from ..diagnostics import Diagnostic, SourceSpan, allowed, did_you_mean
from ..errors import InvalidCase

REQUIRED = ("agency", "year", "litigated", "reconsideration", "appearances_required")
OPTIONAL = ("region", "level", "field")
_COUNTS = ("litigated", "reconsideration", "appearances_required")
_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # the contract's agency.field


@dataclass(frozen=True)
class CaseloadRow:
    """One agency-year of the caseload (``field`` ``None``: its totals; else its counts in that field)."""

    agency: str
    year: int
    litigated: int
    reconsideration: int
    appearances_required: int
    region: str | None = None
    level: str | None = None
    field: str | None = None


def _int(value: str, lo: int, hi: int) -> int | None:
    v = value.strip()
    if not v.isdigit():
        return None
    n = int(v)
    return n if lo <= n <= hi else None


def read_caseload(path: str | Path) -> list[CaseloadRow]:
    """Read and check a caseload CSV.

    Raises:
        InvalidCase: every problem as ``FILE:LINE:COL`` with what was found and what is allowed.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidCase([Diagnostic("file-not-found", f"cannot read the caseload table: {exc}.",
                                      path=str(path))]) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InvalidCase([Diagnostic("missing-key", "the caseload table is empty; the header needs "
                                      f"{', '.join(REQUIRED)}.", SourceSpan(str(path), 1, 1))])
    header = [h.strip() for h in rows[0]]
    problems = _header_problems(str(path), header)
    if problems:
        raise InvalidCase(problems)
    out: list[CaseloadRow] = []
    seen: dict[tuple[str, str | None, int], int] = {}
    for line, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        parsed = _row(str(path), line, header, row, problems)
        if parsed is None:
            continue
        key = (parsed.agency, parsed.field, parsed.year)
        if key in seen:
            what = f"{parsed.agency} {parsed.field + ' ' if parsed.field else ''}{parsed.year}"
            problems.append(Diagnostic("duplicate-id", f"{what} is listed twice (also line {seen[key]}).",
                                       SourceSpan(str(path), line, header.index("agency") + 1)))
            continue
        seen[key] = line
        out.append(parsed)
    problems += _field_sums(str(path), out, seen)
    if problems:
        raise InvalidCase(problems)
    return out


def _field_sums(path: str, rows: list[CaseloadRow], lines: dict[tuple[str, str | None, int], int]) -> list[Diagnostic]:
    """An agency-year's field rows may not add up to more than its total row."""
    sums: dict[tuple[str, int], dict[str, int]] = {}
    for r in rows:
        if r.field is not None:
            acc = sums.setdefault((r.agency, r.year), dict.fromkeys(_COUNTS, 0))
            for name in _COUNTS:
                acc[name] += getattr(r, name)
    problems: list[Diagnostic] = []
    for r in rows:
        if r.field is None and (r.agency, r.year) in sums:
            for name in _COUNTS:
                if sums[(r.agency, r.year)][name] > getattr(r, name):
                    problems.append(Diagnostic(
                        "bad-value", f"{name}: the field rows of {r.agency} {r.year} add up to "
                        f"{sums[(r.agency, r.year)][name]}, more than this total row's {getattr(r, name)}.",
                        SourceSpan(path, lines[(r.agency, None, r.year)], 1)))
    return problems


def _header_problems(path: str, header: list[str]) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    known = REQUIRED + OPTIONAL
    for i, h in enumerate(header):
        if h not in known:
            problems.append(Diagnostic("unknown-key", f"unknown column '{h}'{did_you_mean(h, known)}. "
                                       f"{allowed(known)}", SourceSpan(path, 1, i + 1)))
    for req in REQUIRED:
        if req not in header:
            problems.append(Diagnostic("missing-key", f"the header has no column '{req}' (required: "
                                       f"{', '.join(REQUIRED)}).", SourceSpan(path, 1, 1)))
    return problems


def _row(path: str, line: int, header: list[str], row: list[str], problems: list[Diagnostic]) -> CaseloadRow | None:
    """One data row, or ``None`` (its problems appended)."""
    if len(row) != len(header):
        problems.append(Diagnostic("bad-type", f"{len(row)} cells, the header has {len(header)}.",
                                   SourceSpan(path, line, 1)))
        return None
    col = {h: i for i, h in enumerate(header)}
    before = len(problems)

    def span(name: str) -> SourceSpan:
        return SourceSpan(path, line, col[name] + 1)

    agency = row[col["agency"]].strip()
    if not agency:
        problems.append(Diagnostic("bad-value", "agency: empty; give the agency's name as the case files write it.",
                                   span("agency")))
    year = _int(row[col["year"]], 1900, 2999)
    if year is None:
        problems.append(Diagnostic("bad-value", f"year: '{row[col['year']]}' is not a year (1900–2999).",
                                   span("year")))
    counts: dict[str, int] = {}
    for name in _COUNTS:
        n = _int(row[col[name]], 0, 10_000_000)
        if n is None:
            problems.append(Diagnostic("bad-value", f"{name}: '{row[col[name]]}' is not a whole number from 0 to "
                                       "10000000.", span(name)))
        counts[name] = n or 0
    level = row[col["level"]].strip() if "level" in col else ""
    if level and level not in AGENCY_LEVELS:
        problems.append(Diagnostic("bad-value", f"level: '{level}' is not allowed{did_you_mean(level, AGENCY_LEVELS)}. "
                                   f"{allowed(AGENCY_LEVELS)}", span("level")))
    region = row[col["region"]].strip() if "region" in col else ""
    fld = row[col["field"]].strip() if "field" in col else ""
    if fld and not _FIELD.match(fld):
        problems.append(Diagnostic("bad-value", f"field: '{fld}' is not a field code (lower-case letters, digits and "
                                   "_, as the case files write agency.field); leave it empty for the agency's totals.",
                                   span("field")))
    if len(problems) > before or year is None:
        return None
    return CaseloadRow(agency, year, counts["litigated"], counts["reconsideration"], counts["appearances_required"],
                       region or None, level or None, fld or None)
