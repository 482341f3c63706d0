"""Decision records on SQLite and on a real PostgreSQL server: concurrent writers (one killed),
verify (untouched and tampered), audit (a planted unequal pair, drift), masking.

PostgreSQL comes from ``ACCOUNTRULES_TEST_PG_URL`` (``.ci/run`` starts a server and sets it); under
CI (``CI=true``) a missing URL is a failure, elsewhere the PostgreSQL half is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")
import sqlalchemy as sa

from accountrules import Engine, load_rulebook
from accountrules.intake import read_case_file
from accountrules.records import Mask, RecordStore
from accountrules.records.audit import audit, relevant_facts
from accountrules.records.store import decisions, snapshot_files
from accountrules.records.verify import Verifier
from accountrules.render import to_json

from .conftest import EXAMPLE, ROOT


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty records database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "records.db")
        return
    url = os.environ.get("ACCOUNTRULES_TEST_PG_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but ACCOUNTRULES_TEST_PG_URL is not set: .ci/run must start PostgreSQL")
        pytest.skip("no PostgreSQL server (set ACCOUNTRULES_TEST_PG_URL)")
    pytest.importorskip("psycopg")
    import psycopg

    name = f"ar_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base = url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def engine_v1() -> Engine:
    return Engine(load_rulebook(), backend="python")


@pytest.fixture(scope="module")
def rules_v2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default rulebook with one matrix cell raised (G2 direct: notified criticism → talk)."""
    src = Path(load_rulebook().directory)
    dst = tmp_path_factory.mktemp("v2") / "rules"
    shutil.copytree(src, dst)
    g = dst / "grading.yaml"
    text = g.read_text(encoding="utf-8")
    old = "    G2:\n      direct: notified_criticism\n"
    assert old in text
    g.write_text(text.replace(old, "    G2:\n      direct: talk\n"), encoding="utf-8")
    m = dst / "rulebook.yaml"
    m.write_text(m.read_text(encoding="utf-8").replace('version: "2026.11.0"', 'version: "2026.12.0"'),
                 encoding="utf-8")
    return dst


@pytest.fixture(scope="module")
def engine_v2(rules_v2: Path) -> Engine:
    return Engine(load_rulebook(rules_v2, display_root="rules"), backend="python")


def _case(**changes: Any) -> dict[str, Any]:
    data = read_case_file(EXAMPLE).model_dump(mode="json")
    data["case"].update(changes)
    return data


def _record(store: RecordStore, engine: Engine, data: dict[str, Any], lang: str = "zh") -> Any:
    from accountrules.models import Case

    case = Case.model_validate(data)
    return store.record(case, to_json(engine.evaluate(case, lang=lang)), engine, lang=lang, detail="full")


_WRITER = textwrap.dedent("""
    import sys
    from accountrules import Engine, load_rulebook
    from accountrules.intake import read_case_file
    from accountrules.records import RecordStore
    from accountrules.render import to_json
    url, w, n, example = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    engine = Engine(load_rulebook(), backend="python")
    store = RecordStore(url)
    store.create_schema()
    base = read_case_file(example).model_dump(mode="json")
    print("ready", flush=True)
    for i in range(n):
        base["case"]["id"] = f"W{w}-{i}"
        case = engine._parse_case(base)
        store.record(case, to_json(engine.evaluate(case)), engine, lang="zh", detail="full")
        print(i, flush=True)
    print("done", flush=True)
""")


def test_concurrent_writers_one_killed_mid_write(db: str) -> None:
    n = 40
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, db, str(w), str(n), str(EXAMPLE)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(4)]
    victim = procs[3]
    assert victim.stdout is not None
    for line in victim.stdout:  # let it write a few, then kill it while it keeps writing
        if line.strip().isdigit() and int(line) >= 4:
            break
    time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    for p in procs[:3]:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        assert out.strip().endswith("done")
    store = RecordStore(db)
    recs = list(store.records())
    by_writer: dict[str, int] = {}
    for r in recs:
        assert r.computed_digest() == r.record_digest  # every row whole: nothing torn
        json.loads(r.input_json)
        json.loads(r.output_json)
        by_writer[r.case_id.split("-")[0]] = by_writer.get(r.case_id.split("-")[0], 0) + 1
    assert [by_writer.get(f"W{w}") for w in range(3)] == [n, n, n]  # nothing lost
    assert 5 <= by_writer["W3"] < n
    v = Verifier(store)
    try:
        assert all(v.verify(r).ok for r in recs[:: max(1, len(recs) // 12)])
    finally:
        v.close()
        store.close()


def _tamper(store: RecordStore, decision_id: str, **values: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(decisions.update().where(decisions.c.decision_id == decision_id).values(**values))


def test_verify_untouched_and_tampered(db: str, engine_v1: Engine) -> None:
    store = RecordStore(db)
    store.create_schema()
    a, b, c = (_record(store, engine_v1, _case(id=f"T-{i}")) for i in range(3))
    v = Verifier(store)
    try:
        assert v.verify(store.get(a.decision_id)).ok  # type: ignore[arg-type]
        # the output: one sanction level changed (the digest too, as a careful forger would)
        out = b.output_json.replace('"level": "notified_criticism"', '"level": "talk"', 1)
        _tamper(store, b.decision_id, output_json=out)
        res = v.verify(store.get(b.decision_id))  # type: ignore[arg-type]
        assert not res.ok
        paths = {(d.what, d.path) for d in res.differences}
        assert ("output", "persons[0].level") in paths and ("record-digest", "") in paths
        lvl = next(d for d in res.differences if d.path == "persons[0].level")
        assert (lvl.recorded, lvl.recomputed) == ("talk", "notified_criticism")
        # the input: the person's fault made heavier
        data = json.loads(c.input_json)
        data["persons"][0]["fault"] = "gross_negligence"
        _tamper(store, c.decision_id, input_json=json.dumps(data, sort_keys=True, ensure_ascii=False,
                                                            separators=(",", ":")))
        res = v.verify(store.get(c.decision_id))  # type: ignore[arg-type]
        assert ("input", "") in {(d.what, d.path) for d in res.differences}
    finally:
        v.close()
    # the rulebook snapshot: one rule file changed
    with store.engine.begin() as conn:
        row = conn.execute(sa.select(snapshot_files.c.content).where(snapshot_files.c.path == "grading.yaml")).one()
        changed = bytes(row[0]).replace(b"direct: notified_criticism", b"direct: talk", 1)
        conn.execute(snapshot_files.update().where(snapshot_files.c.path == "grading.yaml").values(content=changed))
    v = Verifier(store)
    try:
        res = v.verify(store.get(a.decision_id))  # type: ignore[arg-type]
        assert [(d.what, d.path) for d in res.differences] == [("rulebook-snapshot", "files")]
    finally:
        v.close()
        store.close()


def test_audit_finds_unequal_pair_and_drift(db: str, engine_v1: Engine, engine_v2: Engine, rules_v2: Path) -> None:
    store = RecordStore(db)
    store.create_schema()
    first = _record(store, engine_v1, _case(id="A-1"))
    # the same legally relevant facts, other names, ids, notes and dates, decided under v2
    twin = _case(id="A-2", decided_on="2024-02-01")
    twin["case"]["agency"]["name"] = "另一县自然资源局"
    twin["persons"] = [dict(p, id=f"x{i}", name=f"某{i}") for i, p in enumerate(twin["persons"])][::-1]
    twin["case"]["findings"] = [dict(f, persons=[f"x{int(pid[1:]) - 1}" for pid in f["persons"]], note="另写")
                                for f in twin["case"]["findings"]]
    second = _record(store, engine_v2, twin)
    other = _record(store, engine_v1, _case(id="B-1", effective=False))  # not an error case: v2 changes nothing
    assert relevant_facts(engine_v1._parse_case(_case(id="A-1")))["case"] == relevant_facts(
        engine_v1._parse_case(twin))["case"]
    report = audit(store.records(), engine_v2)
    assert report.records == 3 and not report.unreadable
    [breach] = report.breaches
    ids = [[r["decision_id"] for r in var["records"]] for var in breach.variants]
    assert ids == [[first.decision_id], [second.decision_id]]
    assert any(p.endswith("level") and a == "notified_criticism" and b == "talk" for p, a, b in breach.differences)
    assert [d.record["decision_id"] for d in report.drift] == [first.decision_id]
    assert other.decision_id not in {d.record["decision_id"] for d in report.drift}
    table = report.format_table()
    assert "Equal-treatment breaches: 1" in table and first.decision_id in table
    store.close()
    from click.testing import CliRunner

    from accountrules.cli import cli

    r = CliRunner().invoke(cli, ["audit", "--db", db, "--rules", str(rules_v2), "--format", "json"])
    assert r.exit_code == 1, r.output  # a breach
    data = json.loads(r.output)
    assert len(data["equal_treatment_breaches"]) == 1 and len(data["drift"]) == 1
    r = CliRunner().invoke(cli, ["verify", first.decision_id, second.decision_id, "--db", db])
    assert r.exit_code == 0 and r.output.count(": match") == 2, r.output


def test_masked_records_verify_and_audit(db: str, engine_v1: Engine, tmp_path: Path) -> None:
    mask_file = tmp_path / "mask.yaml"
    mask_file.write_text("mask:\n  - persons[*].name\n  - persons[*].id\n  - case.findings[*].note\n"
                         "  - case.agency.name\n", encoding="utf-8")
    store = RecordStore(db, mask=Mask.from_file(str(mask_file), "s3cret"))
    store.create_schema()
    data = _case(id="M-1")
    rec = _record(store, engine_v1, data)
    stored = rec.input_json
    for p in data["persons"]:
        assert p["name"] not in stored and f'"{p["id"]}"' not in stored
    assert data["case"]["agency"]["name"] not in stored and data["case"]["agency"]["name"] not in rec.output_json
    v = Verifier(store)
    try:
        res = v.verify(rec)
        assert res.ok and any("masked" in n for n in res.notes)
    finally:
        v.close()
    from accountrules.models import Case

    assert relevant_facts(Case.model_validate(json.loads(stored))) == relevant_facts(Case.model_validate(data))
    store.close()


def test_mask_refuses_legally_relevant_fields(tmp_path: Path) -> None:
    from accountrules.records import MaskError

    with pytest.raises(MaskError, match="persons\\[\\*\\].role' cannot be masked"):
        Mask(["persons[*].role"], "salt")
    with pytest.raises(MaskError, match="salt"):
        Mask(["persons[*].name"], "")


def test_evaluate_record_option(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from accountrules.cli import cli

    db = tmp_path / "cli.db"
    r = CliRunner().invoke(cli, ["evaluate", str(EXAMPLE), "--backend", "python", "--record", str(db)])
    assert r.exit_code == 0, r.output
    store = RecordStore(str(db))
    [rec] = list(store.records())
    assert rec.output_json == r.output and rec.backend == "python"
    store.close()
    assert (ROOT / "examples").is_dir()


def test_seal_catches_a_forger_who_recomputes_the_digest(db: str, engine_v1: Engine, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    store = RecordStore(db, key=b"k3y")
    store.create_schema()
    rec = _record(store, engine_v1, _case(id="S-1"))
    assert rec.seal and Verifier(store, key=b"k3y").verify(rec).ok
    forged = replace(rec, output_json=rec.output_json.replace('"rank": 2', '"rank": 1', 1))
    forged = replace(forged, record_digest=forged.computed_digest())
    _tamper(store, rec.decision_id, output_json=forged.output_json, record_digest=forged.record_digest)
    res = Verifier(store, key=b"k3y").verify(store.get(rec.decision_id))  # type: ignore[arg-type]
    assert ("seal", "") in {(d.what, d.path) for d in res.differences}
    assert ("record-digest", "") not in {(d.what, d.path) for d in res.differences}
    # a record exported as JSON is verified the same way, from the command line
    exported = tmp_path / "record.json"
    exported.write_text(json.dumps(rec.as_dict(), ensure_ascii=False), encoding="utf-8")
    from click.testing import CliRunner

    from accountrules.cli import cli

    monkeypatch.setenv("ACCOUNTRULES_RECORDS_KEY", "k3y")
    r = CliRunner().invoke(cli, ["verify", str(exported), "--db", db, "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.output)[0]["verdict"] == "match", r.output
    r = CliRunner().invoke(cli, ["verify", rec.decision_id, "--db", db])
    assert r.exit_code == 1 and "differs: seal" in r.output
    store.close()
