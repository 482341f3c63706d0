"""Stage 6 — explain: turn fired rules and catalogue entries into cited :class:`Reason` records."""

from __future__ import annotations

import datetime as _dt
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from .._limits import CACHE_ENTRIES
from ..contract.models import Citation, Reason, trusted
from ..diagnostics import SourceSpan
from ..language.conditions import explain as explain_condition
from ..language.conditions import holds, tests_of
from ..language.facts import FACTS
from ..rules import schema as rb
from ..rules.validate import Rulebook, RuleEntry
from ..rules.wording import checked_text, value_text

_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_0-9]+)+)\}")

#: in a chain rule's text, the responsibility it assigns, named for this person (领导责任 only for
#: a leading cadre: :meth:`Rulebook.responsibility_label`)
RESPONSIBILITY = "{responsibility}"


def _fill(text: str, facts: Mapping[str, Any], book: Rulebook, lang: str) -> str:
    """Fill ``{fact.path}`` placeholders with the facts' values in words (labels, not codes)."""
    if "{" not in text:
        return text

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in facts:
            return m.group(0)
        return value_text(book, key, facts[key], lang)

    return _PLACEHOLDER.sub(sub, text)


def _placeholders(entry: RuleEntry) -> list[str]:
    """The fact paths a rule's texts name as ``{fact.path}`` (both languages)."""
    r = entry.rule
    texts = [r.title.zh, r.title.en] + ([r.explain.zh, r.explain.en] if r.explain else [])
    return [p for t in texts for p in _PLACEHOLDER.findall(t) if p in FACTS and FACTS[p].stages
            and entry.stage in FACTS[p].stages]


def _hashable(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


class ReasonCache:
    """Reasons are immutable and determined by their inputs, so one engine shares them across
    evaluations (bounded; cleared when full — content never depends on the cache)."""

    MAX = CACHE_ENTRIES

    def __init__(self) -> None:
        self.reasons: dict[tuple[Any, ...], Reason] = {}
        self.citations: dict[tuple[Any, ...], Citation] = {}
        # (lang, compact) → key → reason, for rule reasons and catalogue reasons
        self.by_lang: dict[tuple[str, bool], dict[tuple[Any, ...], Reason]] = {}
        # which instruments are in force (an "era"), by where a date falls among the in-force
        # boundaries of the rulebook's instruments: few eras, however many dates
        self.bounds: tuple[list[str], list[str]] | None = None
        # (slot of each basis date) → era
        self.eras: dict[tuple[tuple[int, int] | None, ...], tuple[bool, ...]] = {}
        # era → (id(citation specs), values of the facts their conditions test) → (in force, applies) each
        self.masks: dict[tuple[bool, ...], dict[tuple[int, tuple[Any, ...]], tuple[tuple[bool, bool], ...]]] = {}
        self.paths: dict[int, tuple[tuple[str, bool], ...]] = {}
        # id(citation specs) → the fact paths their ``when`` conditions test
        self.cite_paths: dict[int, tuple[str, ...]] = {}

    def trim(self) -> None:
        """Clear when over the bound (called between evaluations)."""
        if len(self.reasons) > self.MAX or sum(len(d) for d in self.by_lang.values()) > self.MAX:
            self.reasons.clear()
            self.by_lang.clear()
        if len(self.eras) > 10_000:
            self.eras.clear()
            self.masks.clear()


#: The primary citation when no cited text is in force on the date that decides (never a silent
#: fall-back to an out-of-force or off-topic text), and when none of the cited texts applies to the case.
NO_TEXT_IN_FORCE = {"zh": "无当时有效文本", "en": "no text in force at the time"}
NO_TEXT_APPLIES = {"zh": "无适用条文", "en": "no cited text applies to this case"}
#: Printed after the first citation when every binding text left has unknown in-force dates (a text
#: not seen, e.g. the Guizhou 办法): such a text is never presented as the verified text in force.
NO_VERIFIED_TEXT = {"zh": "无当时有效的法律、法规文本", "en": "no law or regulation verified in force at the time"}
_BASES = ("conduct", "decision", "evaluation")


def _in_force_on(inst: rb.Instrument, d: str | None) -> bool:
    return d is None or ((inst.in_force_from is None or inst.in_force_from <= d)
                         and (inst.in_force_until is None or d <= inst.in_force_until))


class Explainer:
    """Builds reasons for one evaluation (one case, one language).

    ``dates`` gives the date of each basis (``conduct``, ``decision``, ``evaluation``; see
    ``docs/semantics.md``, *Citations and dates*); a citation is printed when its instrument is in
    force on the date of its basis and its ``when`` holds for the facts of the reason (the case
    facts, ``case_facts``, for catalogue entries).
    """

    def __init__(self, book: Rulebook, lang: str, ref_date: _dt.date | None, cache: ReasonCache | None = None,
                 detail: str = "full", dates: Mapping[str, _dt.date | None] | None = None) -> None:
        self.book = book
        self.lang = lang
        self.compact = detail == "compact"
        self.ref_date = ref_date.isoformat() if ref_date else None
        given = dates if dates is not None else dict.fromkeys(_BASES, ref_date)
        self.dates = {b: (d.isoformat() if (d := given.get(b)) else None) for b in _BASES}
        self.case_facts: Mapping[str, Any] = {}
        self.cache = cache if cache is not None else ReasonCache()
        self.cache.trim()
        bounds = self.cache.bounds
        if bounds is None:
            insts = book.instruments.values()
            bounds = self.cache.bounds = (sorted({i.in_force_from for i in insts if i.in_force_from}),
                                          sorted({i.in_force_until for i in insts if i.in_force_until}))
        # in force ⇔ from ≤ d ≤ until: the pattern only changes where d passes a from or an until
        slot = tuple(None if d is None else (bisect_right(bounds[0], d), bisect_left(bounds[1], d))
                     for d in self.dates.values())
        era = self.cache.eras.get(slot)
        if era is None:
            era = self.cache.eras[slot] = tuple(self._in_force(i, b) for b in _BASES for i in book.instruments.values())
        self._masks = self.cache.masks.setdefault(era, {})
        self._keyed = self.cache.by_lang.setdefault((lang, self.compact), {})

    def _in_force(self, inst: rb.Instrument, basis: str = "decision") -> bool:
        return _in_force_on(inst, self.dates[basis])

    def _citation(self, c: rb.CitationSpec) -> Citation:
        key = (c.instrument, c.article, c.version, c.quote, c.analogue, self.compact)
        cit = self.cache.citations.get(key)
        if cit is None:
            inst = self.book.instruments[c.instrument]
            analogue = inst.analogue if c.analogue is None else c.analogue
            version = c.version or inst.version or ""
            # in force on dates nobody knows: null, printed 施行日期不详 (never asserted to be in force)
            in_force = None if inst.in_force_from is None and inst.in_force_until is None else True
            cit = Citation(instrument=inst.name, article=c.article, version="" if version == "unknown" else version,
                           quote=None if self.compact else c.quote, analogue=analogue, in_force=in_force)
            self.cache.citations[key] = cit
        return cit

    def _none(self, table: Mapping[str, str]) -> Citation:
        key = ("none", table[self.lang])
        cit = self.cache.citations.get(key)
        if cit is None:
            cit = self.cache.citations[key] = Citation(instrument=table[self.lang], article="—", version="",
                                                       in_force=False)
        return cit

    def _cond_paths(self, specs: Sequence[rb.CitationSpec]) -> tuple[str, ...]:
        paths = self.cache.cite_paths.get(id(specs))
        if paths is None:
            paths = tuple(dict.fromkeys(t.path for c in specs if c.cond is not None for t in tests_of(c.cond)))
            self.cache.cite_paths[id(specs)] = paths
        return paths

    def mask(self, specs: Sequence[rb.CitationSpec], facts: Mapping[str, Any] | None = None
             ) -> tuple[tuple[bool, bool], ...]:
        """For each of ``specs`` (rulebook objects): (in force on the date of its basis, applies to ``facts``)."""
        paths = self._cond_paths(specs)
        if paths:
            seen = {**self.case_facts, **(facts or {})}
            values: tuple[Any, ...] = tuple(_hashable(seen.get(p)) for p in paths)
        else:
            seen, values = {}, ()
        key = (id(specs), values)
        mask = self._masks.get(key)
        if mask is None:
            insts = self.book.instruments
            mask = tuple((self._in_force(insts[c.instrument], c.basis),
                          c.cond is None or holds(c.cond, seen)) for c in specs)
            self._masks[key] = mask
        return mask

    def citations(self, specs: Sequence[rb.CitationSpec], facts: Mapping[str, Any] | None = None
                  ) -> list[Citation]:
        """The citations of ``specs`` that apply to ``facts`` and are in force on their date: binding texts
        with known in-force dates first, then binding texts whose dates are unknown, then analogues (参照);
        "no text in force" when there is none. When no binding text with known dates is left but one with
        unknown dates is, the marker 无当时有效的法律、法规文本 follows the first citation."""
        mask = self.mask(specs, facts)
        chosen = [self._citation(c) for c, (ok, applies) in zip(specs, mask, strict=True) if ok and applies]
        if not chosen:
            applicable = any(applies for _, applies in mask)
            return [self._none(NO_TEXT_IN_FORCE if applicable else NO_TEXT_APPLIES)]
        chosen.sort(key=lambda cit: (cit.analogue, cit.in_force is None))
        first = 1
        if not any(not c.analogue and c.in_force for c in chosen) and any(not c.analogue for c in chosen):
            chosen.insert(1, self._none(NO_VERIFIED_TEXT))
            first = 2
        return chosen[:first] if self.compact else chosen

    def reason(self, *, rule: str, text: str, specs: Sequence[rb.CitationSpec], span: SourceSpan | None,
               facts: Mapping[str, Any], inference: str | None = None,
               stage_facts: Mapping[str, Any] | None = None) -> Reason:
        """A reason from its parts (shared when an identical one was built before); the citations' ``when``
        are tested on ``stage_facts`` (all the facts of the stage), else on ``facts``."""
        seen = facts if stage_facts is None else stage_facts
        mask = self.mask(specs, seen)
        key = (rule, text, id(specs), mask, span, inference, self.compact,
               tuple((k, _hashable(v)) for k, v in facts.items()))
        cached = self.cache.reasons.get(key)
        if cached is not None:
            return cached
        cits = self.citations(specs, seen)
        r = trusted(Reason, rule=rule, text=_fill(text, facts, self.book, self.lang), citation=cits[0],
                    citations=cits[1:],
                    source=self.book.source(span), facts=dict(facts), inference=inference)
        self.cache.reasons[key] = r
        return r

    def catalogue_key(self, key: tuple[Any, ...], specs: Sequence[rb.CitationSpec]) -> tuple[Any, ...]:
        """The cache key of a catalogue reason that ``key`` determines (with the citations in force)."""
        return key + (self.mask(specs),)

    def known(self, key: tuple[Any, ...]) -> Reason | None:
        """The reason remembered under ``key`` in this language, if any."""
        return self._keyed.get(key)

    def remember(self, key: tuple[Any, ...], reason: Reason) -> Reason:
        """Remember ``reason`` under ``key`` in this language."""
        self._keyed[key] = reason
        return reason

    def rule_reason(self, entry: RuleEntry, facts: Mapping[str, Any], extra: Mapping[str, Any] | None = None
                    ) -> Reason:
        """Why a fired rule holds: its text, citations and the facts its condition used."""
        paths = self.cache.paths.get(entry.order)
        if paths is None:
            paths = tuple((p, FACTS[p].type == "list") for p in dict.fromkeys(
                [t.path for t in tests_of(entry.cond)] + _placeholders(entry)))
            self.cache.paths[entry.order] = paths
        key = (entry.order, self.mask(entry.citations, facts),
               tuple([tuple(facts[p]) if is_list else facts[p] for p, is_list in paths]),
               tuple(sorted(extra.items())) if extra else (),
               entry.section == "chain" and bool(facts.get("person.leading_cadre")),
               facts.get("case.law_date") if entry.params else None)  # a parameter's value depends on the date
        cached = self._keyed.get(key)
        if cached is not None:
            return cached
        r = self._rule_reason(entry, facts, extra)
        self._keyed[key] = r
        return r

    def _rule_reason(self, entry: RuleEntry, facts: Mapping[str, Any], extra: Mapping[str, Any] | None) -> Reason:
        _, checked = explain_condition(entry.cond, facts)
        used = {c.test.path: facts[c.test.path] for c in checked}
        for p in _placeholders(entry):  # what the text states is among the facts it rests on
            used.setdefault(p, facts[p])
        if extra:
            used.update(extra)
        r = entry.rule
        text = (r.explain or r.title).get(self.lang)
        if RESPONSIBILITY in text and entry.section == "chain":
            text = text.replace(RESPONSIBILITY, self.book.responsibility_label(
                r.then.responsibility, self.lang, leader=bool(facts.get("person.leading_cadre"))))  # type: ignore[attr-defined]
        for name in entry.params:  # a parameter is printed with its value in force and its citations
            value = self.book.parameter_value(name, int(facts.get("case.law_date", 0)))
            used[f"param.{name}"] = value
            text = text.replace(f"{{param.{name}}}", value_text(self.book, f"param.{name}", value, self.lang))
        return self.reason(rule=r.id, text=text, specs=entry.citations, span=entry.span, facts=used,
                           inference=r.inference, stage_facts=facts)

    def why_not(self, entry: RuleEntry, facts: Mapping[str, Any]) -> str:
        """The tests that failed, for a rule that did not fire."""
        ok, checked = explain_condition(entry.cond, facts)
        if ok:
            return ""
        sep = "；" if self.lang == "zh" else "; "
        return sep.join(checked_text(self.book, c, self.lang) for c in checked if not c.held) or (
            "条件不具备" if self.lang == "zh" else "its conditions do not hold")
