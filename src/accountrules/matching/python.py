"""The python backend: the generated matcher (:mod:`accountrules.matching.codegen`)."""

from __future__ import annotations

from .codegen import generate
from .compile import CompiledRulebook
from .protocol import Backend, FactBatch


class PythonMatcher:
    """The python backend: one generated function per stage (:mod:`accountrules.rules.codegen`),
    behind the same discrimination index as :class:`~accountrules.rules.compile.StageIndex`.
    Thread-safe (the generated functions keep no state)."""

    backend: Backend = "python"

    def __init__(self, compiled: CompiledRulebook) -> None:
        self.generated = generate(compiled.rulebook)
        self._functions = self.generated.functions

    def match(self, batch: FactBatch) -> list[list[int]]:
        """The rules of each fact's stage whose condition holds, in rulebook order."""
        functions = self._functions
        return [functions[stage](facts) for stage, facts in batch]
