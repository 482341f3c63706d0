"""Labels for the letter: every code the letter prints is printed by its rulebook label.

Labels come from the rulebook: each catalogue entry's ``name`` and the ``labels:`` section
(``Rulebook.label(kind, code, lang)``). A code the rulebook cannot label (a rulebook without that
label, or free text that still carries a code) is a **gap**: the letter prints a visible placeholder
instead of the English code and records the gap (``Letter.gaps``; the CLI warns). No label table
lives in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...rules import labels as _rule_labels
from ...rules.validate import Rulebook

#: rulebook vocabularies labelled by each entry's ``name`` (kind → Rulebook attribute): the rulebook's own
#: table, plus the deciding bodies only the letter prints
CATALOG: dict[str, str] = {**_rule_labels.CATALOG, "deciding_body": "deciding_bodies"}

#: printed where a label is missing (never the English code)
PLACEHOLDER = {"zh": "〔待补标签〕", "en": "[label missing]"}


def _book_label(book: Rulebook) -> Callable[[str, str, str], str] | None:
    fn: Any = getattr(book, "label", None)
    return fn if callable(fn) else None


def label(book: Rulebook, kind: str, code: str, lang: str) -> str | None:
    """The rulebook's label of ``code`` in vocabulary ``kind``, or ``None`` if the rulebook has none."""
    attr = CATALOG.get(kind)
    if attr is not None:
        entry = getattr(book, attr).get(code)
        return None if entry is None else str(entry.name.get(lang))
    fn = _book_label(book)
    if fn is None:
        return None
    try:
        return fn(kind, code, lang)
    except (KeyError, ValueError, LookupError):
        return None


class Labeller:
    """:func:`label` for one rulebook and language, remembering every gap it met."""

    def __init__(self, book: Rulebook, lang: str) -> None:
        self.book = book
        self.lang = lang
        self.gaps: set[tuple[str, str]] = set()

    def __call__(self, kind: str, code: str) -> str:
        """The label, or the visible placeholder (and the gap is recorded)."""
        text = label(self.book, kind, code, self.lang)
        if text is None:
            self.gaps.add((kind, code))
            return PLACEHOLDER[self.lang]
        return text
