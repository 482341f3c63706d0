"""The chain: which responsibility a person bears for an item (``docs/semantics.md``, "Chain")."""

from __future__ import annotations

from collections.abc import Sequence

from ..rules import schema as rb
from ..rules.validate import RuleEntry


def responsibility(chain: Sequence[RuleEntry], resp_rank: dict[str, int]) -> tuple[RuleEntry, str]:
    """The decisive chain rule — the heaviest responsibility, the earliest rule among equals — and
    that responsibility (``none`` included)."""
    top = max(chain, key=lambda e: (resp_rank[e.typed(rb.ChainRule).then.responsibility], -e.order))
    return top, top.typed(rb.ChainRule).then.responsibility
