"""Round 3, the outcome: the situations nobody answers for, the unit's measures and the review
tracks (``docs/semantics.md``, "Situations", "Unit measures" and "Review")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..contract import models as m
from ..explanation.trace import EventKind
from ..rules import schema as rb
from ..rules.validate import RuleEntry
from .overrides import surviving
from .prepared import Evaluation, Facts

UNANSWERED_NOTE = {
    "zh": "倒查未查明责任人员，应补充调查",
    "en": "The backward review found nobody responsible for this situation; a supplementary review is needed.",
}
# policy.flag_unanswered: false — the agency answers for what a finding names; a ground's default is unanswered
UNFOUND_NOTE = {
    "zh": "倒查未查明责任人员、机关情形，应补充调查",
    "en": "The backward review found neither a responsible person nor a situation of the agency; a supplementary "
          "review is needed.",
}


def answered(persons: Sequence[m.PersonOutcome], none: str) -> set[str]:
    """Items some person was found liable for: a responsibility, and a level above 0 or an exemption.

    A person with a share but no fault (capped to rank 0) does not answer for the item; ``none`` is the
    rulebook's responsibility of rank 0.
    """
    return {it.item for po in persons for it in po.items
            if it.responsibility != none and (it.rank > 0 or it.exempted_by)}


def found(case: m.Case) -> set[str]:
    """Items some finding names: under ``policy.flag_unanswered: false`` the agency answers for them, and only
    a situation that a ground's ``default`` alone adds is unanswered."""
    return {f.item for f in case.case.findings}


def mark_unanswered(ev: Evaluation, situations: Sequence[m.Situation], answered_items: set[str],
                    notes: Mapping[str, str] = UNANSWERED_NOTE) -> list[m.Situation]:
    """The situations with those nobody answers for flagged, with the note 倒查未查明责任人员，应补充调查
    (or ``notes``).

    The flagged objects are shared (:mod:`.sharing`); the key holds the ids of the reasons the object
    refers to, so they live as long as the entry.
    """
    out = []
    for s in situations:
        if s.item in answered_items:
            out.append(s)
            continue
        note = notes[ev.lang]
        key = ("unanswered", s.item, s.category, s.name, tuple(s.persons), note, *map(id, s.reasons))
        out.append(ev.shared.get(key) or ev.shared.keep(key, m.trusted(
            m.Situation, item=s.item, category=s.category, name=s.name, persons=s.persons, reasons=s.reasons,
            unanswered=True, note=note)))
    return out


def tracks_listed(fired: Sequence[str], ranks: Mapping[str, int]) -> list[str]:
    """Every review track that applies, highest rank first, each once."""
    return sorted(set(fired), key=lambda t: (-ranks[t], t))


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
    every track that applies (highest first), and the reasons of every surviving review rule,
    highest track first; the lowest-ranked track (``routine`` in the default rulebook) without a reason
    when none fired."""
    shared = ev.shared
    review_rules = surviving([e for e in fired if e.section == "review"], ev.trace, "outcome")
    if not review_rules:
        ev.trace.add(EventKind.NO_RULE, "review", "outcome")
        low = ev.book.default_track
        return shared.get(("review", low)) or shared.keep(("review", low), m.trusted(
            m.Review, track=low, reasons=[], tracks=[low]))
    track_rank = {t: tr.rank for t, tr in ev.book.review_tracks.items()}

    def track_of(e: RuleEntry) -> str:
        return e.typed(rb.ReviewRule).then.track

    best = max(review_rules, key=lambda e: (track_rank[track_of(e)], -e.order))
    track = track_of(best)
    reasons = [ev.ex.rule_reason(e, of) for e in sorted(review_rules, key=lambda e: (-track_rank[track_of(e)], e.order))]
    tracks = tracks_listed([track_of(e) for e in review_rules], track_rank)
    key = ("review", track, *tracks, *map(id, reasons))
    return shared.get(key) or shared.keep(key, m.trusted(m.Review, track=track, reasons=reasons, tracks=tracks))
