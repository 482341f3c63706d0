"""Numbers durable-rules would crash on are clamped exactly; both backends agree on extreme numbers."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accountrules import Engine
from accountrules.conditions import Test as CondTest
from accountrules.diagnostics import SourceSpan
from accountrules.intake import read_case_file
from accountrules.matching.durable.numbers import SAFE_MAX, SAFE_MIN, clamp, is_safe, threshold_ok, threshold_problems
from accountrules.render import to_json

from ..conftest import EXAMPLE, requires_durable

THRESHOLDS = [100000.0, 1000000.0]  # the bundled rulebook's thresholds on economic_loss_yuan


def _near(x: float) -> list[float]:
    return [math.nextafter(x, -math.inf), x, math.nextafter(x, math.inf)]


EXTREMES: list[float | int] = [
    0, 0.0, 1e16, 1.0e16, 9.999999999999998e15, 1e17, 1e22, 1e300, sys.float_info.max, 5e-05, 1e-05,
    sys.float_info.min, 5e-324, 9.99e-05, 10**16, 10**30, 10**300, 999999999999999, 123456.789e10,
    *_near(SAFE_MAX), *_near(SAFE_MIN), *(v for t in THRESHOLDS for v in _near(t)), 99999, 100000, 999999, 1000000,
]

numbers = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False),
    st.floats(min_value=0, max_value=1e-3, allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e14, max_value=1e20, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=10**40),
)


def _case(loss: float) -> dict[str, Any]:
    data = read_case_file(EXAMPLE).model_dump(mode="json")
    data["case"]["consequences"]["economic_loss_yuan"] = loss
    return data


def _same(engine: Engine, py_engine: Engine, loss: float) -> None:
    case = _case(loss)
    a = to_json(engine.evaluate(case)).replace('"backend": "durable"', '"backend": "python"')
    assert a == to_json(py_engine.evaluate(case)), loss


@requires_durable
@pytest.mark.parametrize("loss", EXTREMES, ids=repr)
def test_extreme_numbers_same_on_both_backends(engine: Engine, py_engine: Engine, loss: float) -> None:
    _same(engine, py_engine, loss)


@requires_durable
@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(loss=numbers)
def test_any_number_same_on_both_backends(engine: Engine, py_engine: Engine, loss: float) -> None:
    _same(engine, py_engine, loss)


@given(v=st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**40), 10**40)),
       t=st.one_of(st.sampled_from([0, 0.0, 100000, 1000000, 0.5, -7]),
                   st.floats(allow_nan=False, allow_infinity=False).filter(threshold_ok)))
def test_clamp_keeps_every_comparison(v: float, t: float) -> None:
    r = clamp(v)
    assert is_safe(r)
    assert type(r) is type(v)
    assert (r < t, r <= t, r > t, r >= t, r == t, r != t) == (v < t, v <= t, v > t, v >= t, v == t, v != t)


def test_clamp_leaves_other_values_alone() -> None:
    assert clamp(True) is True
    assert clamp("1e16") == "1e16"
    assert math.isnan(clamp(float("nan")))
    assert clamp(-1e16) == -SAFE_MAX and clamp(-1e-9) == -SAFE_MIN


def test_a_threshold_outside_the_range_is_a_durable_limit() -> None:
    span = SourceSpan("rules/x.yaml", 3, 7)

    class Entry:
        id = "R1"
        cond = CondTest("case.consequences.economic_loss_yuan", "ge", 1e16, span)

    class InList(Entry):
        cond = CondTest("case.history.series_cases", "in", [1, 5e-05], span)

    class Text(Entry):
        cond = CondTest("case.origin", "eq", "court", span)

    problems = threshold_problems([Entry, InList, Text])
    assert [d.code for d in problems] == ["bad-threshold", "bad-threshold"]
    assert problems[0].span == span and problems[0].rule_id == "R1"
    assert "1e+16" in problems[0].message and "python backend" in problems[0].message


def test_the_1e16_case_from_the_command_line(tmp_path: Any) -> None:
    """The reported crash: a subprocess, so a segfault is seen as exit -11, not a dead test run."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("economic_loss_yuan: 0", "economic_loss_yuan: 1.0e+16")
    assert "1.0e+16" in text
    case = tmp_path / "x.yaml"
    case.write_text(text, encoding="utf-8")
    from accountrules.engine import available_backends

    for backend in available_backends():
        proc = subprocess.run([sys.executable, "-m", "accountrules.cli", "evaluate", str(case), "--backend", backend],
                              capture_output=True, text=True, check=False, timeout=120)
        assert proc.returncode == 0, (backend, proc.returncode, proc.stderr)
        assert f'"backend": "{backend}"' in proc.stdout and '"BJ-2023-017"' in proc.stdout
