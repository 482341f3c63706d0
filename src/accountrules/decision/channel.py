"""The channel a sanctioned person's case goes to (``docs/semantics.md``, "Channel")."""

from __future__ import annotations

from collections.abc import Sequence

from ..contract import models as m
from ..rules import schema as rb
from ..rules.validate import RuleEntry
from .prepared import Evaluation, Facts


def person_channel(ev: Evaluation, channel_rules: Sequence[RuleEntry], facts: Facts) -> tuple[str, m.Reason] | None:
    """The first surviving channel rule's channel, with its reason (None when no channel rule fired)."""
    if not channel_rules:
        return None
    first = channel_rules[0]
    return first.typed(rb.ChannelRule).then.channel, ev.ex.rule_reason(first, facts)
