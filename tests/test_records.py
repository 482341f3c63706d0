"""Decision records on SQLite and on a real PostgreSQL server: concurrent writers (one killed),
verify (untouched and tampered), audit (a planted unequal pair, drift), masking.

PostgreSQL comes from ``ACCOUNTRULES_TEST_PG_URL`` (``.ci/run`` starts a server and sets it); under
CI (``CI=true``) a missing URL is a failure, elsewhere the PostgreSQL half is skipped.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")
import sqlalchemy as sa

from accountrules import Engine, load_rulebook
from accountrules.intake import parse_case, read_case_file
from accountrules.records import Mask, RecordStore
from accountrules.records.audit import audit, relevant_facts
from accountrules.records.store import decisions, snapshot_files
from accountrules.records.verify import Verifier
from accountrules.render import to_json

from .conftest import EXAMPLE, NEWER_LAW, ROOT


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


def _record(store: RecordStore, engine: Engine, data: dict[str, Any], lang: str = "zh", as_of: str | None = None
            ) -> Any:
    from accountrules.models import Case

    case = Case.model_validate(data)
    return store.record(case, to_json(engine.evaluate(case, lang=lang, as_of=as_of)), engine, lang=lang,
                        detail="full", as_of=as_of)


_WRITER = textwrap.dedent("""
    import sys
    from accountrules import Engine, load_rulebook
    from accountrules.intake import parse_case, read_case_file
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
        case = parse_case(base)
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
    # (dates in the same periods of the law: decisions under different law are not compared)
    twin = _case(id="A-2", decided_on="2023-07-20", conduct_date="2022-12-01")
    twin["case"]["agency"]["name"] = "另一县自然资源局"
    twin["persons"] = [dict(p, id=f"x{i}", name=f"某{i}") for i, p in enumerate(twin["persons"])][::-1]
    twin["case"]["findings"] = [dict(f, persons=[f"x{int(pid[1:]) - 1}" for pid in f["persons"]], note="另写")
                                for f in twin["case"]["findings"]]
    second = _record(store, engine_v2, twin)
    other = _record(store, engine_v1, _case(id="B-1", effective=False))  # not an error case: v2 changes nothing
    assert relevant_facts(parse_case(_case(id="A-1")))["case"] == relevant_facts(parse_case(twin))["case"]
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


# --------------------------------------------------------------------------- the date of evaluation (as_of)


@pytest.fixture(scope="module")
def engine_newer_law(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The default rulebook and a lighter law from 2024-01-01: under 从旧兼从轻 the date of evaluation
    changes a sanction (conduct 2023-09-01 decided 2023-11-01: notified criticism; as of 2024-03-01:
    criticism and education)."""
    dst = tmp_path_factory.mktemp("newer") / "rules"
    shutil.copytree(Path(load_rulebook().directory), dst)
    (dst / "zz_newer_law.yaml").write_text(NEWER_LAW, encoding="utf-8")
    return Engine(load_rulebook(dst, display_root="rules"), backend="python")


def _dated(**changes: Any) -> dict[str, Any]:
    return _case(decided_on="2023-11-01", conduct_date="2023-09-01", **changes)


def _p1_level(rec: Any) -> str:
    return str(json.loads(rec.output_json)["persons"][0]["level"])


def test_as_of_recorded_verified_and_tampering_found(db: str, engine_newer_law: Engine) -> None:
    store = RecordStore(db)
    store.create_schema()
    dated = _record(store, engine_newer_law, _dated(id="D-1"), as_of="2024-03-01")
    plain = _record(store, engine_newer_law, _dated(id="D-2"))
    assert (dated.as_of, plain.as_of) == ("2024-03-01", None)
    assert (_p1_level(dated), _p1_level(plain)) == ("criticism_education", "notified_criticism")
    assert store.get(dated.decision_id) == dated and store.get(plain.decision_id) == plain
    v = Verifier(store)
    try:
        res = v.verify(dated)
        assert res.ok and res.as_of == "2024-03-01" and "(as of 2024-03-01)" in res.format(), res.format()
        assert v.verify(plain).ok
        # as_of removed: the digest no longer matches, and the recomputation gives the older law's sanction
        _tamper(store, dated.decision_id, as_of=None)
        res = v.verify(store.get(dated.decision_id))  # type: ignore[arg-type]
        found = {(d.what, d.path): d for d in res.differences}
        assert ("record-digest", "") in found
        lvl = found[("output", "persons[0].level")]
        assert (lvl.recorded, lvl.recomputed) == ("criticism_education", "notified_criticism")
        # as_of added to a record made without it, by a forger who recomputes the digest
        from dataclasses import replace

        forged = replace(plain, as_of="2024-03-01")
        forged = replace(forged, record_digest=forged.computed_digest())
        _tamper(store, plain.decision_id, as_of=forged.as_of, record_digest=forged.record_digest)
        res = v.verify(store.get(plain.decision_id))  # type: ignore[arg-type]
        assert [(d.what, d.path) for d in res.differences if d.what != "output" or d.path == "persons[0].level"] \
            == [("output", "persons[0].level")]
        # as_of that is not a date
        _tamper(store, plain.decision_id, as_of="2024-13-01")
        res = v.verify(store.get(plain.decision_id))  # type: ignore[arg-type]
        assert ("as_of", "") in {(d.what, d.path) for d in res.differences}
    finally:
        v.close()
        store.close()


OLD_SEALED = ("decision_id", "recorded_at", "case_id", "input_digest", "input_json", "masked", "output_digest",
              "output_json", "lang", "detail", "rulebook_id", "rulebook_version", "rulebook_sha256",
              "files_digest", "engine_version", "backend")


def test_database_made_before_as_of_reads_verifies_and_is_upgraded(db: str, engine_v1: Engine) -> None:
    """A database whose ``decisions`` table has no ``as_of`` column (made by the first release): its
    records read and verify as they are; ``create_schema`` adds the column; old and new records live
    side by side."""
    from accountrules.records.store import canonical, metadata, sha256

    old_meta = sa.MetaData()
    sa.Table("decisions", old_meta, *[c._copy() for c in decisions.c if c.name != "as_of"])
    store = RecordStore(db)
    with store.engine.begin() as conn:
        old_meta.create_all(conn)
        metadata.create_all(conn, tables=[metadata.tables["rulebook_snapshots"], snapshot_files])
    assert "as_of" not in store.columns()
    old = _record(store, engine_v1, _case(id="OLD-1"))
    assert old.as_of is None
    # the digest is the first release's: over the same fields, no as_of
    assert old.record_digest == sha256(canonical({k: old.as_dict()[k] for k in OLD_SEALED}))
    [read] = list(store.records())
    assert read == old and store.get(old.decision_id) == old
    v = Verifier(store)
    try:
        assert v.verify(read).ok
        store.create_schema()  # the upgrade: ALTER TABLE … ADD COLUMN as_of
        store.create_schema()  # idempotent
        assert "as_of" in store.columns()
        new = _record(store, engine_v1, _case(id="NEW-1", decided_on="2025-05-30", conduct_date="2025-01-02"),
                      as_of="2025-06-02")
        recs = {r.decision_id: r for r in store.records()}
        assert recs[old.decision_id].as_of is None and recs[new.decision_id].as_of == "2025-06-02"
        assert all(v.verify(r).ok for r in recs.values())
    finally:
        v.close()
        store.close()
    # a record exported as JSON by the first release (no as_of key) still verifies from the command line
    from click.testing import CliRunner

    from accountrules.cli import cli

    exported = {k: v for k, v in old.as_dict().items() if k != "as_of"}
    path = Path(tempfile_dir()) / "old-record.json"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(cli, ["verify", str(path), "--db", db, "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.output)[0]["verdict"] == "match", r.output


def tempfile_dir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="ar-old-record-")


def test_evaluate_record_keeps_as_of_and_verify_uses_it(db: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from accountrules.cli import cli

    f = tmp_path / "case.json"
    f.write_text(json.dumps(_case(id="C-1", decided_on="2025-05-30", conduct_date="2025-01-02",
                                  history={"same_issue_lost_before": True},
                                  supervision_recommendation_refused=True), ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(cli, ["evaluate", str(f), "--backend", "python", "--record", db, "--as-of", "2025-06-02"])
    assert r.exit_code == 0, r.output
    assert "2024年修正" in r.output  # the text in force on the date of evaluation
    lines = tmp_path / "cases.jsonl"
    lines.write_text(f.read_text(encoding="utf-8").replace("C-1", "C-2") + "\n", encoding="utf-8")
    b = CliRunner().invoke(cli, ["evaluate", str(lines), "--backend", "python", "--record", db,
                                 "--as-of", "2025-06-02"])
    assert b.exit_code == 0, b.output
    store = RecordStore(db)
    recs = {x.case_id: x for x in store.records()}
    store.close()
    assert recs["C-1"].as_of == recs["C-2"].as_of == "2025-06-02" and recs["C-1"].output_json == r.output
    v = CliRunner().invoke(cli, ["verify", recs["C-1"].decision_id, recs["C-2"].decision_id, "--db", db])
    assert v.exit_code == 0 and v.output.count(": match (as of 2025-06-02)") == 2, v.output


def test_audit_compares_like_with_like(db: str, engine_newer_law: Engine) -> None:
    """Equal facts, two dates of evaluation on either side of a lighter law: two outcomes, rightly —
    neither drift (each re-evaluated with its own as_of) nor an equal-treatment breach (different
    law). The same pair under the same law is a breach."""
    store = RecordStore(db)
    store.create_schema()
    later = _record(store, engine_newer_law, _dated(id="L-1"), as_of="2024-03-01")
    earlier = _record(store, engine_newer_law, _dated(id="L-2"))
    assert _p1_level(later) != _p1_level(earlier)
    report = audit(store.records(), engine_newer_law)
    assert report.records == 2 and not report.unreadable
    assert report.drift == [] and report.breaches == []
    # the same law but another outcome: a record whose as_of is set to the other's date of evaluation
    # (recorded as of 2023-11-01, the decision date: the same law as the record made without as_of)
    odd = _record(store, engine_newer_law, _dated(id="L-3"), as_of="2023-11-01")
    from dataclasses import replace

    forged = replace(odd, output_json=later.output_json.replace('"L-1"', '"L-3"'))
    _tamper(store, odd.decision_id, output_json=forged.output_json)
    report = audit(store.records(), engine_newer_law)
    [breach] = report.breaches
    ids = sorted(r["decision_id"] for var in breach.variants for r in var["records"])
    assert ids == sorted([earlier.decision_id, odd.decision_id])
    assert breach.facts["law"]["evaluation"] == "2021-07-15..2024-01-01"
    assert [d.record["decision_id"] for d in report.drift] == [odd.decision_id]
    assert report.drift[0].record["as_of"] == "2023-11-01"
    store.close()


def test_verify_and_audit_refuse_what_is_not_a_records_database(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from accountrules.cli import cli

    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    for args, says in ((["verify", "x", "--db", str(empty)], "holds no decision records"),
                       (["audit", "--db", str(garbage)], "cannot read the records database"),
                       (["audit", "--db", "postgresql://someone:s3cret@127.0.0.1:1/x"], "cannot read the records")):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 1 and says in r.output and "Traceback" not in r.output, r.output
        assert "s3cret" not in r.output
