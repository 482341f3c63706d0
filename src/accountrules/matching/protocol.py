"""The matcher protocol: which rules match each fact (a backend is one implementation)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

Backend = Literal["durable", "python"]
FactBatch = Sequence[tuple[str, Mapping[str, Any]]]


class Matcher(Protocol):
    """Finds which rules match each fact."""

    backend: Backend

    def match(self, batch: FactBatch) -> list[list[int]]:
        """For each ``(stage, facts)``, the indexes (rulebook order) of the rules that match."""
        ...
