"""Rules that fire together: ``conflict`` (status rules), ``overlap`` (channels), ``floor-above-ceiling``."""

from __future__ import annotations

from ...diagnostics import Diagnostic
from ...rules import schema as rb
from ...rules.validate import Rulebook
from .base import finding
from .reasoner import Reasoner, _names, _witness


def _check_conflicts(book: Rulebook, rs: Reasoner, dead: set[str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    status = [e for e in book.by_section["status_rules"] if e.id not in dead]
    for i, b in enumerate(status):
        for a in status[:i]:
            sa, sb = a.typed(rb.StatusRule).then.status, b.typed(rb.StatusRule).then.status
            if sa == sb or _names(a, b):
                continue
            w = rs.overlap(a, b, status)
            if w is not None:
                out.append(finding("conflict", f"status rules '{a.id}' ({sa}) and '{b.id}' ({sb}) can fire together "
                              f"(e.g. when {_witness(rs, w)}) and neither names the other in exception_to; the "
                              f"evaluation would fail with a rule conflict. Add 'exception_to: [{a.id}]' to the "
                              f"rule that should win, or narrow one of them.", b.span, b.id))
    channels = [e for e in book.by_section["channel_rules"] if e.id not in dead]
    for i, b in enumerate(channels):
        for a in channels[:i]:
            ca, cb = a.typed(rb.ChannelRule).then.channel, b.typed(rb.ChannelRule).then.channel
            if ca == cb or _names(a, b):
                continue
            w = rs.overlap(a, b, channels)
            if w is not None:
                out.append(finding("overlap", f"channel rules '{a.id}' ({ca}) and '{b.id}' ({cb}) can both fire "
                              f"(e.g. when {_witness(rs, w)}); '{a.id}' wins only because it comes first. Say so "
                              f"with exception_to, or narrow one of them.", b.span, b.id))
    levels = book.levels
    lrules = [e for e in book.by_section["level_rules"] if e.id not in dead]
    for a in lrules:
        for b in lrules:
            lo, hi = a.typed(rb.LevelRule).then.min_level, b.typed(rb.LevelRule).then.max_level
            if lo is None or hi is None or a is b or lo not in levels or hi not in levels:
                continue
            if levels[lo].rank > levels[hi].rank and not _names(a, b) and \
                    rs.overlap(a, b, lrules) is not None:
                later = b if b.order > a.order else a
                out.append(finding("floor-above-ceiling", f"level rules '{a.id}' (at least {lo}) and '{b.id}' (at "
                              f"most {hi}) can apply together; the ceiling wins. Make one an exception to the "
                              "other if that is not meant.", later.span, later.id))
    return out
