"""Every citation of a rulebook, and placeholder versions (``missing-version``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from ...diagnostics import Diagnostic, SourceSpan
from ...rules import schema as rb
from ...rules.validate import Rulebook
from .base import finding


def iter_citations(book: Rulebook) -> Iterable[tuple[str, SourceSpan | None, rb.CitationSpec]]:
    """Every citation of the rulebook: (owner, where the owner is written, citation).

    Owners are rule ids, ``items.P2``, ``ladder.talk``, ``ladder.talk.influence.default``,
    ``matrix``, ``definitions.T1``, ``responsibilities.direct``, ``channels.x``,
    ``circumstances.AG1`` and ``unit_measure_types.x``.
    """
    for e in book.rules:
        for c in e.rule.citations:
            yield e.id, e.span, c
    sections: list[tuple[str, Mapping[str, Any]]] = [
        ("definitions", book.definitions), ("items", book.items), ("responsibilities", book.responsibilities),
        ("ladder", book.levels), ("channels", book.channels), ("circumstances", book.circumstances),
        ("unit_measure_types", book.unit_measure_types)]
    for name, objs in sections:
        for key, obj in objs.items():
            for c in obj.citations:
                yield f"{name}.{key}", obj.span, c
            if name == "ladder":
                for ch, inf in obj.influence.items():
                    for c in inf.citations:
                        yield f"ladder.{key}.influence.{ch}", obj.span, c
    for c in book.matrix.citations:
        yield "matrix", book.matrix.span, c
    for c in book.manifest.policy.choice_of_law:
        yield "policy.choice_of_law", book.manifest.span, c


def _check_versions(book: Rulebook) -> list[Diagnostic]:
    """Instruments whose version is a placeholder (a year before 1900, e.g. ``0000``: date unknown).

    Validation accepts them (the pattern is ``YYYY``), so every citation of such an instrument is, in
    substance, a citation without a version.
    """
    uses: dict[str, list[str]] = defaultdict(list)
    for owner, span, c in iter_citations(book):
        if c.version is None:
            uses[c.instrument].append(f"{owner} ({book.source(span)})")
    out = []
    for inst in book.instruments.values():
        if inst.version is not None and inst.version[:4].isdigit() and int(inst.version[:4]) < 1900 \
                and uses.get(inst.id):
            owners = list(dict.fromkeys(uses[inst.id]))
            shown = ", ".join(owners[:3]) + (f", … ({len(owners) - 3} more)" if len(owners) > 3 else "")
            out.append(finding("missing-version", f"instrument '{inst.id}' has the placeholder version {inst.version}, so "
                          f"its {len(uses[inst.id])} citation(s) have no real version; cited by {shown}. Find the "
                          "date of the text, or cite a dated instrument.", inst.span, severity="warning"))
    return out


def check_procedure_dates(book: Rulebook) -> list[Diagnostic]:
    """``procedure-date``: a citation of the correcting body's procedure (an instrument that ``governs:
    correcting_decision``: 行政诉讼法, 行政复议法 …) whose version is picked by the conduct date.

    The correcting body acts under the law in force when it decides (行政复议法（2023）第九十条: the 2023 law
    governs decisions from 2024-01-01); on the conduct date a 2024 decision would print the 2017 law.
    """
    out = []
    rule_ids = {e.id for e in book.rules}
    for owner, span, c in iter_citations(book):
        inst = book.instruments.get(c.instrument)
        if inst is not None and inst.governs == "correcting_decision" and c.basis == "conduct":
            rule_id = owner if owner in rule_ids else None
            out.append(finding("procedure-date", f"{owner}: the citation of {inst.short} {c.article} picks its "
                               "version by the conduct date, but it states the correcting body's procedure, which "
                               "follows the law at the date of the correcting decision; give it 'date: decision' "
                               "(or drop 'date: conduct').", span, rule_id=rule_id))
    return out
