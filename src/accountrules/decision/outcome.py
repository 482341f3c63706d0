"""Round 3, the outcome: the unit's measures and the review track (``docs/semantics.md``,
"Unit measures" and "Review")."""

from __future__ import annotations

from ..contract import models as m
from ..explanation.trace import EventKind
from ..rules import schema as rb
from ..rules.validate import RuleEntry
from .overrides import surviving
from .prepared import Evaluation, Facts


def unit_measures(ev: Evaluation, fired: list[RuleEntry], of: Facts) -> list[m.UnitMeasure]:
    """The measures the surviving unit rules name, in the rulebook's order, without those a
    present measure supersedes; each with the reasons of the rules that named it."""
    unit_rules = surviving([e for e in fired if e.section == "unit_measures"], ev.trace, "outcome")
    measure_reasons: dict[str, list[m.Reason]] = {}
    for e in unit_rules:
        r = ev.ex.rule_reason(e, of)
        for mid in e.typed(rb.UnitRule).then.measures:
            measure_reasons.setdefault(mid, []).append(r)
    present = set(measure_reasons)
    out = []
    for mt in ev.book.unit_measure_types.values():
        if mt.id in present and not (set(mt.superseded_by) & present):
            reasons = measure_reasons[mt.id]
            key = ("unit", mt.id, ev.lang, *map(id, reasons))
            out.append(ev.shared.get(key) or ev.shared.keep(key, m.trusted(
                m.UnitMeasure, measure=mt.id, code=mt.code, name=mt.name.get(ev.lang), reasons=reasons)))
    return out


def review_track(ev: Evaluation, fired: list[RuleEntry], of: Facts) -> m.Review:
    """The heaviest review track of the surviving review rules (the earliest rule among equals),
    with the reasons of every rule that chose it; ``routine`` without a reason when none fired."""
    shared = ev.shared
    review_rules = surviving([e for e in fired if e.section == "review"], ev.trace, "outcome")
    if not review_rules:
        ev.trace.add(EventKind.NO_RULE, "review", "outcome")
        return shared.get(("review", "routine")) or shared.keep(("review", "routine"), m.trusted(
            m.Review, track="routine", reasons=[]))
    tracks = ev.book.review_tracks
    best = max(review_rules, key=lambda e: (tracks[e.typed(rb.ReviewRule).then.track].rank, -e.order))
    track = best.typed(rb.ReviewRule).then.track
    reasons = [ev.ex.rule_reason(e, of) for e in review_rules if e.typed(rb.ReviewRule).then.track == track]
    key = ("review", track, *map(id, reasons))
    return shared.get(key) or shared.keep(key, m.trusted(m.Review, track=track, reasons=reasons))
