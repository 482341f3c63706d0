"""``{fact.path}`` placeholders of an ``explain`` text that the rule's ``when`` never tests (``unfilled-placeholder``)."""

from __future__ import annotations

from ...diagnostics import Diagnostic
from ...explanation.explain import _PLACEHOLDER
from ...language.conditions import tests_of
from ...rules.validate import Rulebook
from .base import finding


def _check_placeholders(book: Rulebook) -> list[Diagnostic]:
    """``{fact.path}`` placeholders of an ``explain`` that the rule's ``when`` never tests.

    A reason is filled only from the facts its condition tested, so such a placeholder would be
    printed as written (``{outcome.definition}``) in every recommendation.
    """
    out = []
    for entry in book.rules:
        if entry.rule.explain is None:
            continue
        tested = {t.path for t in tests_of(entry.cond)}
        for lang in ("zh", "en"):
            for path in dict.fromkeys(_PLACEHOLDER.findall(entry.rule.explain.get(lang))):
                if path not in tested:
                    out.append(finding("unfilled-placeholder", f"rule {entry.id}: explain.{lang} has the placeholder "
                                       f"{{{path}}}, but the rule's `when` does not test {path}, so it is printed as "
                                       "written. Test that fact in `when` (placeholders are filled only from the "
                                       "facts the condition tests), or write the text without it.", entry.span,
                                       severity="warning"))
    return out
