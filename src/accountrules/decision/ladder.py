"""The ladder's arithmetic: one step up or down between the levels a rulebook defines.

Used by the decision (``docs/semantics.md``, "Circumstances" and "Level rules") and by lint, which
computes the ranks a rulebook can reach with the same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..rules.schema import Level, LevelRule


def step(ranks: Sequence[int], rank: int, direction: int) -> int:
    """The next existing rank above (+1) or below (-1) ``rank`` (``rank`` itself at either end)."""
    if direction > 0:
        above = [r for r in ranks if r > rank]
        return above[0] if above else rank
    below = [r for r in ranks if r < rank]
    return below[-1] if below else rank


def aggravated(ranks: Sequence[int], rank: int, cap_rank: int) -> int:
    """One step up, but not past the aggravation cap (and never below ``rank``)."""
    return max(rank, min(step(ranks, rank, +1), cap_rank))


def mitigated(ranks: Sequence[int], rank: int) -> int:
    """One step down."""
    return step(ranks, rank, -1)


def after_circumstances(ranks: Sequence[int], rank: int, steps: int, cap_rank: int) -> int:
    """The rank after the circumstance effects: ``steps`` is +1 (aggravating only), -1 (mitigating
    only) or 0 (both, or neither: they cancel). Rank 0 (no sanction) never moves."""
    if rank > 0 and steps > 0:
        return aggravated(ranks, rank, cap_rank)
    if rank > 0 and steps < 0:
        return mitigated(ranks, rank)
    return rank


def floor_of(levels: Mapping[str, Level], rule: LevelRule, rank: int) -> int | None:
    """The rank a level rule's ``min_level`` raises a sanctioned ``rank`` to, or None (no change)."""
    then = rule.then
    if then.min_level and rank > 0:
        floor = levels[then.min_level].rank
        if floor > rank:
            return floor
    return None


def ceiling_of(levels: Mapping[str, Level], rule: LevelRule, rank: int, base_rank: int) -> int | None:
    """The rank a level rule's ``max_level`` lowers ``rank`` to, or None (no change). A ceiling of
    rank 0 also applies when the matrix gave a sanction (``base_rank`` > 0) that was exempted."""
    then = rule.then
    if then.max_level is not None:
        ceiling = levels[then.max_level].rank
        if ceiling < rank or (ceiling == 0 and base_rank > 0):
            return min(rank, ceiling)
    return None
