"""Citations that fit the case: parse each citation's ``when`` and fix which date picks its version.

A citation may state when it applies (``when``, the condition language of ``docs/rule-format.md``),
printed as 参照 (``analogue``), and by which date its version in force is chosen (``date``). The
validator calls :func:`resolve_citations` once the vocabularies are known; the parsed condition and
the date basis are kept on the citation (``CitationSpec.cond`` / ``CitationSpec.basis``) for the
explanation stage.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

from ..contract.yaml_source import Loc, RawDocument
from ..diagnostics import Diagnostic
from ..language.conditions import ParseContext, parse_condition
from . import schema as rb

__all__ = ["DATE_BASIS", "LOCAL_KINDS", "case_dates", "parse_as_of", "resolve_citations", "section_basis"]

#: The default date basis of each section (semantics.md, *Citations and dates*): the correcting
#: decision is judged by the law at its date; the original act and the person's substantive
#: liability by the law at the conduct date (with 从旧兼从轻 for sanctions); what the unit is to do
#: now by the law at the date of evaluation.
DATE_BASIS: dict[str, str] = {
    "definitions": "decision", "status_rules": "decision", "grounds": "decision",
    "unit_measures": "evaluation", "unit_measure_types": "evaluation", "review": "evaluation",
}

#: Instrument kinds that belong to one place (checked against ``policy.home_jurisdictions`` by lint).
LOCAL_KINDS = frozenset({"local_rule", "local_regulation", "local_practice"})


def section_basis(section: str) -> str:
    """The date basis of a section's citations when a citation names none."""
    return DATE_BASIS.get(section, "conduct")


def _section_of(owner: str, rule_sections: Mapping[str, str]) -> tuple[str, str]:
    """(section, stage) of a citation's owner: a rule id, ``section.key``, ``ladder.key`` or ``matrix``."""
    if owner in rule_sections:
        section = rule_sections[owner]
        return section, rb.RULE_SECTIONS[section][0]
    if owner == "policy.choice_of_law":  # given per person (e.g. party rules only for party members)
        return "policy", "person"
    return owner.split(".", 1)[0], "case"


def _set_private(c: rb.CitationSpec, **values: Any) -> None:
    object.__setattr__(c, "__pydantic_private__", {**(c.__pydantic_private__ or {}), **values})


def resolve_citations(cite_locs: Iterable[tuple[RawDocument, Loc, rb.CitationSpec, str]],
                      rule_sections: Mapping[str, str], vocabs: Mapping[str, tuple[str, ...]],
                      problems: list[Diagnostic], instruments: Mapping[str, rb.Instrument] | None = None) -> None:
    """Parse every citation's ``when`` and set its date basis.

    A citation of a catalogue entry (items, definitions, ladder …) may test ``case.*`` and
    ``policy.*`` facts; a citation of a rule, the facts of the rule's stage; ``policy.choice_of_law``,
    the facts of a person. The date basis is the citation's ``date``; else ``decision`` for an
    instrument that ``governs: correcting_decision`` (the correcting body's procedure is judged by the
    law at the date of its decision); else the section's default.

    Args:
        cite_locs: (document, location, citation, owner) for every citation of the rulebook.
        rule_sections: Rule id → section.
        vocabs: The rulebook's vocabularies (items, categories, circumstances, definitions).
        problems: Where diagnostics are appended.
        instruments: The rulebook's instruments (for their ``governs``).
    """
    for doc, loc, c, owner in cite_locs:
        section, stage = _section_of(owner, rule_sections)
        rule_id = owner if owner in rule_sections else None
        cond = None
        if c.when is not None:
            ctx = ParseContext(doc, stage, vocabs, rule_id)
            cond = parse_condition(c.when, loc + ("when",), ctx)
            problems.extend(ctx.problems)
        inst = instruments.get(c.instrument) if instruments else None
        default = "decision" if inst is not None and inst.governs == "correcting_decision" else section_basis(section)
        _set_private(c, _cond=cond, _basis=c.date or default)


def case_dates(decided_on: _dt.date | None, conduct_date: _dt.date | None, as_of: _dt.date | None = None,
               reference_date: str = "decided_on", law: str = "conduct") -> dict[str, _dt.date | None]:
    """The date of each basis for one case.

    * ``conduct``: the conduct date (the date of the original act), else the decision date;
    * ``decision``: the date of the correcting decision (``decided_on``), else the conduct date;
    * ``evaluation``: ``as_of`` when given, else the decision date.

    With ``policy.reference_date: conduct_date`` every basis uses the conduct date (the rulebook's
    older, single-date behaviour); ``as_of`` still fixes the date of evaluation. With ``law:
    evaluation`` the conduct is judged by the law at the date of evaluation (the newer law that
    从旧兼从轻 compares): the ``conduct`` basis takes the evaluation date.

    Args:
        decided_on: ``case.decided_on``.
        conduct_date: ``case.conduct_date``.
        as_of: The date of evaluation (``--as-of``), if fixed.
        reference_date: ``policy.reference_date``.

    Returns:
        ``{"conduct": …, "decision": …, "evaluation": …}`` (None: no date known, every text counts
        as in force).
    """
    decision = decided_on or conduct_date
    conduct = conduct_date or decided_on
    if reference_date == "conduct_date":
        out = {"conduct": conduct, "decision": conduct, "evaluation": as_of or conduct}
    else:
        out = {"conduct": conduct, "decision": decision, "evaluation": as_of or decision}
    if law == "evaluation":
        out["conduct"] = out["evaluation"]
    return out


def parse_as_of(value: _dt.date | str) -> _dt.date:
    """A date of evaluation from a date or ``YYYY-MM-DD``.

    Raises:
        ValueError: the text is not a date ``YYYY-MM-DD`` (the message says what was given).
    """
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"as_of must be a date YYYY-MM-DD, got {str(value)[:40]!r}") from None
