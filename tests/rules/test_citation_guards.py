"""The texts on non-compliance with a reconsideration decision are cited only where they fit (review L13).

行政复议法（2023）第七十七条第二款 / 第八十三条 and their counterparts 行政复议法（2017、1999）第三十七条 concern
only a respondent that does not comply with a reconsideration decision (情形 R3 in a reconsideration case).
Ladder levels, unit measures and circumstances are catalogue entries that any case can reach, so each such
citation must carry the guard itself; a rule or item that exists only for R3 needs only the origin.
Ladder-level citations are printed in the catalogue, never in a recommendation, so no rule case can see
them: this test reads the parsed guards and evaluates them on facts.
"""

from __future__ import annotations

from typing import Any

import pytest

from accountrules.authoring.lint import iter_citations
from accountrules.language.conditions import holds
from accountrules.rules import Rulebook

#: (instrument, article prefix) of the R3-only texts
R3_TEXTS = (("S02", "第七十七条第二款"), ("S02", "第八十三条"), ("S02v2017", "第三十七条"), ("S02v1999", "第三十七条"))
#: owners that exist only for an R3 finding (the item itself, rules conditioned on finding.item R3)
R3_OWNERS = frozenset({"items.R3", "RC-R3-principal-default", "LV-intentional-sanction-item"})

R3_RECONSIDERATION = {"case.origin": "reconsideration", "case.items": ["R3"], "finding.item": "R3"}
NO_R3 = {"case.origin": "reconsideration", "case.items": ["P2"], "finding.item": "P2"}
R3_COURT = {"case.origin": "court", "case.items": ["R3"], "finding.item": "R3"}


def _applies(c: Any, facts: dict[str, Any]) -> bool:
    return c.cond is None or holds(c.cond, facts)


def _r3_citations(book: Rulebook) -> list[tuple[str, Any]]:
    return [(owner, c) for owner, _span, c in iter_citations(book)
            if any(c.instrument == i and c.article.startswith(a) for i, a in R3_TEXTS)]


def test_r3_texts_are_cited_by_the_levels_and_circumstances_named_in_the_review(default_book: Rulebook) -> None:
    owners = {o for o, _ in _r3_citations(default_book)}
    assert {"ladder.notified_criticism", "ladder.talk", "unit_measure_types.notified_criticism",
            "unit_measure_types.interview", "AG7-aggravated", "circumstances.AG7"} <= owners


def test_r3_texts_apply_to_non_compliance_with_a_reconsideration_decision(default_book: Rulebook) -> None:
    for owner, c in _r3_citations(default_book):
        assert _applies(c, R3_RECONSIDERATION), (owner, c.instrument, c.article)


@pytest.mark.parametrize(("label", "facts"), [("no R3 finding", NO_R3), ("R3 in a court case", R3_COURT)])
def test_r3_texts_are_not_cited_elsewhere(default_book: Rulebook, label: str, facts: dict[str, Any]) -> None:
    wrong = [f"{owner}: {c.instrument} {c.article}" for owner, c in _r3_citations(default_book)
             if _applies(c, facts) and not (facts is NO_R3 and owner in R3_OWNERS)]
    assert not wrong, f"{label}: {wrong}"
