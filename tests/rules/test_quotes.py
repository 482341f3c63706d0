"""Every quoted provision is official text.

Quotes of instruments whose official text is in ``rules/law/`` are checked by the validator itself
(``quote-mismatch``). Quotes of the others (party rules, local analogues, policy) may only be text
that the domain reference gives verbatim; this test holds them to ``docs/domain-reference.md``.
"""

from __future__ import annotations

import re

from accountrules.law import normalize
from accountrules.lint import iter_citations
from accountrules.rules import Rulebook

from ..conftest import ROOT


def _in_order(haystack: str, quote: str) -> bool:
    pos = 0
    for seg in (normalize(x) for x in re.split(r"……|…", quote)):
        if not seg:
            continue
        i = haystack.find(seg, pos)
        if i < 0:
            return False
        pos = i + len(seg)
    return True


def test_unofficial_quotes_are_verbatim_in_the_reference(default_book: Rulebook) -> None:
    ref = normalize((ROOT / "docs" / "domain-reference.md").read_text(encoding="utf-8").replace("**", ""))
    checked, bad = 0, []
    for owner, span, c in iter_citations(default_book):
        if c.quote and not default_book.instruments[c.instrument].official_text:
            checked += 1
            if not _in_order(ref, c.quote):
                bad.append(f"{span}: {owner} quotes {c.instrument} {c.article}: {c.quote[:60]}")
    assert checked > 0
    assert not bad, "\n".join(bad)


def test_official_quotes_are_checked_by_the_validator(default_book: Rulebook) -> None:
    official = [c for _, _, c in iter_citations(default_book)
                if c.quote and default_book.instruments[c.instrument].official_text]
    assert len(official) > 100  # loading the rulebook succeeded, so each of these matched its article
