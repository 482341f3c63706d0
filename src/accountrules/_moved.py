"""The module paths of before the folder-per-stage layout, kept importable.

``accountrules.intake``, ``accountrules.batch`` and ``accountrules.models`` are documented paths
(README, docs/contract.md); the others were importable and may be used by code written against
them. Each old dotted name resolves to the module's new place — the *same* module object, so
``accountrules.batch.evaluate_many is accountrules.scale.batch.evaluate_many``. The new places are
the ones to import from in new code (``docs/architecture.md``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

MOVED: dict[str, str] = {
    "accountrules.models": "accountrules.contract.models",
    "accountrules.intake": "accountrules.contract.intake",
    "accountrules.load": "accountrules.contract.yaml_source",
    "accountrules.conditions": "accountrules.language.conditions",
    "accountrules.facts": "accountrules.language.facts",
    "accountrules.rulebook": "accountrules.rules.schema",
    "accountrules.law": "accountrules.rules.law",
    "accountrules.cache": "accountrules.rules.cache",
    "accountrules.rules.compile": "accountrules.matching.compile",
    "accountrules.rules.codegen": "accountrules.matching.codegen",
    "accountrules.durable_numbers": "accountrules.matching.durable.numbers",
    "accountrules.decide": "accountrules.decision.decide",
    "accountrules.explain": "accountrules.explanation.explain",
    "accountrules.trace": "accountrules.explanation.trace",
    "accountrules.render": "accountrules.output.render",
    "accountrules.jsonout": "accountrules.output.jsonout",
    "accountrules.batch": "accountrules.scale.batch",
    "accountrules.transport": "accountrules.scale.transport",
    "accountrules.lint": "accountrules.authoring.lint",
    "accountrules.casefile": "accountrules.authoring.casefile",
    "accountrules.diff": "accountrules.authoring.diff",
    "accountrules.catalog": "accountrules.authoring.catalog",
    "accountrules.docs": "accountrules.authoring.docs",
    "accountrules.properties": "accountrules.consistency.properties",
    "accountrules.certify": "accountrules.consistency.certify",
}


class _Alias(importlib.abc.Loader):
    """Loads an old name as the module at its new place (imported, and executed, once)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        """The module at its new place."""
        module = importlib.import_module(self.target)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run; undo the import system's overwrite of ``__spec__`` with the alias's."""
        module.__spec__ = self.spec


class MovedFinder(importlib.abc.MetaPathFinder):
    """Finds an old module path as its new module."""

    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        """A spec whose loader returns the module at its new place, for the names of :data:`MOVED`."""
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(new))


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(MovedFinder())
