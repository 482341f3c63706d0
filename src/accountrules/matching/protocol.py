"""The matcher protocol: which rules match each fact (a backend is one implementation)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

Backend = Literal["durable", "python"]
FactBatch = Sequence[tuple[str, Mapping[str, Any]]]


def default_backend() -> Backend:
    """``durable`` where durable-rules imports (Python 3.11 and 3.12 with it installed), else ``python``.

    durable-rules 2.0.28 does not import on Python 3.13 (``PyEval_CallObject`` was removed), so it
    is not installed there and the python backend — proven equal by the property suite — is used.
    The recommendation records which backend produced it (``engine.backend``).
    """
    if sys.version_info >= (3, 13) or importlib.util.find_spec("durable_rules_engine") is None:
        return "python"
    return "durable"


def available_backends() -> tuple[Backend, ...]:
    """The backends this Python can run: ``("python", "durable")``, or ``("python",)`` on 3.13+."""
    return ("python", "durable") if default_backend() == "durable" else ("python",)


class Matcher(Protocol):
    """Finds which rules match each fact."""

    backend: Backend

    def match(self, batch: FactBatch) -> list[list[int]]:
        """For each ``(stage, facts)``, the indexes (rulebook order) of the rules that match."""
        ...
