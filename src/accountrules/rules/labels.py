"""Labels: the Chinese and English name of every code the engine may print.

Two kinds of vocabulary have labels:

* **closed vocabularies** that the case file and the recommendation define (origins, outcomes,
  act types, grounds, roles, faults, conducts, statuses, referrals, fact paths …): their labels
  are written in the rulebook's ``labels:`` section (``rules/labels.yaml``), one ``{zh, en}``
  text per code; every code needs both, or the rulebook does not load (``missing-label``);
  ``referral_advice`` is not a code's name but the recommendation the letter prints after 建议 for a
  person so referred (移送纪检监察机关依规依纪依法处理 …): the wording is the rulebook's;
* **rulebook vocabularies** (definitions, categories, items, grades, responsibilities, ladder
  levels, measures, channels, circumstances, unit-measure types, review tracks): each entry's own
  ``name:`` is its label.

:meth:`accountrules.rules.validate.Rulebook.label` answers ``label(kind, code, lang)`` for both.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from ..contract import models as m
from ..contract.yaml_source import RawDocument
from ..diagnostics import Diagnostic, SourceSpan, allowed, did_you_mean
from ..language.facts import FACTS

#: closed vocabularies whose labels the ``labels:`` section must give (kind → codes)
CLOSED: dict[str, tuple[str, ...]] = {
    "origin": m.ORIGINS,
    "outcome": m.OUTCOMES,
    "act_type": m.ACT_TYPES,
    "ground": m.GROUNDS,
    "agency_level": m.AGENCY_LEVELS,
    "absence_reason": m.ABSENCE_REASONS,
    "social_impact": m.SOCIAL_IMPACTS,
    "role": m.ROLES,
    "fault": m.FAULTS,
    "conduct": m.CONDUCTS,
    "status": ("error_case", "not_error_case", "pending"),
    "referral": ("discipline", "criminal"),
    "referral_advice": ("discipline", "criminal"),
    "chain_weighting": ("handler_first", "approver_first"),
    "circumstance_kind": ("aggravating", "mitigating", "exempting"),
    "exemption": ("not_liable", "exempt_from_sanction"),
    "effect": ("heavier", "lighter", "aggravate", "mitigate"),
    "band": ("lower", "middle", "upper"),
    "bool": ("true", "false"),
    "fact": tuple(FACTS),
}

#: vocabularies the rulebook defines, labelled by each entry's ``name`` (kind → Rulebook attribute)
CATALOG: dict[str, str] = {
    "definition": "definitions",
    "category": "categories",
    "item": "items",
    "grade": "grades",
    "responsibility": "responsibilities",
    "level": "levels",
    "measure": "measures",
    "channel": "channels",
    "circumstance": "circumstances",
    "unit_measure": "unit_measure_types",
    "review_track": "review_tracks",
}

#: the vocabulary (label kind) of each fact path whose values are codes
FACT_KIND: dict[str, str] = {
    "case.origin": "origin", "case.outcome": "outcome", "case.act_type": "act_type",
    "case.grounds": "ground", "case.agency.level": "agency_level",
    "case.hearing.absence_reason": "absence_reason", "case.consequences.social_impact": "social_impact",
    "case.items": "item", "case.categories": "category", "policy.chain_weighting": "chain_weighting",
    "person.role": "role", "person.fault": "fault", "person.conduct": "conduct",
    "person.circumstances": "circumstance", "person.named_items": "item", "finding.item": "item",
    "finding.category": "category", "finding.named_roles": "role",
    "case.named_roles": "role", "finding.named_faults": "fault", "finding.other_items": "item", "outcome.status": "status",
    "outcome.definition": "definition", "outcome.items": "item", "outcome.categories": "category",
}

#: every kind :func:`label` answers
KINDS: tuple[str, ...] = (*CLOSED, "influence_effect", *CATALOG)

#: rulebook vocabularies printed by their code (P2, T3, MT3 …), not by their name, inside sentences
CODED = frozenset({"item", "definition", "circumstance", "category", "grade"})


def required(influence_effects: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Kind → the codes that need a label (the closed vocabularies and the influence effects the
    ladder uses; an influence effect the ladder does not use may still be labelled)."""
    return {**CLOSED, "influence_effect": tuple(sorted(set(influence_effects)))}


def collect(docs: Iterable[tuple[RawDocument, Mapping[str, Mapping[str, Any]] | None]],
            need: Mapping[str, tuple[str, ...]], fallback: SourceSpan | None,
            problems: list[Diagnostic], *, complete: bool = True) -> dict[str, dict[str, Any]]:
    """Merge the ``labels:`` sections of the rule files and report unknown, repeated and (when
    ``complete``: no ``labels:`` section failed to validate) missing labels (``need``: kind →
    codes, from :func:`required`)."""
    out: dict[str, dict[str, Any]] = {}
    where: dict[tuple[str, ...], SourceSpan] = {}
    misspelt: dict[str, list[str]] = {}  # unknown codes, by kind: the code each one meant is not missing again
    for doc, labels in docs:
        if labels is None:
            continue
        where.setdefault(("labels",), doc.key_span(("labels",)))
        for kind, codes in labels.items():
            kspan = doc.key_span(("labels", kind))
            if kind not in need:
                hint = (" (it is labelled by the `name:` of its own entries)" if kind in CATALOG else "")
                problems.append(Diagnostic("unknown-key", f"unknown label vocabulary '{kind}'{hint}"
                                           f"{did_you_mean(kind, need)}. {allowed(need)}", kspan,
                                           path=f"labels.{kind}"))
                continue
            where.setdefault(("labels", kind), kspan)
            mine = out.setdefault(kind, {})
            for code, text in codes.items():
                cspan = doc.key_span(("labels", kind, code))
                if code not in need[kind] and kind in CLOSED:
                    misspelt.setdefault(kind, []).append(str(code))
                    problems.append(Diagnostic("unknown-reference", f"'{code}' is not a code of {kind}"
                                               f"{did_you_mean(code, need[kind])}. {allowed(need[kind])}",
                                               cspan, path=f"labels.{kind}.{code}"))
                elif code in mine:
                    problems.append(Diagnostic("duplicate-id", f"label {kind}.{code} is given twice "
                                               f"(first at {where[('labels', kind, code)]}).", cspan,
                                               path=f"labels.{kind}.{code}"))
                else:
                    mine[code] = text
                    where[("labels", kind, code)] = cspan
    for kind, wanted in need.items() if complete else ():
        missing = [c for c in wanted if c not in out.get(kind, {})
                   and not difflib.get_close_matches(c, misspelt.get(kind, []), n=1, cutoff=0.6)]
        if missing:
            span = where.get(("labels", kind)) or where.get(("labels",)) or fallback
            problems.append(Diagnostic(
                "missing-label", f"{kind}: no zh/en label for {', '.join(repr(c) for c in missing)}. Every code "
                f"of every vocabulary needs one: under 'labels:' write '{kind}:' then, for each code, "
                f"'{missing[0]}: {{zh: …, en: …}}'.", span, path=f"labels.{kind}"))
    return out
