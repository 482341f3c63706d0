"""The ladder's arithmetic: one step of 加重 (a level's ``aggravates_to``, else the next rank up) or
减轻 (never below the level 免予处分 keeps), and the rank an exemption of each kind leaves.

Used by the decision (``docs/semantics.md``, "Circumstances" and "Level rules") and by lint, which
computes the ranks a rulebook can reach with the same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..rules.schema import Level, LevelRule, Policy


def keeps_rank(levels: Mapping[str, Level], policy: Policy) -> int:
    """The rank 免予处分 keeps (and 减轻 never goes below for a liable item); 0 when the policy sets none."""
    return levels[policy.exemption_keeps].rank if policy.exemption_keeps else 0


def exempted_rank(rank: int, kind: str, keep: int) -> int:
    """The rank of an item after an exemption of ``kind``.

    不予追究 (``not_liable``) leaves nothing; 免予处分 (``exempt_from_sanction``) keeps the lighter
    measures — 谈话提醒、批评教育、责令检查 (政务处分法 第十二条第一款) — i.e. at most ``keep``.
    """
    return 0 if kind == "not_liable" else min(rank, keep)


def step_down(ranks: Sequence[int], rank: int, keep: int) -> int:
    """One step of 减轻 from ``rank`` (> 0): the next rank below, never below ``keep`` (when set).

    With ``keep`` = 0 a mitigation from the lowest liable rank gives 0 (the former semantics).
    """
    below = [r for r in ranks if r < rank]
    nxt = below[-1] if below else rank
    return max(nxt, min(keep, rank)) if keep else nxt


def step_up(levels_by_rank: Mapping[int, Level], levels: Mapping[str, Level], rank: int) -> int:
    """One step of 加重 from ``rank``: the level's ``aggravates_to``, else the next rank up."""
    lv = levels_by_rank.get(rank)
    if lv is not None and lv.aggravates_to and lv.aggravates_to in levels:
        return levels[lv.aggravates_to].rank
    above = sorted(r for r in levels_by_rank if r > rank)
    return above[0] if above else rank


def aggravated(levels_by_rank: Mapping[int, Level], levels: Mapping[str, Level], rank: int, cap_rank: int) -> int:
    """One step of 加重, but not past the aggravation cap (and never below ``rank``)."""
    return max(rank, min(step_up(levels_by_rank, levels, rank), cap_rank))


def after_circumstances(levels_by_rank: Mapping[int, Level], levels: Mapping[str, Level], rank: int, steps: int,
                        cap_rank: int, keep: int) -> int:
    """The rank after the circumstance effects: ``steps`` is +1 (aggravating only), -1 (mitigating
    only) or 0 (both, or neither: they cancel). Rank 0 (no sanction) never moves; 减轻 never goes
    below ``keep`` (the level 免予处分 keeps, when the policy sets one)."""
    if rank > 0 and steps > 0:
        return aggravated(levels_by_rank, levels, rank, cap_rank)
    if rank > 0 and steps < 0:
        return step_down(sorted(levels_by_rank), rank, keep)
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
