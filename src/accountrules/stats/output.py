"""The statistics as text (a report for a person), CSV (tidy: one value per row) or JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any

from ..rules.validate import Rulebook
from .compute import COUNTS, RATES, StatsReport

_T = {
    "zh": {
        "agency_year": "按单位和年度", "region_year": "按区域和年度", "level_year": "按层级和年度", "year": "按年度",
        "agency_field_year": "按单位、执法领域和年度", "field_year": "按执法领域和年度", "definitions": "错案认定类型", "items": "问责情形", "persons": "人员处理",
        "units": "单位措施", "flags": "预警", "none": "（无）", "undated": "未载明生效日期、未计入年度统计的案件",
        "cases": "案件", "error_cases": "错案", "lost": "败诉", "corrected": "被纠错", "head_absent": "负责人未出庭",
        "litigated": "应诉案件", "reconsideration": "复议案件", "appearances_required": "应出庭",
        "litigation_loss_rate": "败诉率", "reconsideration_correction_rate": "纠错率",
        "head_appearance_rate": "负责人出庭应诉率", "count": "数量", "agency": "单位", "region": "区域",
        "level": "层级", "field": "领域", "definition": "认定类型", "item": "情形", "responsibility": "责任",
        "measure": "措施", "no_caseload": "未提供案件总量表：只报告数量，不计算比率。", "notes": "数据提示",
        "rule": "规则", "source": "出处", "year_col": "年度",
    },
    "en": {
        "agency_year": "By agency and year", "region_year": "By region and year", "level_year": "By level and year",
        "year": "By year", "agency_field_year": "By agency, field and year", "field_year": "By field and year", "definitions": "Error-case definitions",
        "items": "Situation items", "persons": "Persons", "units": "Unit measures", "flags": "Flags",
        "none": "(none)", "undated": "Cases without an effective date (not in the yearly tables)",
        "cases": "cases", "error_cases": "error cases", "lost": "lost", "corrected": "corrected",
        "head_absent": "head absent", "litigated": "litigated", "reconsideration": "reconsideration",
        "appearances_required": "appearances required", "litigation_loss_rate": "loss rate",
        "reconsideration_correction_rate": "correction rate", "head_appearance_rate": "head appearance rate",
        "count": "count", "agency": "agency", "region": "region", "level": "level", "field": "field",
        "definition": "definition", "item": "item", "responsibility": "responsibility", "measure": "measure",
        "no_caseload": "No caseload table: counts only, no rates.", "notes": "Data notes", "rule": "rule",
        "source": "source", "year_col": "year",
    },
}
_LABELLED = {"level": "level", "responsibility": "responsibility", "item": "item", "measure": "unit_measure",
             "definition": "definition"}


def _label(book: Rulebook, column: str, value: Any, lang: str) -> str:
    from ..output.letter.labels import label

    if value is None:
        return "—"
    kind = _LABELLED.get(column)
    if kind is None:
        return str(value)
    if column == "level" and value in ("township", "county", "city", "province"):
        kind = "agency_level"
    text = label(book, kind, str(value), lang)
    return f"{value} {text}" if text else str(value)


def _cell(book: Rulebook, column: str, value: Any, lang: str) -> str:
    if column in RATES:
        return "—" if value is None else f"{value * 100:.2f}%"
    return _label(book, column, value, lang)


def to_text(report: StatsReport, book: Rulebook) -> str:
    """A report for a terminal or a file: one table per section, then the flags with rule and source."""
    t = _T[report.lang]
    out: list[str] = []
    if not report.has_caseload:
        out += [t["no_caseload"], ""]
    for name, rows in report.tables.items():
        out.append(f"== {t[name]} ==")
        if not rows:
            out += [t["none"], ""]
            continue
        cols = [c for c in rows[0] if report.has_caseload or c not in RATES and c not in (
            "litigated", "reconsideration", "appearances_required")]
        table = [[t["year_col"] if c == "year" else t.get(c, c) for c in cols]] + [[_cell(book, c, r[c], report.lang) for c in cols] for r in rows]
        widths = [max(_width(row[i]) for row in table) for i in range(len(cols))]
        for row in table:
            out.append("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip())
        out.append("")
    out.append(f"== {t['flags']} ==")
    for f in report.flags:
        out.append(f"[{f.rule}] {f.title}: {f.group} {f.year} = "
                   + (f"{f.value * 100:.2f}% ({f.numerator}/{f.denominator})" if f.metric in RATES
                      else f"{f.numerator}")
                   + f" {f.threshold} → {f.action}")
        out.append(f"    {t['source']}: {'; '.join(f.citations)} @ {f.source}")
    if not report.flags:
        out.append(t["none"])
    out.append("")
    out.append(f"{t['undated']}: {report.undated}")
    if report.notes:
        out.append(f"{t['notes']}:")
        out += [f"  {n}" for n in report.notes]
    return "\n".join(out) + "\n"


def _width(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _pad(s: str, w: int) -> str:
    return s + " " * (w - _width(s))


def to_json(report: StatsReport) -> str:
    """Every table and flag as JSON (keys in a fixed order; rates as fractions, not percentages)."""
    data = {"tables": report.tables, "flags": [asdict(f) for f in report.flags], "undated": report.undated,
            "notes": report.notes, "has_caseload": report.has_caseload}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_csv(report: StatsReport) -> str:
    """Tidy CSV: ``table, group, year, metric, value`` — one value per row, for spreadsheets and pandas."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["table", "group", "year", "metric", "value"])
    for name, rows in report.tables.items():
        for r in rows:
            keys = [k for k in r if k not in COUNTS and k not in RATES and k not in ("year", "count")]
            group = " / ".join("" if r[k] is None else str(r[k]) for k in keys)
            year = "" if r.get("year") is None else r["year"]
            for k, v in r.items():
                if k in COUNTS or k in RATES or k == "count":
                    w.writerow([name, group, year, k, "" if v is None else v])
    for f in report.flags:
        w.writerow(["flags", f.group, f.year, f.rule, f.value])
    return buf.getvalue()
