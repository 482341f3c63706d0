"""The HTTP API in process: the CLI's JSON, one problem+json shape for every error, the typed OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accountrules.intake import read_case_file
from accountrules.render import to_json, to_jsonl

from .conftest import EXAMPLE

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from accountrules.server import Settings, create_app
from accountrules.server.settings import SettingsError

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    log = tmp_path_factory.mktemp("log") / "access.jsonl"
    app = create_app(settings=Settings(backend="python", access_log=str(log)))
    with TestClient(app) as c:
        c.access_log = log  # type: ignore[attr-defined]
        yield c


def _case() -> dict[str, Any]:
    return read_case_file(EXAMPLE).model_dump(mode="json")


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "request_id", "errors"}
    assert body["status"] == status and body["type"].startswith("problems/")
    assert body["request_id"] == r.headers["x-request-id"]
    return body


def test_evaluate_same_as_library(client: TestClient, py_engine: Any) -> None:
    r = client.post("/evaluate", json=_case())
    assert r.status_code == 200
    assert r.text == to_json(py_engine.evaluate(_case()))
    r = client.post("/evaluate?lang=en&detail=compact", json=_case())
    assert r.text == to_json(py_engine.evaluate(_case(), lang="en", detail="compact"))


def test_bad_case_422_with_path_and_excerpt(client: TestClient) -> None:
    case = _case()
    case["persons"][0]["role"] = "boss"
    body = _problem(client.post("/evaluate", json=case), 422)
    assert body["type"] == "problems/invalid-case"
    [item] = body["errors"]
    assert item["path"] == "persons[0].role" and item["code"] == "bad-value"
    assert item["excerpt"].startswith('"boss"') and item["line"] == 1
    assert "Allowed:" in item["message"]
    assert client.get("/health").json()["status"] == "ok"


def test_unknown_code_422(client: TestClient) -> None:
    case = _case()
    case["case"]["findings"][0]["item"] = "P9"
    body = _problem(client.post("/evaluate", json=case), 422)
    assert body["errors"][0]["code"] == "unknown-code" and body["errors"][0]["path"] == "case.findings[0].item"


@pytest.mark.parametrize(("query", "path"), [("lang=fr", "lang"), ("detail=all", "detail"), ("foo=1", "foo"),
                                             ("lang=zh&lang=en", "lang")])
def test_query_values_refused(client: TestClient, query: str, path: str) -> None:
    body = _problem(client.post(f"/evaluate?{query}", json=_case()), 400)
    assert body["errors"][0]["path"] == path


def test_unparseable_400(client: TestClient) -> None:
    body = _problem(client.post("/evaluate", content=b'{"case": ', headers={"content-type": "application/json"}), 400)
    assert body["type"] == "problems/unparseable-body" and body["errors"][0]["code"] == "yaml-syntax"


def test_duplicate_keys_refused(client: TestClient) -> None:
    text = json.dumps(_case(), ensure_ascii=False)
    text = text.replace('{"case": {', '{"case": {}, "case": {', 1)
    body = _problem(client.post("/evaluate", content=text.encode(), headers={"content-type": "application/json"}),
                    422)
    assert body["errors"][0]["code"] == "duplicate-key" and body["errors"][0]["path"] == "case"


def test_deep_nesting_refused(client: TestClient) -> None:
    body = _problem(client.post("/evaluate", content=b"[" * 100 + b"]" * 100,
                                headers={"content-type": "application/json"}), 422)
    assert body["errors"][0]["code"] == "document-too-complex"


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "",
                                   "application/json; charset=latin-1"])
def test_wrong_content_type_415(client: TestClient, ctype: str) -> None:
    headers = {"content-type": ctype} if ctype else {}
    _problem(client.post("/evaluate", content=json.dumps(_case()).encode(), headers=headers), 415)


def test_too_large_by_length_and_while_streaming(client: TestClient) -> None:
    big = b" " * (3 << 20)
    body = _problem(client.post("/evaluate", content=big, headers={"content-type": "application/json"}), 413)
    assert "limit" in body["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while it streams in
        for _ in range(40):
            yield b" " * 100_000

    _problem(client.post("/evaluate", content=chunks(), headers={"content-type": "application/json"}), 413)


def test_404_405(client: TestClient) -> None:
    assert _problem(client.get("/nothing-here"), 404)["type"] == "problems/not-found"
    assert _problem(client.get("/evaluate"), 405)["type"] == "problems/method-not-allowed"
    _problem(client.get("/schemas/nothing"), 400)


def test_request_id_honoured_or_generated_and_logged(client: TestClient) -> None:
    r = client.get("/health", headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r2 = client.get("/health", headers={"x-request-id": "bad id with spaces"})
    assert r2.headers["x-request-id"] != "bad id with spaces" and len(r2.headers["x-request-id"]) == 32
    lines = [json.loads(x) for x in Path(client.access_log).read_text().splitlines()]  # type: ignore[attr-defined]
    mine = [e for e in lines if e["request_id"] == "abc-123"]
    assert mine and mine[0]["path"] == "/health" and mine[0]["status"] == 200 and mine[0]["method"] == "GET"


def test_batch_streams_lines_in_order(client: TestClient, py_engine: Any) -> None:
    good = json.dumps(_case(), ensure_ascii=False)
    bad = _case()
    bad["persons"][0]["fault"] = "careless"
    lines = [good, "", json.dumps(bad, ensure_ascii=False), "{not json", good]
    r = client.post("/batch?lang=en", content="\n".join(lines).encode(),
                    headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    out = r.text.splitlines()
    assert [json.loads(x)["line"] for x in out] == [1, 3, 4, 5]
    expected = to_jsonl(py_engine.evaluate(_case(), lang="en"))
    assert out[0] == '{"line":1,"recommendation":' + expected + "}"
    assert out[3] == '{"line":5,"recommendation":' + expected + "}"
    p3 = json.loads(out[1])["problem"]
    assert p3["status"] == 422 and p3["errors"][0]["path"] == "persons[0].fault" and p3["errors"][0]["line"] == 1
    assert json.loads(out[2])["problem"]["type"] == "problems/unparseable-body"


def test_batch_limits() -> None:
    app = create_app(settings=Settings(backend="python", access_log="off", max_body_bytes=4096,
                                       max_batch_bytes=20_000))
    good = json.dumps(_case()).encode()
    with TestClient(app) as c:
        long_line = b'{"case": "' + b"x" * 9000 + b'"}'
        r = c.post("/batch", content=b"\n".join([good, long_line, good]),
                   headers={"content-type": "application/x-ndjson"})
        out = [json.loads(x) for x in r.text.splitlines()]
        assert [x["line"] for x in out] == [1, 2, 3]
        assert "recommendation" in out[0] and "recommendation" in out[2]
        assert out[1]["problem"]["status"] == 413  # one line over the body limit: skipped, the batch goes on

        def chunks() -> Iterator[bytes]:  # no Content-Length: the batch limit ends the stream
            for _ in range(20):
                yield good + b"\n"

        out = [json.loads(x) for x in c.post("/batch", content=chunks(),
                                             headers={"content-type": "application/x-ndjson"}).text.splitlines()]
        assert all("recommendation" in x for x in out[:-1]) and out[-1]["problem"]["status"] == 413
        assert len(out) < 20
        r = c.post("/batch", content=b"\n".join([good] * 40), headers={"content-type": "application/x-ndjson"})
        _problem(r, 413)  # Content-Length over the batch limit: refused before reading


def test_trace(client: TestClient) -> None:
    r = client.post("/evaluate/trace?trace=full", json=_case())
    body = r.json()
    assert r.status_code == 200 and body["recommendation"]["case_id"] == "BJ-2023-017"
    fired = [e for e in body["trace"] if e["kind"] == "rule_fired"]
    assert any(e["rule"] == "T3-reconsideration-corrected" and e["source"].startswith("rules/") for e in fired)


def test_descriptions(client: TestClient, default_book: Any) -> None:
    [rb] = client.get("/rulebooks").json()
    assert (rb["id"], rb["sha256"]) == (default_book.manifest.id, default_book.sha256)
    s02 = next(i for i in rb["instruments"] if i["id"] == "S02")
    assert s02["in_force_from"] == "2024-01-01"
    assert client.get("/ready").json()["records"] == "off"
    assert client.get("/catalog?lang=en").json()["ladder"]
    from accountrules.models import Case

    assert client.get("/schemas/case").json() == Case.model_json_schema()
    assert client.get("/problems/invalid-case").json()["status"] == 422


def test_docs_use_local_assets(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "http://" not in html and "https://" not in html
        assert page == "/redoc" or '"validatorUrl": null' in html  # no call to validator.swagger.io
        assets = [a for a in html.split('"') if a.startswith("/static-offline-docs/")]
        assert assets
        for a in assets:
            assert client.get(a).status_code == 200


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(x, defs) for x in node]
    return node


def test_openapi_is_valid_and_typed_with_the_contract(client: TestClient) -> None:
    from openapi_spec_validator import validate

    from accountrules.models import Case, Recommendation

    spec = client.get("/openapi.json").json()
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    comps = spec["components"]["schemas"]
    for name, model in (("Case", Case), ("Recommendation", Recommendation)):
        own = model.model_json_schema()  # what `accountrules schema case|recommendation` prints
        assert _inline(comps[name], comps) == _inline(own, own.get("$defs", {}))
    ev = spec["paths"]["/evaluate"]["post"]
    assert ev["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Case"}
    assert ev["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Recommendation"}
    for path in spec["paths"].values():
        for op in path.values():
            for status, resp in op["responses"].items():
                if status != "200":
                    assert list(resp["content"]) == [PROBLEM], (op["operationId"], status)
    assert "HTTPValidationError" not in comps


def test_settings_from_environment() -> None:
    s = Settings.from_env({"ACCOUNTRULES_BACKEND": "python", "ACCOUNTRULES_MAX_BODY_BYTES": "4096"})
    assert (s.backend, s.max_body_bytes) == ("python", 4096)
    with pytest.raises(SettingsError) as exc:
        Settings.from_env({"ACCOUNTRULES_BACKEND": "fast"})
    assert "ACCOUNTRULES_BACKEND='fast'" in str(exc.value)
    assert Settings.from_env({"ACCOUNTRULES_BACKEND": "python"}, backend="durable").backend == "durable"


def test_records_from_the_server(tmp_path: Path) -> None:
    db = tmp_path / "records.db"
    app = create_app(settings=Settings(backend="python", access_log="off", records_db=str(db)))
    with TestClient(app) as c:
        r = c.post("/evaluate", json=_case())
        decision_id = r.headers["x-decision-id"]
        assert c.get("/ready").json()["records"] == "ok"
        out = c.post("/batch", content=json.dumps(_case()).encode(), headers={"content-type": "application/x-ndjson"})
        batch_id = json.loads(out.text)["decision_id"]
    from accountrules.records import RecordStore
    from accountrules.records.verify import Verifier

    store = RecordStore(str(db))
    rec = store.get(decision_id)
    assert rec is not None and rec.output_json == r.text and store.count() == 2
    v = Verifier(store)
    assert v.verify(rec).ok and v.verify(store.get(batch_id)).ok  # type: ignore[arg-type]
    v.close()
    store.close()


def test_contract_doc_problem_example_is_real(client: TestClient) -> None:
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "contract.md").read_text(encoding="utf-8")
    block = re.search(r"\*\*Errors\.\*\*.*?```json\n(.*?)```", text, re.DOTALL)
    assert block is not None
    case = _case()
    case["persons"][0]["role"] = "boss"
    r = client.post("/evaluate", json=case, headers={"x-request-id": "req-0001"})
    assert r.json() == json.loads(block.group(1))


def test_no_decision_without_its_record(tmp_path: Path) -> None:
    db = tmp_path / "records.db"
    app = create_app(settings=Settings(backend="python", access_log="off", records_db=str(db)))
    with TestClient(app) as c:
        assert c.post("/evaluate", json=_case()).status_code == 200
        app.state.service.records.engine.dispose()
        db.unlink()
        db.mkdir()  # the database file is gone and cannot be recreated: recording fails
        body = _problem(c.post("/evaluate", json=_case()), 503)
        assert body["type"] == "problems/records-unavailable"
        out = c.post("/batch", content=json.dumps(_case()).encode(), headers={"content-type": "application/x-ndjson"})
        assert json.loads(out.text)["problem"]["status"] == 503
        assert _problem(c.get("/ready"), 503)["type"] == "problems/not-ready"


def _dated_case() -> dict[str, Any]:
    """A case whose unit measure cites another text from 2025-06-01 on (监察法 2024 amendment): the
    date of evaluation changes the output."""
    data = _case()
    data["case"].update(id="AS-OF-1", origin="reconsideration", decided_on="2025-05-30", conduct_date="2025-01-02",
                        history={"same_issue_lost_before": True})
    return data


def test_as_of_same_bytes_as_the_cli(client: TestClient, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from accountrules.cli import cli

    f = tmp_path / "case.json"
    f.write_text(json.dumps(_dated_case(), ensure_ascii=False), encoding="utf-8")
    outs = {}
    for as_of in (None, "2025-06-02"):
        q = "" if as_of is None else f"&as_of={as_of}"
        r = client.post(f"/evaluate?lang=en{q}", json=_dated_case())
        assert r.status_code == 200, r.text
        args = ["evaluate", str(f), "--backend", "python", "--lang", "en"] + (["--as-of", as_of] if as_of else [])
        cli_out = CliRunner().invoke(cli, args)
        assert cli_out.exit_code == 0, cli_out.output
        assert r.text == cli_out.output
        outs[as_of] = r.text
    assert outs[None] != outs["2025-06-02"] and "2024年修正" in outs["2025-06-02"]
    # the batch and the trace take it too; a batch line is the CLI's JSON Lines output with --as-of
    fl = tmp_path / "cases.jsonl"
    fl.write_text(json.dumps(_dated_case(), ensure_ascii=False) + "\n", encoding="utf-8")
    cli_out = CliRunner().invoke(cli, ["evaluate", str(fl), "--backend", "python", "--as-of", "2025-06-02"])
    assert cli_out.exit_code == 0, cli_out.output
    r = client.post("/batch?as_of=2025-06-02", content=fl.read_bytes(), headers={"content-type": "application/x-ndjson"})
    assert r.text == '{"line":1,"recommendation":' + cli_out.output.rstrip("\n") + "}\n"
    refused = CliRunner().invoke(cli, ["evaluate", str(fl), "--as-of", "2025-06-02", "--workers", "2"])
    assert refused.exit_code == 2 and "--workers" in refused.output
    refused = CliRunner().invoke(cli, ["evaluate", str(f), "--as-of", "20250602"])
    assert refused.exit_code == 2 and "YYYY-MM-DD" in refused.output
    t = client.post("/evaluate/trace?lang=en&as_of=2025-06-02", json=_dated_case()).json()
    assert t["recommendation"] == json.loads(outs["2025-06-02"])


@pytest.mark.parametrize("value", ["2025-13-40", "yesterday", "20250602", "2025-06-02T00:00", "2025-6-2",
                                   "２０２５-06-02", ""])
@pytest.mark.parametrize("path", ["/evaluate", "/batch", "/evaluate/trace"])
def test_as_of_refused_with_path_and_format(client: TestClient, value: str, path: str) -> None:
    from urllib.parse import quote

    body = _problem(client.post(f"{path}?as_of={quote(value)}", content=json.dumps(_case()).encode(),
                                headers={"content-type": "application/json"}), 400)
    [item] = body["errors"]
    assert item["path"] == "as_of" and item["code"] == "bad-query" and "YYYY-MM-DD" in item["message"]
    _problem(client.post(f"{path}?as_of=2025-06-02&as_of=2025-06-03", json=_case()), 400)
    _problem(client.post(f"{path}?asof=2025-06-02", json=_case()), 400)


def test_as_of_in_the_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/evaluate", "/evaluate/trace", "/batch"):
        [p] = [p for p in spec["paths"][path]["post"]["parameters"] if p["name"] == "as_of"]
        assert p["in"] == "query" and not p.get("required", False)
        schema = {k: v for k, v in p["schema"].items() if k in ("type", "format", "pattern")}
        assert schema == {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


def test_records_keep_as_of(tmp_path: Path) -> None:
    from accountrules.records import RecordStore
    from accountrules.records.verify import Verifier

    db = tmp_path / "records.db"
    app = create_app(settings=Settings(backend="python", access_log="off", records_db=str(db)))
    with TestClient(app) as c:
        r = c.post("/evaluate?as_of=2025-06-02", json=_dated_case())
        dated = r.headers["x-decision-id"]
        plain = c.post("/evaluate", json=_dated_case()).headers["x-decision-id"]
        out = c.post("/batch?as_of=2025-06-02", content=json.dumps(_dated_case()).encode(),
                     headers={"content-type": "application/x-ndjson"})
        batch_id = json.loads(out.text)["decision_id"]
    store = RecordStore(str(db))
    v = Verifier(store)
    try:
        rec, rec_plain, rec_batch = store.get(dated), store.get(plain), store.get(batch_id)
        assert rec is not None and rec_plain is not None and rec_batch is not None
        assert (rec.as_of, rec_plain.as_of, rec_batch.as_of) == ("2025-06-02", None, "2025-06-02")
        assert rec.output_json == r.text
        for x in (rec, rec_plain, rec_batch):
            assert v.verify(x).ok, v.verify(x).format()
    finally:
        v.close()
        store.close()
