"""Per-field rates: the caseload's optional ``field`` column gives per-field denominators; a missing
denominator gives no rate (for the group and every pool it belongs to) and a note — never a guess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from accountrules import Engine
from accountrules.cli import cli
from accountrules.errors import InvalidCase
from accountrules.stats import compute_corpus, read_caseload
from accountrules.stats.output import to_csv, to_text

pytest.importorskip("pandas")

# agency: (region, level); every case is of 2023
AGENCIES = {"丙县自然资源局": ("丙县", "county"), "丙县市场监督管理局": ("丙县", "county"),
            "丁县自然资源局": ("丁县", "county"), "戊县林业局": ("戊县", "county")}
# (agency, field): lost in court (how many without the summoned head), corrected in reconsideration
PLAN = {
    ("丙县自然资源局", "natural_resources"): (3, 1, 1),
    ("丙县自然资源局", "forestry"): (1, 0, 0),
    ("丙县市场监督管理局", "market_regulation"): (2, 0, 0),
    ("丁县自然资源局", "natural_resources"): (1, 0, 0),
    ("戊县林业局", "forestry"): (1, 0, 0),
}
# 丙县自然资源局's total row counts 2 litigated cases of fields it does not list; 丙县市场监督管理局 has no field
# row; 戊县林业局 is missing from the table
CASELOAD = """agency,field,year,litigated,reconsideration,appearances_required
丙县自然资源局,,2023,12,6,5
丙县自然资源局,natural_resources,2023,6,4,3
丙县自然资源局,forestry,2023,4,2,2
丙县市场监督管理局,,2023,10,3,4
丁县自然资源局,,2023,4,1,1
丁县自然资源局,natural_resources,2023,4,1,1
"""


def _cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for (agency, fld), (lost, absent, corrected) in PLAN.items():
        region, level = AGENCIES[agency]
        for i in range(lost + corrected):
            court = i < lost
            case: dict[str, Any] = {
                "id": f"F-{len(out) + 1:03d}", "origin": "court" if court else "reconsideration", "outcome": "revoked",
                "effective": True, "decided_on": "2023-05-10", "conduct_date": "2022-11-02", "act_type": "penalty",
                "grounds": ["illegal_procedure"], "agency": {"name": agency, "level": level, "field": fld, "region": region},
                "findings": [{"item": "P2", "persons": ["p1"]}]}
            if court:
                case["hearing"] = {"head_summoned": True, "head_appeared": i >= absent}
            out.append({"case": case, "persons": [{"id": "p1", "name": "某某", "role": "handler",
                                                   "fault": "ordinary_negligence", "conduct": ["proposed_wrong_opinion"]}]})
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("fields")
    corpus, load = d / "cases.jsonl", d / "caseload.csv"
    corpus.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in _cases()), encoding="utf-8")
    load.write_text(CASELOAD, encoding="utf-8")
    return corpus, load


def test_per_field_rates_and_missing_denominators(engine: Engine, files: tuple[Path, Path]) -> None:
    corpus, load = files
    report = compute_corpus(engine, [str(corpus)], read_caseload(load), lang="en")
    afy = {(r["agency"], r["field"]): r for r in report.tables["agency_field_year"]}
    nat = afy[("丙县自然资源局", "natural_resources")]
    assert (nat["lost"], nat["litigated"], nat["litigation_loss_rate"]) == (3, 6, 0.5)
    assert (nat["corrected"], nat["reconsideration"], nat["reconsideration_correction_rate"]) == (1, 4, 0.25)
    assert (nat["head_absent"], nat["appearances_required"], nat["head_appearance_rate"]) == (1, 3, 0.666667)
    fo = afy[("丙县自然资源局", "forestry")]
    assert (fo["litigation_loss_rate"], fo["reconsideration_correction_rate"], fo["head_appearance_rate"]) == (
        0.25, 0.0, 1.0)
    market = afy[("丙县市场监督管理局", "market_regulation")]
    assert market["lost"] == 2 and market["litigated"] is None and market["litigation_loss_rate"] is None
    fields = {r["field"]: r for r in report.tables["field_year"]}
    assert (fields["natural_resources"]["lost"], fields["natural_resources"]["litigated"],
            fields["natural_resources"]["litigation_loss_rate"]) == (4, 10, 0.4)
    assert fields["forestry"]["lost"] == 2 and fields["forestry"]["litigation_loss_rate"] is None  # 戊县 unknown
    assert fields["market_regulation"]["litigation_loss_rate"] is None
    # the totals come from total rows only, never from summed field rows
    agencies = {r["agency"]: r for r in report.tables["agency_year"]}
    assert agencies["丙县自然资源局"]["litigation_loss_rate"] == round(4 / 12, 6)
    assert agencies["戊县林业局"]["litigated"] is None and agencies["戊县林业局"]["litigation_loss_rate"] is None
    regions = {r["region"]: r for r in report.tables["region_year"]}
    assert regions["丙县"]["litigation_loss_rate"] == round(6 / 22, 6)
    assert regions["戊县"]["litigation_loss_rate"] is None
    assert report.tables["year"][0]["litigated"] is None and report.tables["year"][0]["litigation_loss_rate"] is None
    assert [f.group for f in report.flags if f.rule == "ST-county-loss-rate"] == []  # 50 % of 丙县 nat. res. is a field
    assert report.notes == [
        ("丙县市场监督管理局 market_regulation 2023: no field row in the caseload table, so no denominators: its rates, "
        "and those of every total it is part of, are not computed"),
        ("戊县林业局 2023: no total row in the caseload table, so no denominators: its rates, and those of every total "
        "it is part of, are not computed"),
        ("戊县林业局 forestry 2023: no field row in the caseload table, so no denominators: its rates, and those of "
        "every total it is part of, are not computed"),
    ]
    text = to_text(report, engine.rulebook)
    assert "== By agency, field and year ==" in text and "戊县林业局 2023: no total row" in text
    zh = compute_corpus(engine, [str(corpus)], read_caseload(load))
    assert zh.tables == report.tables
    assert "戊县林业局 2023：案件总量表中没有合计行，缺少分母：不计算其比率，也不计算包含它的各项合计的比率" in zh.notes
    assert "== 按单位、执法领域和年度 ==" in to_text(zh, engine.rulebook)
    rows = [ln for ln in to_csv(report).splitlines() if ln.startswith("agency_field_year,丙县市场监督管理局")]
    assert "agency_field_year,丙县市场监督管理局 / market_regulation,2023,litigation_loss_rate," in rows


def test_a_caseload_without_field_rows_says_so(engine: Engine, files: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, _load = files
    load = tmp_path / "c.csv"
    load.write_text("agency,year,litigated,reconsideration,appearances_required\n丁县自然资源局,2023,4,1,1\n",
                    encoding="utf-8")
    report = compute_corpus(engine, [str(corpus)], read_caseload(load), lang="en")
    assert "the caseload table has no field rows (column 'field'): no rates per field" in report.notes
    assert all(r["litigation_loss_rate"] is None for r in report.tables["field_year"])


def test_bad_field_rows(tmp_path: Path) -> None:
    load = tmp_path / "c.csv"
    load.write_text("agency,field,year,litigated,reconsideration,appearances_required\n"
                    "丙县自然资源局,,2023,5,6,5\n"
                    "丙县自然资源局,natural_resources,2023,6,4,3\n"
                    "丙县自然资源局,Forestry,2023,1,1,1\n"
                    "丙县自然资源局,natural_resources,2023,1,1,1\n", encoding="utf-8")
    with pytest.raises(InvalidCase) as exc:
        read_caseload(load)
    got = [(d.code, d.span.line if d.span else 0, d.span.column if d.span else 0, d.message)
           for d in exc.value.diagnostics]
    assert got[0][:3] == ("bad-value", 2, 1) and "litigated: the field rows of 丙县自然资源局 2023 add up to 6, more " \
        "than this total row's 5" in got[0][3]
    assert got[1][:3] == ("bad-value", 4, 2) and "'Forestry' is not a field code" in got[1][3]
    assert got[2][:3] == ("duplicate-id", 5, 1) and "丙县自然资源局 natural_resources 2023 is listed twice (also line 3)" \
        in got[2][3]
    assert len(got) == 3
    res = CliRunner().invoke(cli, ["stats", str(tmp_path), "--caseload", str(load)])
    assert res.exit_code == 1 and f"{load}:4:2: bad-value" in res.output


def test_charts_leave_out_unknown_rates(engine: Engine, files: tuple[Path, Path], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from accountrules.stats.charts import write_charts

    from ..conftest import require_cjk_font

    require_cjk_font()
    corpus, load = files
    report = compute_corpus(engine, [str(corpus)], read_caseload(load))
    paths = write_charts(report, engine.rulebook, tmp_path)
    rates = (tmp_path / "rates.svg").read_text(encoding="utf-8")
    assert 'id="threshold-ST-county-loss-rate"' in rates and len(paths) == 6


def test_the_documented_caseload_example_reads(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "statistics.md").read_text(encoding="utf-8")
    block = doc.split("<!-- caseload-example: read by tests/stats/test_stats_fields.py -->\n```csv\n", 1)[1]
    p = tmp_path / "caseload.csv"
    p.write_text(block.split("```", 1)[0], encoding="utf-8")
    rows = read_caseload(p)
    assert [(r.field, r.litigated) for r in rows] == [(None, 12), ("natural_resources", 6), ("forestry", 4)]
