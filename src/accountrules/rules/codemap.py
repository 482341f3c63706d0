"""Case vocabulary mapping: a case written for another rulebook, read in this one's codes.

A rulebook's ``code_maps`` (:class:`accountrules.rules.schema.CodeMap`) say which of its item and
circumstance codes answer to another rulebook's. :func:`map_codes` replaces every code of a case
that this rulebook does not define by its counterpart, and reports what it mapped and what has
no counterpart (a code mapped to ``null``). Codes this rulebook defines are its own and never
mapped; a code neither defined nor mapped is ``unknown-code``, with a message saying that the
``code_maps`` have no entry for it (a rulebook without ``code_maps`` leaves it to
:func:`accountrules.contract.intake.check_codes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..contract import models as m
from ..diagnostics import Diagnostic, allowed, did_you_mean
from ..errors import InvalidCase

if TYPE_CHECKING:
    from .validate import Rulebook


@dataclass(frozen=True)
class Mapped:
    """One code replaced: where, from which rulebook, the old and the new code."""

    path: str
    vocabulary: str  # item | circumstance
    code: str
    to: str
    from_rulebook: str


@dataclass
class CodeMapReport:
    """What :func:`map_codes` did to a case."""

    mapped: list[Mapped] = field(default_factory=list)

    def lines(self, lang: str = "en") -> list[str]:
        """One line per mapped code, in words."""
        if lang == "zh":
            return [f"{x.path}：{x.from_rulebook} 的{'情形' if x.vocabulary == 'item' else '情节'}代码 {x.code} "
                    f"按本规则库映射为 {x.to}" for x in self.mapped]
        return [f"{x.path}: {x.vocabulary} {x.code} of {x.from_rulebook} mapped to {x.to}" for x in self.mapped]


def _lookup(book: Rulebook, vocabulary: str, code: str) -> tuple[str | None, str] | None:
    """(counterpart or None for "no counterpart", from_rulebook) of a code this rulebook does not define, or
    None when no map names it."""
    for cm in book.code_maps:
        table = cm.items if vocabulary == "item" else cm.circumstances
        if code in table:
            return table[code], cm.from_rulebook
    return None


def _unmapped(book: Rulebook, vocabulary: str, code: str, path: str, own: Mapping[str, object]) -> Diagnostic:
    """``unknown-code`` for a code neither defined by the rulebook nor named by its ``code_maps``."""
    origins = ", ".join(dict.fromkeys(cm.from_rulebook for cm in book.code_maps))
    section = "items" if vocabulary == "item" else "circumstances"
    return Diagnostic("unknown-code", f"{path}: {vocabulary} '{code}' is not defined by rulebook {book.manifest.id}, "
                      f"and its code_maps (from {origins}) have no entry for it{did_you_mean(code, own)}; use a "
                      f"code of this rulebook, or map it in rulebook {book.manifest.id}'s code_maps under "
                      f"'{section}:' ({code}: CODE, or {code}: null for no counterpart). {allowed(own)}", path=path)


def map_codes(case: m.Case, book: Rulebook) -> tuple[m.Case, CodeMapReport]:
    """``case`` with the codes of another rulebook replaced by this rulebook's counterparts, and the report.

    Raises:
        InvalidCase: a code has no counterpart in this rulebook (one diagnostic per code, with its path).
    """
    report = CodeMapReport()
    if not book.code_maps:
        return case, report
    problems: list[Diagnostic] = []

    def one(vocabulary: str, code: str, path: str, own: Mapping[str, object]) -> str:
        if code in own:
            return code
        hit = _lookup(book, vocabulary, code)
        if hit is None:
            problems.append(_unmapped(book, vocabulary, code, path, own))
            return code
        to, origin = hit
        if to is None:
            problems.append(Diagnostic("unknown-code", f"{path}: {vocabulary} '{code}' of rulebook {origin} has no "
                                       f"counterpart in rulebook {book.manifest.id} (its code_maps map it to null); "
                                       "the case cannot be evaluated under this rulebook as it stands.", path=path))
            return code
        report.mapped.append(Mapped(path, vocabulary, code, to, origin))
        return to

    findings = [f.model_copy(update={"item": one("item", f.item, f"case.findings[{i}].item", book.items)})
                for i, f in enumerate(case.case.findings)]
    persons = [p.model_copy(update={"circumstances": list(dict.fromkeys(  # two codes may share a counterpart
        one("circumstance", c, f"persons[{i}].circumstances[{j}]", book.circumstances)
        for j, c in enumerate(p.circumstances)))}) for i, p in enumerate(case.persons)]
    if problems:
        raise InvalidCase(problems)
    if not report.mapped:
        return case, report
    return case.model_copy(update={"case": case.case.model_copy(update={"findings": findings}),
                                   "persons": persons}), report


def note_mapped(rec: m.Recommendation, report: CodeMapReport, lang: str) -> m.Recommendation:
    """The recommendation with each situation whose item was mapped noting it (``Situation.note``)."""
    by_item: dict[str, list[Mapped]] = {}
    for x in report.mapped:
        if x.vocabulary == "item":
            by_item.setdefault(x.to, []).append(x)
    if not by_item:
        return rec
    sits = []
    for s in rec.situations:
        hits = by_item.get(s.item)
        if not hits:
            sits.append(s)
            continue
        codes = "、".join(dict.fromkeys(x.code for x in hits)) if lang == "zh" else ", ".join(
            dict.fromkeys(x.code for x in hits))
        text = (f"案卷按 {hits[0].from_rulebook} 的情形代码 {codes} 填写，按本规则库映射为 {s.item}" if lang == "zh" else
                f"the case file gives item {codes} of {hits[0].from_rulebook}, mapped to {s.item} in this rulebook")
        note = text if not s.note else f"{s.note}；{text}" if lang == "zh" else f"{s.note}; {text}"
        sits.append(s.model_copy(update={"note": note}))
    return rec.model_copy(update={"situations": sits})
