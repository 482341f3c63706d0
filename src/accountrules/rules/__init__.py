"""Authoring side: YAML rule files → a validated, compiled :class:`Rulebook`.

``load_rulebook(path)`` (``path`` a directory or the name of a bundled rulebook, see
:mod:`.registry`) reads every ``*.yaml`` of a rulebook directory (``*.cases.yaml`` are
tests, not rules), validates them against :mod:`accountrules.rulebook`, checks every
cross-reference, parses every condition, and raises one :class:`~accountrules.errors.RuleFileError`
listing *all* problems (``FILE:LINE:COL: CODE: message``).
"""

from __future__ import annotations

from .registry import bundled_rulebooks, resolve_rulebook
from .validate import Rulebook, RuleEntry, default_rulebook_dir, load_rulebook

__all__ = ["RuleEntry", "Rulebook", "bundled_rulebooks", "default_rulebook_dir", "load_rulebook", "resolve_rulebook"]
