"""The HTTP API returns the same JSON as the CLI, and 422 with field paths for bad input."""

from __future__ import annotations

import pytest

from accountrules.intake import read_case_file
from accountrules.render import to_json

from .conftest import EXAMPLE

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from accountrules.server import create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(backend="python"))


def test_evaluate_same_as_library(client: TestClient, py_engine: object) -> None:
    case = read_case_file(EXAMPLE).model_dump(mode="json")
    r = client.post("/evaluate", json=case)
    assert r.status_code == 200
    assert r.text == to_json(py_engine.evaluate(case))  # type: ignore[attr-defined]


def test_bad_case_422(client: TestClient) -> None:
    case = read_case_file(EXAMPLE).model_dump(mode="json")
    case["persons"][0]["role"] = "boss"
    r = client.post("/evaluate", json=case)
    assert r.status_code == 422
    assert "persons[0].role" in r.json()["errors"][0]["message"]
    assert client.get("/health").json()["status"] == "ok"
