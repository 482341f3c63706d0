"""Shared fixtures: rulebooks and engines are built once per session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
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


#: a level rule that makes the law after 2024-01-01 lighter (tests of 从旧兼从轻 and of records' as_of)
NEWER_LAW = """\
level_rules:
  - id: LV-test-newer-law
    title: {zh: 新规定较轻（测试）, en: the newer law is lighter (test)}
    when: {fact: case.law_date, ge: 20240101}
    then: {max_level: criticism_education}
    citations: [{instrument: S05, article: 第十二条第一款}]
"""


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
