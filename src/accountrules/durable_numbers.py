"""Numbers durable-rules can take: the range its C engine handles, and an exact encoding into it.

durable-rules 2.0.28 parses the JSON of every asserted fact with its own number reader, which
crashes the whole process (SIGSEGV, nothing on stderr) on a number written in exponent notation
without a decimal point — and Python's :func:`json.dumps` writes every float of 1e16 or more, and
every float below 1e-4, exactly that way (``1e+16``, ``5e-05``). A valid case with
``economic_loss_yuan: 1.0e+16`` therefore killed the host process.

The durable adapter never hands durable such a number. A value is sent unchanged when it lies in
the *safe* range — zero, or a magnitude in ``[SAFE_MIN, SAFE_MAX]``, where the JSON writer uses
plain decimal notation — and is otherwise **clamped** to the nearest end of that range
(:func:`clamp`). Clamping keeps every comparison exact because the rulebook's own thresholds are
required to lie strictly inside the range (zero, or a magnitude in ``(SAFE_MIN, SAFE_MAX)``;
:func:`threshold_problems` reports any other as a durable limit): between a value outside the range
and the end it is clamped to there is no threshold, so ``<``, ``<=``, ``>``, ``>=``, ``==`` and
``!=`` against every threshold have the same truth value for both. The python backend sees the
original number; the differential property test over extreme numbers pins that the two backends
agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .conditions import SCALAR_OPS, tests_of
from .diagnostics import Diagnostic
from .facts import FACTS

#: Smallest non-zero magnitude sent to durable as is (``repr`` switches to ``e-05`` below it).
SAFE_MIN = 1e-4
#: Largest magnitude sent to durable as is (``repr`` switches to ``e+16`` at 1e16; 1e15 leaves margin).
SAFE_MAX = 1e15

NUMERIC_TYPES = ("int", "number")


def is_safe(value: float) -> bool:
    """Whether durable can take ``value`` exactly as it is (zero, or magnitude in the safe range)."""
    return value == 0 or SAFE_MIN <= abs(value) <= SAFE_MAX


def clamp(value: Any) -> Any:
    """``value`` itself when it is safe, else the nearest end of the safe range (same sign and type).

    A value that is not a finite number (text, a list, a boolean, NaN) is returned unchanged: the
    contract never lets NaN or infinity in, and only numbers are clamped.

    >>> clamp(1e16), clamp(5e-05), clamp(-3e20), clamp(100000), clamp(0.0)
    (1000000000000000.0, 0.0001, -1000000000000000.0, 100000, 0.0)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return value
    if is_safe(value):
        return value
    sign = -1 if value < 0 else 1
    if abs(value) > SAFE_MAX:
        return sign * (int(SAFE_MAX) if isinstance(value, int) else SAFE_MAX)
    return sign * SAFE_MIN  # 0 < |value| < SAFE_MIN: only floats get here


def threshold_ok(value: Any) -> bool:
    """Whether a rule's numeric constant leaves room to clamp: zero, or strictly inside the range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return True
    return value == 0 or SAFE_MIN < abs(value) < SAFE_MAX


def numeric_paths(paths: Iterable[str]) -> tuple[str, ...]:
    """The fact paths among ``paths`` that hold numbers (the ones :func:`clamp` must see)."""
    return tuple(p for p in paths if p in FACTS and FACTS[p].type in NUMERIC_TYPES)


def threshold_problems(rules: Iterable[Any]) -> list[Diagnostic]:
    """A ``bad-threshold`` diagnostic for every numeric constant of a rule outside the clamping range.

    Args:
        rules: the rulebook's rule entries (each with ``id``, ``cond`` and ``span``).
    """
    out: list[Diagnostic] = []
    for e in rules:
        for t in tests_of(e.cond):
            if t.op not in SCALAR_OPS or t.path not in FACTS or FACTS[t.path].type not in NUMERIC_TYPES:
                continue
            values = t.value if isinstance(t.value, list | tuple) else [t.value]
            for v in values:
                if not threshold_ok(v):
                    out.append(Diagnostic(
                        "bad-threshold",
                        f"rule '{e.id}' compares {t.path} with {v!r}; durable-rules handles numbers exactly "
                        f"only when they are 0 or of magnitude strictly between {SAFE_MIN:g} and {SAFE_MAX:g}. "
                        "Use a constant in that range or the python backend.",
                        t.span or e.span, rule_id=e.id))
    return out
