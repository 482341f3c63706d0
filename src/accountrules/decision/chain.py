"""The chain: which responsibility a person bears for an item (``docs/semantics.md``, "Chain")."""

from __future__ import annotations

from collections.abc import Sequence

from ..rules.validate import RuleEntry
from .prepared import Prepared


def responsibility(chain: Sequence[RuleEntry], prep: Prepared) -> tuple[RuleEntry, str]:
    """The decisive chain rule — the heaviest responsibility, the earliest rule among equals — and
    that responsibility (``none`` included)."""
    resp_of, resp_rank = prep.responsibility_of, prep.resp_rank
    top = chain[0] if len(chain) == 1 else max(chain, key=lambda e: (resp_rank[resp_of[e.order]], -e.order))
    return top, resp_of[top.order]
