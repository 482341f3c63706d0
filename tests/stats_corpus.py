"""The planted statistics corpus: known counts per agency, field and year; one county at 35 %.

``python tests/stats_corpus.py`` writes ``examples/stats/cases.jsonl`` and
``examples/stats/caseload.csv`` (the README's example); ``tests/test_stats.py`` checks the committed
files are what this writes, and that ``accountrules stats`` reports exactly :data:`EXPECTED`.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples" / "stats"

# agency: (region, level, field)
AGENCIES = {
    "甲县自然资源局": ("甲县", "county", "natural_resources"),
    "甲县市场监督管理局": ("甲县", "county", "market_regulation"),
    "乙县市场监督管理局": ("乙县", "county", "market_regulation"),
    "某市生态环境局": ("某市", "city", "ecology_environment"),
}
# (agency, year): litigated, lost, reconsideration, corrected, appearances_required, head absences
PLAN = {
    ("甲县自然资源局", 2023): (10, 5, 8, 2, 6, 0),
    ("甲县市场监督管理局", 2023): (10, 2, 4, 0, 4, 1),
    ("乙县市场监督管理局", 2022): (10, 3, 3, 0, 5, 0),
    ("乙县市场监督管理局", 2023): (20, 4, 5, 1, 10, 0),
    ("某市生态环境局", 2023): (4, 2, 2, 0, 2, 0),
}
ITEMS = ("P2", "E1", "L1")

#: what the statistics must report for this corpus
EXPECTED = {
    "region_loss": {("甲县", 2023): (7, 20), ("乙县", 2022): (3, 10), ("乙县", 2023): (4, 20), ("某市", 2023): (2, 4)},
    "agency_correction": {("甲县自然资源局", 2023): (2, 8), ("乙县市场监督管理局", 2023): (1, 5)},
    "agency_appearance": {("甲县市场监督管理局", 2023): (3, 4), ("甲县自然资源局", 2023): (6, 6)},
    "county_flags": [("甲县", 2023, 7, 20)],
    "field_flags": [("乙县市场监督管理局 / market_regulation", 2022, 3), ("乙县市场监督管理局 / market_regulation", 2023, 8),
                    ("甲县自然资源局 / natural_resources", 2023, 7)],
    "undated": 1,
    # each agency works in one field, so a field's rate pools the agencies of that field
    "field_loss": {("ecology_environment", 2023): (2, 4), ("market_regulation", 2022): (3, 10),
                   ("market_regulation", 2023): (6, 30), ("natural_resources", 2023): (5, 10)},
}


def _case(n: int, agency: str, year: int, origin: str, absent: bool = False) -> dict[str, Any]:
    region, level, field = AGENCIES[agency]
    case: dict[str, Any] = {
        "id": f"ST-{n:03d}", "origin": origin, "outcome": "revoked", "effective": True,
        "decided_on": f"{year}-06-{1 + n % 28:02d}", "conduct_date": f"{year - 1}-11-02", "act_type": "penalty",
        "grounds": ["illegal_procedure"],
        "agency": {"name": agency, "level": level, "field": field, "region": region},
        "findings": [{"item": ITEMS[n % len(ITEMS)], "persons": ["p1"]}],
    }
    if origin == "court":
        case["hearing"] = {"head_summoned": True, "head_appeared": not absent}
    return {"case": case, "persons": [{"id": "p1", "name": f"人员{n}", "role": "handler",
                                       "fault": "ordinary_negligence", "conduct": ["proposed_wrong_opinion"]}]}


def cases() -> list[dict[str, Any]]:
    """Every planted case, in a fixed order."""
    out: list[dict[str, Any]] = []
    for (agency, year), (_lit, lost, _rec, corrected, _req, absent) in PLAN.items():
        for i in range(lost):
            out.append(_case(len(out) + 1, agency, year, "court", absent=i < absent))
        for _ in range(corrected):
            out.append(_case(len(out) + 1, agency, year, "reconsideration"))
    pending = _case(len(out) + 1, "乙县市场监督管理局", 2024, "court")
    pending["case"].update(effective=False)
    del pending["case"]["decided_on"]
    out.append(pending)
    return out


def jsonl() -> str:
    """The corpus as JSON Lines."""
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases())


def caseload_csv() -> str:
    """The caseload table as CSV."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["agency", "region", "level", "field", "year", "litigated", "reconsideration", "appearances_required"])
    for (agency, year), (lit, _lost, rec, _corr, req, _abs) in PLAN.items():
        region, level, field = AGENCIES[agency]
        w.writerow([agency, region, level, "", year, lit, rec, req])  # the agency's total
        w.writerow([agency, region, level, field, year, lit, rec, req])  # its one field: the same counts
    return buf.getvalue()


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cases.jsonl").write_text(jsonl(), encoding="utf-8")
    (OUT / "caseload.csv").write_text(caseload_csv(), encoding="utf-8")
    print(OUT)
