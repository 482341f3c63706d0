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


#: durable-rules imports here (Python 3.11, 3.12); on 3.13 the tests marked ``requires_durable`` are skipped
DURABLE = default_backend() == "durable"
requires_durable = pytest.mark.skipif(not DURABLE, reason="durable-rules does not import on this Python (3.13+)")


@pytest.fixture(scope="session")
def engine(default_book: Rulebook) -> Engine:
    """The engine of this Python's default backend (``default_backend()``): durable where
    durable-rules imports, the python backend on 3.13 — so the tests that use it run there too.
    A test about durable itself uses ``requires_durable``."""
    return Engine(default_book, backend=default_backend())


@pytest.fixture(scope="session")
def py_engine(default_book: Rulebook) -> Engine:
    return Engine(default_book, backend="python")


def require_cjk_font() -> None:
    """Skip a test that draws Chinese text when no CJK font is installed — but fail under CI=true,
    where `.ci/run` installs fonts-noto-cjk."""
    from accountrules.stats.charts import ChartsUnavailable, cjk_font

    try:
        cjk_font()
    except ChartsUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install a CJK font: {exc}")
        pytest.skip(str(exc))
