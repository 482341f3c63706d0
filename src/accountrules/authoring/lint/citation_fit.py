"""Lint for citations that fit the case: a conclusion whose printed basis cannot apply to a case that
reaches it.

A citation with a ``when`` is printed only for the cases it fits (``docs/rule-format.md``,
*Citations*). Two findings:

* ``citation-gap`` (error): some case reaches the rule (or the catalogue entry) and none of its
  citations applies, so the conclusion would be printed with 无适用条文 instead of a basis.
* ``citation-never`` (warning): a citation whose ``when`` cannot hold on any fact the rule fires
  on — its basis is never printed.
* ``analogue-unmarked`` (error): a local instrument that names none of the rulebook's
  ``policy.home_jurisdictions`` and is not marked ``analogue: true`` — it would be printed as a
  binding basis.

Both are proofs by the same symbolic reasoner as the rest of lint (a conjunction it cannot refute
is taken as satisfiable, so a gap is reported with a witness).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ...diagnostics import Diagnostic, SourceSpan
from ...language.conditions import AnyOf, DnfTooLarge, Test, to_dnf
from ...rules import schema as rb
from ...rules.citations import LOCAL_KINDS
from ...rules.validate import Rulebook, RuleEntry
from .reasoner import Reasoner, _witness

__all__ = ["check_citations"]


def _uncovered(specs: Sequence[rb.CitationSpec]) -> list[list[Test]] | None:
    """The conjunctions under which no citation of ``specs`` applies ([] if one always does; None: too large)."""
    if any(c.cond is None for c in specs):
        return []
    try:
        return to_dnf(AnyOf(tuple(c.cond for c in specs)), negate=True)
    except DnfTooLarge:
        return None


def _gap(code: str, owner: str, witness: str, span: SourceSpan | None, rule_id: str | None) -> Diagnostic:
    return Diagnostic(code, f"{owner}: a case can reach it with none of its citations applying ({witness}); "
                      "its conclusion would be printed with 无适用条文 instead of a legal basis. Add a citation "
                      "for those cases or widen a citation's 'when'.", span, severity="error", rule_id=rule_id)


def _rule_findings(rs: Reasoner, entry: RuleEntry) -> Iterable[Diagnostic]:
    specs = entry.rule.citations
    if all(c.cond is None for c in specs):
        return
    rule_alts = rs.alts(entry) or [[]]
    for alt in _uncovered(specs) or []:
        both = next((a + alt for a in rule_alts if rs.check_in_stage(a + alt, entry.stage) is None), None)
        if both is not None:
            yield _gap("citation-gap", f"rule '{entry.id}'", _witness(rs, both), entry.span, entry.id)
            break
    for c in specs:
        if c.cond is None:
            continue
        try:
            alts = to_dnf(c.cond)
        except DnfTooLarge:
            continue
        if not any(rs.can_fire_with(entry, a) for a in alts):
            yield Diagnostic("citation-never", f"rule '{entry.id}': the citation of {c.instrument} {c.article} "
                             "never applies to a case the rule fires on (its 'when' contradicts the rule's); it is "
                             "never printed.", entry.span, severity="warning", rule_id=entry.id)


def _catalogue_findings(rs: Reasoner, book: Rulebook) -> Iterable[Diagnostic]:
    owners: list[tuple[str, Sequence[rb.CitationSpec], SourceSpan | None, list[Test]]] = []
    owners += [(f"items.{k}", it.citations, it.span, [Test("case.items", "contains", k)])
               for k, it in book.items.items()]
    owners += [(f"definitions.{k}", d.citations, d.span, []) for k, d in book.definitions.items()]
    owners += [(f"circumstances.{k}", c.citations, c.span, []) for k, c in book.circumstances.items()]
    owners += [(f"unit_measure_types.{k}", u.citations, u.span, []) for k, u in book.unit_measure_types.items()]
    owners += [(f"ladder.{k}", lv.citations, lv.span, []) for k, lv in book.levels.items()]
    owners += [(f"responsibilities.{k}", r.citations, r.span, []) for k, r in book.responsibilities.items()]
    owners += [(f"channels.{k}", ch.citations, ch.span, []) for k, ch in book.channels.items()]
    owners.append(("matrix", book.matrix.citations, book.matrix.span, []))
    for owner, specs, span, reach in owners:
        if all(c.cond is None for c in specs):
            continue
        for alt in _uncovered(specs) or []:
            if rs.check(reach + alt, "case") is None:
                yield _gap("citation-gap", owner, _witness(rs, reach + alt), span, None)
                break


def _analogue_findings(book: Rulebook) -> Iterable[Diagnostic]:
    home = book.manifest.policy.home_jurisdictions
    if not home:
        return
    for inst in book.instruments.values():
        if inst.kind in LOCAL_KINDS and not inst.analogue and not any(h in inst.name for h in home):
            yield Diagnostic(
                "analogue-unmarked", f"instrument '{inst.id}' ({inst.short}) is a local text that names none of the "
                f"rulebook's home jurisdictions ({', '.join(home)}); mark it 'analogue: true' so that it is printed "
                "as 参照 and never as the binding basis of a conclusion.", inst.span, severity="error")


def check_citations(book: Rulebook, rs: Reasoner) -> list[Diagnostic]:
    """``citation-gap``, ``citation-never`` and ``analogue-unmarked`` findings of a validated rulebook."""
    out = [d for e in book.rules for d in _rule_findings(rs, e)]
    out += _catalogue_findings(rs, book)
    out += _analogue_findings(book)
    return out
