"""A person's outcome: their findings' outcomes combined — the decisive level, responsibility,
exemption, channel, measures, influence and band (``docs/semantics.md``, "Per person")."""

from __future__ import annotations

from ..contract import models as m
from ..rules import schema as rb
from .exemptions import ItemResult
from .prepared import Evaluation


def person_outcome(ev: Evaluation, p: m.Person, res: list[ItemResult], considered: dict[str, m.Considered],
                   channel: tuple[str, m.Reason] | None, is_error: bool, status_reasons: list[m.Reason]
                   ) -> m.PersonOutcome:
    """Combine a person's item results: the decisive one has the highest rank (then responsibility,
    then the earliest finding); ``channel`` is the person's channel rule result, used when sanctioned."""
    resp_rank, levels_by_rank = ev.prep.resp_rank, ev.book.levels_by_rank
    items = _items_out(ev, res)
    none = ev.prep.none_resp
    liable = [ir for ir in res if ir.responsibility != none]
    decisive = max(res, key=lambda ir: (ir.rank, resp_rank[ir.responsibility], -ir.finding_index)) if res else None
    rank = decisive.rank if decisive else 0
    level = levels_by_rank[rank]
    if decisive and (rank > 0 or decisive.exempted_by):
        resp = decisive.responsibility
    else:
        resp = max(liable, key=lambda ir: resp_rank[ir.responsibility]).responsibility if liable else none
    all_exempt = bool(liable) and all(ir.exempted_by for ir in liable)
    chosen = channel if is_error and rank > 0 else None
    channel_id = chosen[0] if chosen else None
    exemption = None
    if all_exempt:
        first = decisive if decisive and decisive.exempted_by else next(ir for ir in liable if ir.exempted_by)
        kind = ev.book.circumstances[first.exempted_by or ""].exemption
        if decisive is first and kind == "not_liable":
            resp = none  # 不予追究: no liability (the items keep the share that would have applied)
        exemption = m.trusted(m.Exemption, code=first.exempted_by or "", reasons=first.exemption_reasons, kind=kind)
        p_reasons = first.reasons + first.exemption_reasons
    else:
        p_reasons = _decisive_reasons(res, rank)
    if not is_error:
        p_reasons = list(status_reasons)
    if chosen:
        p_reasons.append(chosen[1])
    measures = list(level.measures.get(channel_id or "", level.measures.get("default", []))) if rank > 0 else []
    return m.trusted(
        m.PersonOutcome, id=p.id, name=p.name, role=p.role, responsibility=resp,
        level=level.id, rank=rank, measures=measures, exemption=exemption, referral=level.referral,
        influence=_influence(ev, level, channel_id) if rank > 0 else None, channel=channel_id,
        band=_band(res, rank), items=items, considered=list(considered.values()), reasons=p_reasons)


def _items_out(ev: Evaluation, res: list[ItemResult]) -> list[m.ItemOutcome]:
    shared, grade_by_value, levels_by_rank = ev.shared, ev.prep.grade_by_value, ev.book.levels_by_rank
    out = []
    for ir in res:
        key = ("item", ir.item, ir.responsibility, ir.grade, ir.rank, ir.exempted_by)
        out.append(shared.get(key) or shared.keep(key, m.trusted(
            m.ItemOutcome, item=ir.item, responsibility=ir.responsibility,
            grade=grade_by_value[ir.grade].id if ir.grade is not None else None,
            level=levels_by_rank[ir.rank].id, rank=ir.rank, exempted_by=ir.exempted_by)))
    return out


def _decisive_reasons(res: list[ItemResult], rank: int) -> list[m.Reason]:
    """The reasons of every item result at the decisive rank, each once (reasons are shared objects
    within one evaluation: equal content means the same object)."""
    seen: set[int] = set()
    out: list[m.Reason] = []
    for ir in res:
        if ir.rank == rank and (rank > 0 or ir.reasons):
            for x in ir.reasons:
                if id(x) not in seen:
                    seen.add(id(x))
                    out.append(x)
    return out


def _band(res: list[ItemResult], rank: int) -> str | None:
    """Where in the level's range: ``upper`` (heavier only), ``lower`` (lighter only), ``middle`` (both)."""
    flags: set[str] = set().union(*(ir.band_flags for ir in res if ir.rank == rank)) if res else set()
    if rank > 0 and flags & {"heavier", "lighter"}:
        hv, lt = "heavier" in flags, "lighter" in flags
        return "upper" if hv and not lt else "lower" if lt and not hv else "middle"
    return None


def _influence(ev: Evaluation, level: rb.Level, channel: str | None) -> m.Influence | None:
    """The level's influence period for the channel (else its default), with its cited basis."""
    spec = level.influence.get(channel or "") or level.influence.get("default")
    if spec is None:
        return None
    ex, shared = ev.ex, ev.shared
    key = ("influence", level.id, channel, ev.lang, ev.detail, ex.mask(spec.citations))
    return shared.get(key) or shared.keep(key, m.trusted(
        m.Influence, months=spec.months, effects=list(spec.effects), verified=spec.verified,
        basis=ex.reason(rule=f"ladder.{level.id}.influence", text=level.name.get(ev.lang),
                        specs=spec.citations, span=level.span, facts={"level": level.id},
                        inference=spec.inference)))

