"""Substance of the decision stage that the rulebook's data selects (issue 14).

Small, pure helpers called by :mod:`accountrules.decide` (to be folded into the ``decision/``
package): the kinds of exemption (不予追究 / 免予处分), the floor of 减轻, the step of 加重 along the
ladder, situations nobody answers for, and the review tracks. Semantics: ``docs/semantics.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from . import models as m
from . import rulebook as rb

ExemptionKind = Literal["not_liable", "exempt_from_sanction"]

UNANSWERED_NOTE = {
    "zh": "倒查未查明责任人员，应补充调查",
    "en": "The backward review found nobody responsible for this situation; a supplementary review is needed.",
}


def keeps_rank(levels: Mapping[str, rb.Level], policy: rb.Policy) -> int:
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


def step_up(levels_by_rank: Mapping[int, rb.Level], levels: Mapping[str, rb.Level], rank: int) -> int:
    """One step of 加重 from ``rank``: the level's ``aggravates_to``, else the next rank up."""
    lv = levels_by_rank.get(rank)
    if lv is not None and lv.aggravates_to:
        return levels[lv.aggravates_to].rank
    above = sorted(r for r in levels_by_rank if r > rank)
    return above[0] if above else rank


def answered(persons: Sequence[m.PersonOutcome]) -> set[str]:
    """Items some person was found liable for: a responsibility, and a level above 0 or an exemption.

    A person with a share but no fault (capped to rank 0) does not answer for the item.
    """
    return {it.item for po in persons for it in po.items
            if it.responsibility != "none" and (it.rank > 0 or it.exempted_by)}


def mark_unanswered(situations: Sequence[m.Situation], answered_items: set[str], lang: str,
                    shared: Callable[[tuple[Any, ...], Callable[[], m.Situation]], m.Situation] | None = None,
                    ) -> list[m.Situation]:
    """The situations with those nobody answers for flagged, with the note 倒查未查明责任人员，应补充调查.

    ``shared(key, make)`` returns the shared object for ``key`` (made by ``make`` the first time); the
    key holds the ids of the reasons the object refers to, so they live as long as the entry.
    """
    out = []
    for s in situations:
        if s.item in answered_items:
            out.append(s)
            continue

        def make(s: m.Situation = s) -> m.Situation:
            return m.trusted(m.Situation, item=s.item, category=s.category, name=s.name, persons=s.persons,
                             reasons=s.reasons, unanswered=True, note=UNANSWERED_NOTE[lang])

        key = ("unanswered", s.item, s.category, s.name, tuple(s.persons), lang, *map(id, s.reasons))
        out.append(shared(key, make) if shared else make())
    return out


def tracks_listed(fired: Sequence[str], ranks: Mapping[str, int]) -> list[str]:
    """Every review track that applies, highest rank first, each once."""
    return sorted(set(fired), key=lambda t: (-ranks[t], t))
