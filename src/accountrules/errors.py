"""The exception hierarchy: one root, two branches, stable codes, data on every error.

``AccountRulesError``
  ├── ``RuleFileError``      what a rule author wrote (load, schema, references, compile limits)
  └── ``EvaluationError``    what happened at run time
        ├── ``InvalidCase``    a case file that does not satisfy the contract
        ├── ``RuleConflict``   two rules fired with different outcomes and no priority between them
        └── ``EngineFailure``  the matcher failed (a durable-rules error, translated)

Every error carries a list of :class:`~accountrules.diagnostics.Diagnostic`; ``str()`` gives one
line per problem. No exception from durable-rules ever leaves ``engine.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from .diagnostics import Diagnostic, format_text, sort_diagnostics


class AccountRulesError(Exception):
    """Root of every error raised by accountrules."""

    code: ClassVar[str] = "accountrules-error"

    def __init__(self, diagnostics: Sequence[Diagnostic] | str) -> None:
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(code=self.code, message=diagnostics)]
        self.diagnostics: list[Diagnostic] = sort_diagnostics(diagnostics)
        super().__init__(format_text(self.diagnostics))

    @property
    def rule_id(self) -> str | None:
        """The rule the first diagnostic points at, if any."""
        return self.diagnostics[0].rule_id if self.diagnostics else None


class RuleFileError(AccountRulesError):
    """A rulebook could not be loaded, validated or compiled."""

    code = "rule-file-error"


class EvaluationError(AccountRulesError):
    """Evaluation of a case failed."""

    code = "evaluation-error"


class InvalidCase(EvaluationError):
    """A case file breaks the input contract (unknown code, missing person, wrong type …)."""

    code = "invalid-case"


class InputTooLarge(InvalidCase):
    """An input exceeded a size or complexity limit (file size, alias expansion, nesting)."""

    code = "input-too-large"


class RuleConflict(EvaluationError):
    """Two rules fired with different outcomes and neither is an exception to the other."""

    code = "rule-conflict"


class EngineFailure(EvaluationError):
    """The matching backend failed; the durable-rules error code is translated into words."""

    code = "engine-failure"


class UnsupportedPython(AccountRulesError):
    """durable-rules does not import on this Python (3.13+)."""

    code = "unsupported-python"
