"""Stage 6 — explain: turn fired rules and catalogue entries into cited :class:`Reason` records."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import rulebook as rb
from .conditions import explain as explain_condition
from .diagnostics import SourceSpan
from .models import Citation, Reason
from .rules.validate import Rulebook, RuleEntry

_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_0-9]+)+)\}")


def _fill(text: str, facts: Mapping[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        v = facts.get(m.group(1))
        if v is None:
            return m.group(0)
        if isinstance(v, list):
            return ", ".join(map(str, v)) or "—"
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    return _PLACEHOLDER.sub(sub, text)


class Explainer:
    """Builds reasons for one evaluation (one case, one language)."""

    def __init__(self, book: Rulebook, lang: str, ref_date: _dt.date | None) -> None:
        self.book = book
        self.lang = lang
        self.ref_date = ref_date.isoformat() if ref_date else None

    def citations(self, specs: Sequence[rb.CitationSpec]) -> list[Citation]:
        """The citations in force on the reference date (all of them if none is)."""
        chosen: list[Citation] = []
        fallback: list[Citation] = []
        for c in specs:
            inst = self.book.instruments[c.instrument]
            cit = Citation(instrument=inst.name, article=c.article, version=c.version or inst.version or "",
                           quote=c.quote)
            fallback.append(cit)
            d = self.ref_date
            if d is None or ((inst.in_force_from is None or inst.in_force_from <= d)
                             and (inst.in_force_until is None or d <= inst.in_force_until)):
                chosen.append(cit)
        return chosen or fallback

    def reason(self, *, rule: str, text: str, specs: Sequence[rb.CitationSpec], span: SourceSpan | None,
               facts: Mapping[str, Any], inference: str | None = None) -> Reason:
        """A reason from its parts."""
        cits = self.citations(specs)
        return Reason(rule=rule, text=_fill(text, facts), citation=cits[0], citations=cits[1:],
                      source=self.book.source(span), facts=dict(facts), inference=inference)

    def rule_reason(self, entry: RuleEntry, facts: Mapping[str, Any], extra: Mapping[str, Any] | None = None
                    ) -> Reason:
        """Why a fired rule holds: its text, citations and the facts its condition used."""
        _, checked = explain_condition(entry.cond, facts)
        used = {c.test.path: facts[c.test.path] for c in checked}
        if extra:
            used.update(extra)
        r = entry.rule
        text = (r.explain or r.title).get(self.lang)
        return self.reason(rule=r.id, text=text, specs=r.citations, span=entry.span, facts=used,
                           inference=r.inference)

    def why_not(self, entry: RuleEntry, facts: Mapping[str, Any]) -> str:
        """The tests that failed, for a rule that did not fire."""
        ok, checked = explain_condition(entry.cond, facts)
        if ok:
            return ""
        return "; ".join(c.describe() for c in checked if not c.held) or "conditions not met"
