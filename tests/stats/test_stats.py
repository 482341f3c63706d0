"""``accountrules stats`` on the planted corpus (tests/stats_corpus.py): exact rates, flags with rule and
source, CSV/JSON, charts (valid PNG/SVG with the threshold line), input adapters and bad input."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from accountrules import Engine
from accountrules.cli import cli
from accountrules.contract.intake import parse_case
from accountrules.diagnostics import format_text
from accountrules.errors import InvalidCase, RuleFileError
from accountrules.rules import load_rulebook
from accountrules.stats import (
    CaseFiles,
    PairedJsonl,
    StatInput,
    compute_corpus,
    compute_stats,
    read_caseload,
    source_for,
)
from accountrules.stats.output import to_csv, to_json, to_text

from .. import stats_corpus as planted
from ..conftest import require_cjk_font

pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "examples" / "stats" / "cases.jsonl"
CASELOAD = ROOT / "examples" / "stats" / "caseload.csv"


@pytest.fixture(scope="module")
def report(engine: Engine):  # type: ignore[no-untyped-def]
    return compute_corpus(engine, [str(CORPUS)], read_caseload(CASELOAD))


def test_committed_corpus_is_the_planted_one() -> None:
    assert CORPUS.read_text(encoding="utf-8") == planted.jsonl()
    assert CASELOAD.read_text(encoding="utf-8") == planted.caseload_csv()


def test_exact_planted_rates(report) -> None:  # type: ignore[no-untyped-def]
    regions = {(r["region"], r["year"]): r for r in report.tables["region_year"]}
    assert set(regions) == set(planted.EXPECTED["region_loss"])
    for key, (lost, litigated) in planted.EXPECTED["region_loss"].items():
        r = regions[key]
        assert (r["lost"], r["litigated"], r["litigation_loss_rate"]) == (lost, litigated, round(lost / litigated, 6))
    assert regions[("甲县", 2023)]["litigation_loss_rate"] == 0.35
    agencies = {(r["agency"], r["year"]): r for r in report.tables["agency_year"]}
    for key, (corrected, total) in planted.EXPECTED["agency_correction"].items():
        assert (agencies[key]["corrected"], agencies[key]["reconsideration"]) == (corrected, total)
        assert agencies[key]["reconsideration_correction_rate"] == round(corrected / total, 6)
    for key, (appeared, required) in planted.EXPECTED["agency_appearance"].items():
        assert agencies[key]["head_appearance_rate"] == round(appeared / required, 6)
    assert agencies[("甲县自然资源局", 2023)]["region"] == "甲县"
    assert agencies[("某市生态环境局", 2023)]["level"] == "city"
    fields = {(r["field"], r["year"]): r["cases"] for r in report.tables["field_year"]}
    assert fields == {("ecology_environment", 2023): 2, ("market_regulation", 2022): 3,
                      ("market_regulation", 2023): 7, ("natural_resources", 2023): 7}
    field_rates = {(r["field"], r["year"]): (r["lost"], r["litigated"], r["litigation_loss_rate"])
                   for r in report.tables["field_year"]}
    assert field_rates == {k: (n, d, round(n / d, 6)) for k, (n, d) in planted.EXPECTED["field_loss"].items()}
    assert report.notes == []
    assert report.undated == planted.EXPECTED["undated"]
    definitions = {(r["definition"], r["year"]): r["count"] for r in report.tables["definitions"]}
    assert definitions == {("T1", 2022): 3, ("T1", 2023): 13, ("T3", 2023): 3}
    assert sum(r["count"] for r in report.tables["persons"]) == len(planted.cases())


def test_flags_name_rule_and_source(report) -> None:  # type: ignore[no-untyped-def]
    county = [f for f in report.flags if f.rule == "ST-county-loss-rate"]
    assert [(f.group, f.year, f.numerator, f.denominator) for f in county] == planted.EXPECTED["county_flags"]
    flag = county[0]
    assert flag.value == 0.35 and flag.threshold == "> 30%"
    assert flag.source.startswith("rules/reporting.yaml:")
    line = int(flag.source.rsplit(":", 1)[1])
    assert "- id: ST-county-loss-rate" in (ROOT / "rules" / "reporting.yaml").read_text(encoding="utf-8").splitlines()[
        line - 1]
    assert flag.citations == ["参照 黔西南州行政错案问责追责工作机制（“四必”、败诉率书面报告、专家评审） 无条文（2023）"]
    assert flag.action == "向市（州）人民政府作出书面报告"
    # 乙县 2022 is exactly at 30 % (not above); 某市 is a city, not a county, at 50 %
    field = [(f.group, f.year, f.numerator) for f in report.flags if f.rule == "ST-field-repeat-losses"]
    assert field == planted.EXPECTED["field_flags"]


def test_order_of_the_corpus_does_not_matter(engine: Engine, report) -> None:  # type: ignore[no-untyped-def]
    inputs = list(source_for(str(CORPUS)).inputs(engine))
    random.Random(7).shuffle(inputs)
    again = compute_stats(engine.rulebook, inputs, read_caseload(CASELOAD))
    assert to_json(again) == to_json(report)


def test_outputs(report, default_book) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(to_json(report))
    assert data["flags"][0]["rule"] == "ST-county-loss-rate" and data["has_caseload"] is True
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    hit = [r for r in rows if r["table"] == "region_year" and r["group"] == "甲县" and r["metric"] == "litigation_loss_rate"]
    assert hit == [{"table": "region_year", "group": "甲县", "year": "2023", "metric": "litigation_loss_rate",
                    "value": "0.35"}]
    text = to_text(report, default_book)
    assert "[ST-county-loss-rate]" in text and "甲县 2023 = 35.00% (7/20) > 30%" in text
    assert "@ rules/reporting.yaml:" in text


def test_without_caseload_counts_only(engine: Engine) -> None:
    report = compute_corpus(engine, [str(CORPUS)])
    assert all(r["litigation_loss_rate"] is None for r in report.tables["agency_year"])
    assert {f.rule for f in report.flags} == {"ST-field-repeat-losses"}
    assert "未提供案件总量表" in to_text(report, engine.rulebook)


def test_paired_records_give_the_same_report(engine: Engine, tmp_path: Path, report) -> None:  # type: ignore[no-untyped-def]
    lines = []
    for data in planted.cases():
        case = parse_case(data)
        rec = engine.evaluate(case)
        lines.append(json.dumps({"case": data, "recommendation": rec.model_dump(mode="json")}, ensure_ascii=False))
    paired = tmp_path / "records.jsonl"
    paired.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert isinstance(source_for(str(paired)), PairedJsonl)
    assert to_json(compute_corpus(engine, [str(paired)], read_caseload(CASELOAD))) == to_json(report)


def test_directory_of_case_files(engine: Engine, tmp_path: Path) -> None:
    for i, data in enumerate(planted.cases()[:3]):
        (tmp_path / f"c{i}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    src = source_for(str(tmp_path))
    assert isinstance(src, CaseFiles)
    got = [i.case.case.id for i in src.inputs(engine)]
    assert got == ["ST-001", "ST-002", "ST-003"]


def test_charts(report, default_book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("matplotlib")
    require_cjk_font()
    from accountrules.stats.charts import write_charts

    paths = write_charts(report, default_book, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{s}.{e}" for s in ("trend", "rates", "items") for e in ("png", "svg"))
    for p in paths:
        if p.suffix == ".png":
            assert p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and p.stat().st_size > 5000
        else:
            ET.fromstring(p.read_bytes())  # well-formed XML
    rates = (tmp_path / "rates.svg").read_text(encoding="utf-8")
    assert 'id="threshold-ST-county-loss-rate"' in rates
    again = write_charts(report, default_book, tmp_path / "again")
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


def test_charts_refuse_without_a_cjk_font(report, default_book, tmp_path: Path,  # type: ignore[no-untyped-def]
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    from accountrules.stats.charts import ChartsUnavailable, write_charts

    monkeypatch.setenv("ACCOUNTRULES_CJK_FONT", str(tmp_path / "missing.ttf"))
    with pytest.raises(ChartsUnavailable, match="no such font file"):
        write_charts(report, default_book, tmp_path)


def test_cli_stats(tmp_path: Path) -> None:
    require_cjk_font()
    runner = CliRunner()
    res = runner.invoke(cli, ["stats", str(CORPUS), "--caseload", str(CASELOAD), "--format", "json", "--charts",
                              str(tmp_path / "charts")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "charts" / "rates.svg").is_file()
    bad = tmp_path / "caseload.csv"
    bad.write_text("agency,year,litigated,reconsideration,appearances_required,levl\n"
                   "甲县自然资源局,2023,ten,8,6,county\n", encoding="utf-8")
    res = runner.invoke(cli, ["stats", str(CORPUS), "--caseload", str(bad)])
    assert res.exit_code == 1
    assert f"{bad}:1:6: unknown-key" in res.output and "did you mean 'level'" in res.output
    bad.write_text("agency,year,litigated,reconsideration,appearances_required\n甲县自然资源局,2023,ten,8,6\n"
                   "甲县自然资源局,2023,1,8,6\n甲县自然资源局,2023,1,8,6\n", encoding="utf-8")
    res = runner.invoke(cli, ["stats", str(CORPUS), "--caseload", str(bad)])
    assert res.exit_code == 1
    assert f"{bad}:2:3: bad-value" in res.output and f"{bad}:4:1: duplicate-id" in res.output
    res = runner.invoke(cli, ["stats", str(tmp_path / "nothing.jsonl")])
    assert res.exit_code == 1 and "no such file" in res.output


def test_bad_corpus_lines(engine: Engine, tmp_path: Path) -> None:
    p = tmp_path / "r.jsonl"
    p.write_text(json.dumps({"case": planted.cases()[0], "recommendation": {"case_id": "x"}}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidCase) as exc:
        list(PairedJsonl(p).inputs(engine))
    assert exc.value.diagnostics[0].path == f"{p}:1" and "recommendation." in exc.value.diagnostics[0].message
    p.write_text(json.dumps({"recommendation": {}}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidCase, match="pair it with its case"):
        list(PairedJsonl(p).inputs(engine))
    with pytest.raises(InvalidCase, match="no corpus adapter for 'records://'"):
        source_for("records://decisions.db")


def test_threshold_rules_are_validated(tmp_path: Path) -> None:
    book_dir = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", book_dir)
    path = book_dir / "reporting.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    above: 0.30\n", "    above: 0.30\n    at_least: 3\n", 1)
    text = text.replace("    channels: [state_sanction, enforcement_fault, enforcement_fault_party]",
                        "    channels: [state_sanction, enforcment_fault, enforcement_fault_party]")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(book_dir)
    msgs = format_text(exc.value.diagnostics).splitlines()
    lines = text.splitlines()
    th = next(i for i, ln in enumerate(lines, 1) if "- id: ST-county-loss-rate" in ln)
    assert any(m.startswith(f"{book_dir}/reporting.yaml:{th}:") and "exactly one of" in m for m in msgs), msgs
    assert any("unknown channel 'enforcment_fault'" in m and "did you mean 'enforcement_fault'" in m for m in msgs)
    # a knock-on of the misspelling, not reported again (validate reports independent problems only)
    assert not any("no deciding body lists channel 'enforcement_fault'" in m for m in msgs)


def test_stat_input_is_the_adapter_contract(engine: Engine) -> None:
    """What an adapter (e.g. a decision-record database) must yield: cases with their recommendations."""

    class Records:
        def inputs(self, engine: Engine):  # type: ignore[no-untyped-def]
            for data in planted.cases():
                case = parse_case(data)
                yield StatInput(case, engine.evaluate(case), f"record:{case.case.id}")

    report = compute_stats(engine.rulebook, Records().inputs(engine), read_caseload(CASELOAD))
    assert [f.group for f in report.flags if f.rule == "ST-county-loss-rate"] == ["甲县"]


def test_unknown_code_in_a_corpus_names_the_line(engine: Engine, tmp_path: Path) -> None:
    cases = planted.cases()[:2]
    cases[1]["case"]["findings"][0]["item"] = "P9"
    p = tmp_path / "c.jsonl"
    p.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    with pytest.raises(InvalidCase) as exc:
        compute_corpus(engine, [str(p)])
    d = exc.value.diagnostics[0]
    assert d.path == f"{p}:2" and "unknown item 'P9'" in d.message
