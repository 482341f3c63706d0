"""The typed trace of one evaluation: what fired, what was overridden, what found no rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    """Closed set of trace events."""

    RULE_FIRED = "rule_fired"
    OVERRIDDEN_BY = "overridden_by"
    BLOCKED_BY = "blocked_by"
    CONFLICT = "conflict"
    NO_RULE = "no_rule"


@dataclass(frozen=True)
class TraceEvent:
    """One event: a rule and the fact it concerns (``case``, ``p1``, ``p1×P2``, ``outcome``)."""

    kind: EventKind
    rule_id: str
    subject: str
    detail: str = ""


@dataclass
class Trace:
    """Events of one evaluation, in order."""

    events: list[TraceEvent] = field(default_factory=list)

    def add(self, kind: EventKind, rule_id: str, subject: str, detail: str = "") -> None:
        """Record an event."""
        self.events.append(TraceEvent(kind, rule_id, subject, detail))

    def fired(self) -> set[str]:
        """Ids of every rule that fired on some fact."""
        return {e.rule_id for e in self.events if e.kind is EventKind.RULE_FIRED}

    def filter(self, *kinds: EventKind) -> list[TraceEvent]:
        """Events of the given kinds."""
        return [e for e in self.events if e.kind in kinds]


class NullTrace(Trace):
    """A trace that records nothing (the default when nobody asks for one)."""

    def add(self, kind: EventKind, rule_id: str, subject: str, detail: str = "") -> None:
        """Record nothing."""


def format_trace(trace: Trace, book: Any, *, full: bool = False) -> str:
    """One line per event: ``subject  KIND  rule  file:line  [detail]`` (``full`` adds every kind)."""
    kinds = set(EventKind) if full else {EventKind.RULE_FIRED}
    lines = []
    for e in trace.events:
        if e.kind not in kinds:
            continue
        entry = book.by_id.get(e.rule_id)
        where = book.source(entry.span) if entry is not None else ""
        extra = f"  ({e.detail})" if e.detail else ""
        lines.append(f"{e.subject:<14} {e.kind.value:<13} {e.rule_id}  {where}{extra}")
    return "\n".join(lines)
