"""Vocabulary nothing refers to (``unused``) and typical roles that are not roles (``unknown-value``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...contract import models as m
from ...diagnostics import Diagnostic
from ...rules import schema as rb
from ...rules.validate import Rulebook
from .base import finding
from .citations import iter_citations


def _check_unused(book: Rulebook) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    sec = book.by_section
    used_defs = {d for e in sec["status_rules"] if (d := e.typed(rb.StatusRule).then.definition) is not None}
    used_channels = {e.typed(rb.ChannelRule).then.channel for e in sec["channel_rules"]}
    used_units = {mid for e in sec["unit_measures"] for mid in e.typed(rb.UnitRule).then.measures}
    used_tracks = {e.typed(rb.ReviewRule).then.track for e in sec["review"]} | {book.default_track}
    used_measures = {mid for lv in book.ladder for ms in lv.measures.values() for mid in ms}
    cited: set[str] = set()
    for _owner, _span, c in iter_citations(book):
        cited.add(c.instrument)
    # the letter's deciding bodies and the statistics' thresholds cite too (not rules: no case exercises them)
    for obj in [*book.deciding_bodies.values(), *book.stat_thresholds.values()]:
        cited.update(c.instrument for c in obj.citations)
    checks: list[tuple[str, Mapping[str, Any], set[str], str]] = [
        ("definition", book.definitions, used_defs, "no status rule names it"),
        ("channel", book.channels, used_channels, "no channel rule selects it"),
        ("unit measure", book.unit_measure_types, used_units, "no unit_measures rule gives it"),
        ("review track", book.review_tracks, used_tracks, "no review rule selects it"),
        ("measure", book.measures, used_measures, "no ladder level lists it"),
        ("instrument", book.instruments, cited, "nothing cites it"),
        ("parameter", book.parameters, {p for e in book.rules for p in e.params},
         "no rule compares with it ({param: ID}) or prints it ({param.ID})"),
    ]
    for kind, objs, used, why in checks:
        for key, obj in objs.items():
            if key not in used:
                out.append(finding("unused", f"{kind} '{key}' is never used: {why}.", obj.span))
    return out


def _check_roles(book: Rulebook) -> list[Diagnostic]:
    """Items' typical roles must be contract roles (``finding.role_is_direct`` compares them)."""
    from ...diagnostics import allowed, did_you_mean

    out = []
    for item in book.items.values():
        for kind in ("direct", "oversight"):
            for role in getattr(item.roles, kind):
                if role not in m.ROLES:
                    out.append(finding("unknown-value", f"item {item.id}: roles.{kind} names '{role}', which is not a "
                                  f"role, so finding.role_is_{kind} never matches it{did_you_mean(role, m.ROLES)} "
                                  f"{allowed(m.ROLES)}", item.span))
    return out
