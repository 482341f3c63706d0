"""Shared fixtures: rulebooks and engines are built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accountrules import Engine, load_rulebook
from accountrules.engine import default_backend
from accountrules.rules import Rulebook

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini"
EXAMPLE = ROOT / "examples" / "bj-2023-017.yaml"

os.environ.setdefault("ACCOUNTRULES_CACHE_DIR", str(ROOT / ".pytest_cache" / "accountrules"))


@pytest.fixture(scope="session")
def mini_book() -> Rulebook:
    return load_rulebook(MINI)


@pytest.fixture(scope="session")
def default_book() -> Rulebook:
    return load_rulebook()


#: durable-rules imports here (Python 3.11, 3.12); on 3.13 the durable tests are skipped
DURABLE = default_backend() == "durable"
requires_durable = pytest.mark.skipif(not DURABLE, reason="durable-rules does not import on this Python (3.13+)")


@pytest.fixture(scope="session")
def engine(default_book: Rulebook) -> Engine:
    if not DURABLE:
        pytest.skip("durable-rules does not import on this Python (3.13+)")
    return Engine(default_book, backend="durable")


@pytest.fixture(scope="session")
def py_engine(default_book: Rulebook) -> Engine:
    return Engine(default_book, backend="python")
