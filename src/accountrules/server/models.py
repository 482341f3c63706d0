"""The HTTP contract's own models (beside the case, the recommendation and the problem)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..models import Recommendation
from .problems import Problem


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TraceEntry(_Out):
    """One event of the rule trace."""

    kind: Literal["rule_fired", "overridden_by", "blocked_by", "conflict", "no_rule"]
    rule: str
    subject: str = Field(description="case, a person id, person×item (p1×P2) or outcome")
    detail: str
    source: str | None = Field(description="rules/….yaml:LINE of the rule")


class TracedRecommendation(_Out):
    """A recommendation and the rule trace that produced it."""

    recommendation: Recommendation
    trace: list[TraceEntry]


class BatchLine(_Out):
    """One line of a batch answer: the input line number and either the recommendation (compact
    JSON, as ``accountrules evaluate x.jsonl`` prints it) or the problem of that line."""

    line: int = Field(ge=1)
    decision_id: str | None = Field(default=None, description="Present when decisions are recorded.")
    recommendation: Recommendation | None = None
    problem: Problem | None = None


class Health(_Out):
    """Liveness: the process answers."""

    status: Literal["ok"]
    rulebook: str
    sha256: str


class Readiness(_Out):
    """Readiness: the rulebook is compiled and the records database (if any) answers."""

    status: Literal["ready"]
    rulebook: str
    version: str
    sha256: str
    backend: Literal["durable", "python"]
    records: Literal["off", "ok"]


class Bilingual(_Out):
    """A text in Chinese and English."""

    zh: str
    en: str


class EngineInfo(_Out):
    """The engine serving the rulebook."""

    version: str
    backend: Literal["durable", "python"]


class InstrumentInForce(_Out):
    """An instrument the rulebook cites, with the dates it is in force."""

    id: str
    name: str
    kind: str
    version: str | None
    in_force_from: str | None
    in_force_until: str | None


class RulebookInfo(_Out):
    """A served rulebook: identity, digest and the in-force dates of what it cites."""

    id: str
    version: str
    sha256: str
    title: Bilingual
    engine: EngineInfo
    instruments: list[InstrumentInForce]


class ProblemType(_Out):
    """A problem type (the target of a problem's ``type`` URI)."""

    type: str
    title: str
    status: int
    description: str


CONTRACT_MODELS: tuple[type[BaseModel], ...] = (
    Problem, TracedRecommendation, BatchLine, Health, Readiness, RulebookInfo, ProblemType)
