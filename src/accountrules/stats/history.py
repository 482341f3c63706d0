"""The agency's record from a statistics input: fill a case's unknown loss rates from the JSON of
``accountrules stats --format json`` (``accountrules evaluate --stats FILE``).

A case file that gives ``history.agency_loss_rate`` or ``history.county_loss_rate`` keeps it; an
unknown one is taken from the statistics of the case's year (the year of ``decided_on``, else of
``conduct_date``): the agency's litigation loss rate from ``agency_year`` (by agency name), the
county's from ``region_year`` (by ``agency.region``, else the agency's name) for a county or township
agency. What was filled is reported, line by line; a rate the statistics do not have stays unknown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..contract.models import Case
from ..diagnostics import Diagnostic
from ..errors import InvalidCase


def load_stats(path: str | Path) -> dict[str, Any]:
    """The tables of a statistics JSON file.

    Raises:
        InvalidCase: the file cannot be read or is not the JSON of ``accountrules stats --format json``.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidCase([Diagnostic("bad-stats", f"cannot read the statistics file: {exc}", path=str(path))]) from None
    tables = data.get("tables") if isinstance(data, dict) else None
    if not isinstance(tables, dict) or not all(isinstance(tables.get(t, []), list) for t in ("agency_year",
                                                                                          "region_year")):
        raise InvalidCase([Diagnostic("bad-stats", "not the JSON of `accountrules stats --format json` (no "
                                      "'tables' with 'agency_year' and 'region_year').", path=str(path))])
    return tables


def _rate(rows: list[Any], key: str, name: str, year: int) -> float | None:
    for row in rows:
        if isinstance(row, Mapping) and row.get(key) == name and row.get("year") == year:
            v = row.get("litigation_loss_rate")
            return float(v) if isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 else None
    return None


def fill_history(case: Case, tables: Mapping[str, Any]) -> tuple[Case, list[str]]:
    """``case`` with its unknown loss rates taken from the statistics, and one line per rate filled."""
    c = case.case
    day = c.decided_on or c.conduct_date
    if day is None:
        return case, []
    hist, lines, update = c.history, [], {}
    if hist.agency_loss_rate is None:
        v = _rate(tables.get("agency_year", []), "agency", c.agency.name, day.year)
        if v is not None:
            update["agency_loss_rate"] = v
            lines.append(f"history.agency_loss_rate = {v:g} (statistics: agency {c.agency.name}, {day.year})")
    if hist.county_loss_rate is None and c.agency.level in ("county", "township"):
        region = c.agency.region or c.agency.name
        v = _rate(tables.get("region_year", []), "region", region, day.year)
        if v is not None:
            update["county_loss_rate"] = v
            lines.append(f"history.county_loss_rate = {v:g} (statistics: region {region}, {day.year})")
    if not update:
        return case, []
    new = c.model_copy(update={"history": hist.model_copy(update=update)})
    return case.model_copy(update={"case": new}), lines
