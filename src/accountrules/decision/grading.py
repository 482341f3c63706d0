"""The grade of an item for a person, and the matrix cell it leads to (``docs/semantics.md``,
"Grade" and "Matrix")."""

from __future__ import annotations

from collections.abc import Sequence

from ..contract import models as m
from ..rules import schema as rb
from ..rules.validate import RuleEntry
from .prepared import Evaluation


def grade_sum(fired: Sequence[RuleEntry]) -> int:
    """The sum of the grade modifiers' deltas, the largest delta of each ``group`` counting once."""
    groups: dict[str, int] = {}
    for e in fired:
        then = e.typed(rb.GradeRule).then
        groups[then.group] = max(groups.get(then.group, then.delta), then.delta)
    return sum(groups.values())


def finding_grade(ev: Evaluation, finding_grade_value: int, personal: Sequence[RuleEntry]) -> rb.Grade:
    """The item's grade for this person: the finding's grade (base + case modifiers) plus the
    personal modifiers, kept within the rulebook's grades (the nearest defined one)."""
    prep = ev.prep
    grade_v = min(max(finding_grade_value + grade_sum(personal), prep.gmin), prep.gmax)
    by_value = prep.grade_by_value
    return by_value.get(grade_v) or by_value[min(by_value, key=lambda v: abs(v - grade_v))]


def matrix_level(ev: Evaluation, item_id: str, grade: rb.Grade, resp: str,
                 leader: bool = False) -> tuple[rb.Level, m.Reason]:
    """The level the matrix gives an item of ``grade`` for responsibility ``resp``, with its reason.

    ``leader`` (the person is a leading cadre) picks the responsibility's wording: 领导责任 is said
    only of a leading cadre (:meth:`Rulebook.responsibility_label`).
    """
    book, ex = ev.book, ev.ex
    level = book.levels[book.matrix.cells[grade.id][resp]]
    item = ev.prep.items[item_id].item
    key = ex.catalogue_key(("matrix", item_id, grade.id, resp, leader), book.matrix.citations)
    reason = ex.known(key) or ex.remember(key, ex.reason(
        rule=f"matrix.{grade.id}.{resp}",
        text=_matrix_text(ev.lang, item, grade, book.responsibility_label(resp, ev.lang, leader=leader), level),
        specs=book.matrix.citations, span=ev.prep.matrix_spans[grade.id],
        facts={"finding.item": item_id, "grade": grade.id, "responsibility": resp},
        inference=book.matrix.inference))
    return level, reason


def _matrix_text(lang: str, item: rb.Item, grade: rb.Grade, resp: str, level: rb.Level) -> str:
    if lang == "zh":
        return (f"情形 {item.id}「{item.name.zh}」属{grade.name.zh}情形（{grade.id}），该人员承担{resp}，"
                f"按等级与责任对应，问责层级为{level.name.zh}。")
    return (f"Item {item.id} ({item.name.en}) is {grade.name.en} ({grade.id}) and the person bears {resp}: "
            f"the grade and the responsibility give {level.name.en}.")
