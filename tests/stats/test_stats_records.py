"""``accountrules stats`` over the decision-record database, on SQLite and on a real PostgreSQL server: the
planted corpus recorded (one case re-evaluated, one record of another rulebook) reports exactly the planted
rates and the 35 % county flag; bad databases give one clear line.

PostgreSQL comes from ``ACCOUNTRULES_TEST_PG_URL`` (``source .ci/postgres.sh``); under CI (``CI=true``) a
missing URL is a failure, elsewhere the PostgreSQL half is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from accountrules import Engine, load_rulebook
from accountrules.cli import cli
from accountrules.contract.intake import parse_case, read_case_file
from accountrules.errors import InvalidCase
from accountrules.stats import DecisionRecords, compute_corpus, read_caseload, source_for
from accountrules.stats.output import to_json, to_text

from .. import stats_corpus as planted

pytest.importorskip("pandas")
pytest.importorskip("sqlalchemy")

from accountrules.records import RecordStore
from accountrules.render import to_json as rec_json

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "examples" / "stats" / "cases.jsonl"
CASELOAD = ROOT / "examples" / "stats" / "caseload.csv"
SHANDONG_CASE = ROOT / "examples" / "shandong-supervision" / "sd-2024-031.yaml"


@pytest.fixture(scope="module")
def py_engine() -> Engine:
    return Engine(load_rulebook(), backend="python")


def _record(store: RecordStore, engine: Engine, data: dict[str, Any], lang: str = "zh") -> None:
    case = parse_case(data)
    store.record(case, rec_json(engine.evaluate(case, lang=lang)), engine, lang=lang, detail="full")


def _plant(target: str, engine: Engine) -> None:
    """The planted corpus as decision records, with two traps: ST-001 first recorded as upheld (not lost)
    and re-evaluated later as revoked, and one record of the Shandong rulebook."""
    store = RecordStore(target)
    store.create_schema()
    cases = planted.cases()
    first = json.loads(json.dumps(cases[0]))
    first["case"]["outcome"] = "upheld"
    _record(store, engine, first)
    for i, data in enumerate(cases):
        _record(store, engine, data, lang="en" if i % 5 == 0 else "zh")  # the language does not matter
    sd = Engine(load_rulebook("shandong-supervision"), backend="python")
    store.record(read_case_file(SHANDONG_CASE), rec_json(sd.evaluate(read_case_file(SHANDONG_CASE))), sd,
                 lang="zh", detail="full")
    store.close()


def _without_notes(report_json: str) -> dict[str, Any]:
    data = json.loads(report_json)
    data.pop("notes")
    return data


def test_records_report_the_planted_rates(db: str, py_engine: Engine) -> None:
    _plant(db, py_engine)
    load = read_caseload(CASELOAD)
    from_records = compute_corpus(py_engine, [], load, db=[db], lang="en")
    from_files = compute_corpus(py_engine, [str(CORPUS)], load, lang="en")
    assert _without_notes(to_json(from_records)) == _without_notes(to_json(from_files))
    regions = {(r["region"], r["year"]): r for r in from_records.tables["region_year"]}
    for key, (lost, litigated) in planted.EXPECTED["region_loss"].items():
        assert (regions[key]["lost"], regions[key]["litigated"]) == (lost, litigated)
    assert regions[("甲县", 2023)]["litigation_loss_rate"] == 0.35
    county = [f for f in from_records.flags if f.rule == "ST-county-loss-rate"]
    assert [(f.group, f.year, f.numerator, f.denominator) for f in county] == planted.EXPECTED["county_flags"]
    assert county[0].source.startswith("rules/reporting.yaml:")
    n, version = len(planted.cases()), py_engine.rulebook.manifest.version
    assert (f"{db}: {n} cases from {n + 1} decision records of rulebook guizhou-bijie-default (versions {version}); "
            "1 earlier records of re-evaluated cases not counted") in from_records.notes
    assert f"{db}: 1 records of another rulebook (shandong-supervision) not counted" in from_records.notes
    text = to_text(from_records, py_engine.rulebook)
    assert "甲县 2023 = 35.00% (7/20) > 30%" in text and "records of another rulebook" in text
    zh = compute_corpus(py_engine, [], load, db=[db])
    assert f"{db}：其他规则集（shandong-supervision）的记录1条未计入" in zh.notes
    assert (f"{db}：规则集 guizhou-bijie-default 的决策记录{n + 1}条，计{n}个案件（版本 {version}）；"
            "同一案件重新评估前的较早记录1条未计入") in zh.notes


def test_records_through_the_cli_and_as_a_url(db: str, py_engine: Engine) -> None:
    _plant(db, py_engine)
    runner = CliRunner()
    res = runner.invoke(cli, ["stats", "--db", db, "--caseload", str(CASELOAD), "--format", "json",
                              "--backend", "python"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [(f["group"], f["year"]) for f in data["flags"] if f["rule"] == "ST-county-loss-rate"] == [("甲县", 2023)]
    url = db if "://" in db else f"sqlite:///{db}"
    assert isinstance(source_for(url), DecisionRecords)
    res2 = runner.invoke(cli, ["stats", url, "--caseload", str(CASELOAD), "--format", "json", "--backend", "python"])
    assert res2.exit_code == 0, res2.output
    assert json.loads(res2.output)["tables"] == data["tables"]


def test_records_of_the_wrong_kind(tmp_path: Path, py_engine: Engine) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["stats", "--db", str(tmp_path / "none.db"), "--backend", "python"])
    assert res.exit_code == 1 and "none.db: file-not-found: no records database at this path" in res.output
    not_db = tmp_path / "cases.db"
    not_db.write_text("not a database\n", encoding="utf-8")
    res = runner.invoke(cli, ["stats", "--db", str(not_db), "--backend", "python"])
    assert res.exit_code == 1 and "cannot read decision records" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(cli, ["stats", "--backend", "python"])
    assert res.exit_code == 2 and "give a CORPUS" in res.output
    with pytest.raises(InvalidCase, match="cannot read decision records"):
        compute_corpus(py_engine, ["postgresql://someone:secret@127.0.0.1:1/none"])
    try:
        compute_corpus(py_engine, ["postgresql://someone:secret@127.0.0.1:1/none"])
    except InvalidCase as exc:
        assert "secret" not in str(exc.diagnostics) and "***" in exc.diagnostics[0].path


def test_a_tampered_record_names_the_decision(tmp_path: Path, py_engine: Engine) -> None:
    import sqlalchemy as sa

    from accountrules.records.store import decisions

    target = str(tmp_path / "r.db")
    store = RecordStore(target)
    store.create_schema()
    _record(store, py_engine, planted.cases()[0])
    with store.engine.begin() as conn:
        conn.execute(sa.update(decisions).values(output_json='{"case_id": "ST-001"}'))
        did = conn.execute(sa.select(decisions.c.decision_id)).scalar_one()
    store.close()
    with pytest.raises(InvalidCase) as exc:
        compute_corpus(py_engine, [], db=[target])
    d = exc.value.diagnostics[0]
    assert d.path == f"{target}#{did}" and d.message.startswith("recommendation.")
