"""What the decision stage looks up once per rulebook (:class:`Prepared`), and once per evaluation
(:class:`Evaluation`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..contract import models as m
from ..diagnostics import SourceSpan
from ..explanation.explain import Explainer
from ..explanation.trace import Trace
from ..rules import schema as rb
from ..rules.validate import Rulebook, RuleEntry
from .ladder import keeps_rank
from .sharing import Shared

Facts = dict[str, Any]


@dataclass(frozen=True)
class ItemInfo:
    """What the decision stage needs of an item, looked up once per rulebook."""

    item: rb.Item
    category: str
    base: int
    direct_roles: frozenset[str]
    oversight_roles: frozenset[str]
    span: SourceSpan | None


@dataclass(frozen=True)
class Prepared:
    """Per-rulebook constants of the decision stage, computed once per engine."""

    item_cat: dict[str, str]
    gmin: int
    gmax: int
    grade_by_value: dict[int, rb.Grade]
    resp_rank: dict[str, int]
    ranks: list[int]
    cap_rank: int
    keep_rank: int  # the rank 免予处分 keeps and the floor of 减轻 (policy.exemption_keeps; 0: none)
    policy: dict[str, Any]
    rulebook_ref: m.RulebookRef
    items: dict[str, ItemInfo]
    section_of: list[str]
    exception_holders: frozenset[int]
    matrix_spans: dict[str, SourceSpan | None]
    exemption_rules: dict[str, list[RuleEntry]]
    responsibility_of: dict[int, str]  # rule order → the responsibility its chain rule gives
    none_resp: str  # the responsibility of rank 0 (no responsibility): the rulebook names it
    chain: dict[str, tuple[str, int]]  # role → (step, position) in the handling chain (the rulebook's roles)
    # immutable output objects shared between evaluations (bounded; content never depends on it)
    shared: Shared = field(default_factory=Shared, compare=False)

    @classmethod
    def of(cls, book: Rulebook) -> Prepared:
        """Compute the constants of ``book``."""
        values = sorted(g.value for g in book.grades.values())
        exemption_rules: dict[str, list[RuleEntry]] = {}
        for e in book.by_section["exemptions"]:
            exemption_rules.setdefault(e.typed(rb.ExemptionRule).then.code, []).append(e)
        return cls(
            item_cat={i.id: i.category for i in book.items.values()},
            gmin=values[0], gmax=values[-1],
            grade_by_value={g.value: g for g in book.grades.values()},
            resp_rank={r.id: r.rank for r in book.responsibilities.values()},
            ranks=sorted(book.levels_by_rank),
            cap_rank=(book.levels[book.manifest.policy.aggravation_cap].rank if book.manifest.policy.aggravation_cap
                      else max(book.levels_by_rank)),
            keep_rank=keeps_rank(book.levels, book.manifest.policy),
            policy=book.manifest.policy.model_dump(),
            rulebook_ref=m.RulebookRef(id=book.manifest.id, version=book.manifest.version, sha256=book.sha256),
            items={i.id: ItemInfo(i, i.category, book.grades[i.base_grade].value, frozenset(i.roles.direct),
                                  frozenset(i.roles.oversight), i.span) for i in book.items.values()},
            section_of=[e.section for e in book.rules],
            exception_holders=frozenset(e.order for e in book.rules if e.rule.exception_to),
            matrix_spans={g: book.span_of(f"matrix.{g}") for g in book.grades},
            exemption_rules=exemption_rules,
            responsibility_of={e.order: e.typed(rb.ChainRule).then.responsibility for e in book.by_section["chain"]},
            none_resp=book.no_responsibility,
            chain=book.role_chain,
        )


@dataclass(slots=True)
class Evaluation:
    """One evaluation: the rulebook, its constants, the case, and where reasons and events go."""

    book: Rulebook
    prep: Prepared
    case: m.Case
    ex: Explainer
    trace: Trace
    tracing: bool
    lang: str
    detail: str
    shared: Shared
