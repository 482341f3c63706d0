"""The driver: :class:`Engine`, the public entry point, the only place that chains the stages.

``Engine(rulebook, backend=…)`` compiles once (:mod:`accountrules.matching`); each evaluation
then runs the stages in order — the case is checked (:mod:`accountrules.contract.intake`), its
facts matched by the backend's matcher, the decisions taken (:mod:`accountrules.decision`), each
with its cited reasons (:mod:`accountrules.explanation`). The matchers live in
:mod:`accountrules.matching` (durable-rules only under :mod:`accountrules.matching.durable`);
their names are re-exported here for code written against this module.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any

from .contract.intake import check_codes, parse_case
from .contract.models import Case, Recommendation
from .decision.choice_of_law import decide
from .decision.decide import Prepared
from .explanation.explain import ReasonCache
from .explanation.trace import Trace
from .matching.compile import CompiledRulebook, compile_rulebook
from .matching.durable.matcher import DurableMatcher, check_compiles
from .matching.protocol import Backend, FactBatch, Matcher, available_backends, default_backend
from .matching.python import PythonMatcher
from .rules import load_rulebook
from .rules.citations import parse_as_of
from .rules.codemap import CodeMapReport, map_codes, note_mapped
from .rules.validate import Rulebook

__all__ = ["Backend", "DurableMatcher", "Engine", "FactBatch", "Matcher", "PythonMatcher", "available_backends",
           "check_compiles", "default_backend"]


class Engine:
    """Evaluates cases against a rulebook. Compile once, evaluate many times; thread-safe.

    >>> from accountrules import Engine, load_rulebook
    >>> engine = Engine(load_rulebook(), backend="python")
    >>> engine.rulebook.manifest.id
    'guizhou-bijie-default'

    ``backend`` defaults to :func:`default_backend`: durable-rules where it imports, else python.
    Asking for ``durable`` where it does not import raises :class:`~accountrules.errors.UnsupportedPython`.
    """

    def __init__(self, rulebook: Rulebook | None = None, *, backend: Backend | None = None,
                 watchdog: bool = True) -> None:
        if backend is None:
            backend = default_backend()
        self.rulebook: Rulebook = rulebook if rulebook is not None else load_rulebook()
        self.compiled: CompiledRulebook = compile_rulebook(self.rulebook)
        if backend == "durable":
            self.matcher: Matcher = DurableMatcher(self.compiled, watchdog=watchdog)
        elif backend == "python":
            self.matcher = PythonMatcher(self.compiled)
        else:
            raise ValueError(f"unknown backend '{backend}'; allowed: durable, python")
        self.backend: Backend = backend
        self.reason_cache = ReasonCache()
        self.prepared = Prepared.of(self.rulebook)

    def evaluate(self, case: Case | Mapping[str, Any], *, lang: str = "zh", detail: str = "full",
                 as_of: _dt.date | str | None = None) -> Recommendation:
        """Evaluate one case (a :class:`Case` or the dict of contract §1).

        Args:
            case: the case.
            lang: language of the reason texts, ``zh`` or ``en``.
            detail: ``full`` (every citation in force, with quoted text) or ``compact`` (the primary
                citation of each reason, without the quote — about half the output, for batches).
            as_of: the date of evaluation (``YYYY-MM-DD`` or a date): the texts in force on it decide
                what the unit is to do and, where lighter, the sanction (从旧兼从轻); the case's
                ``decided_on`` when omitted (``docs/semantics.md``, *Citations and dates*).

        Raises:
            InvalidCase: the case breaks the contract or uses codes the rulebook does not define.
        """
        if not isinstance(case, Case):
            case = parse_case(case)
        if lang not in ("zh", "en"):
            raise ValueError("lang must be 'zh' or 'en'")
        if detail not in ("full", "compact"):
            raise ValueError("detail must be 'full' or 'compact'")
        return self._run(case, lang, None, detail, as_of)

    def evaluate_traced(self, case: Case | Mapping[str, Any], *, lang: str = "zh", detail: str = "full",
                        as_of: _dt.date | str | None = None) -> tuple[Recommendation, Trace]:
        """Evaluate and return the typed trace too (which rules fired, were overridden …)."""
        if not isinstance(case, Case):
            case = parse_case(case)
        trace = Trace()
        return self._run(case, lang, trace, detail, as_of), trace

    def _run(self, case: Case, lang: str, trace: Trace | None, detail: str, as_of: _dt.date | str | None = None
             ) -> Recommendation:
        """The stages after intake: the case's codes checked against the rulebook, then decided (with
        从旧兼从轻, :mod:`accountrules.decision.choice_of_law`)."""
        day = None if as_of is None else parse_as_of(as_of)
        case, mapped = map_codes(case, self.rulebook)
        check_codes(case, self.rulebook)
        rec = decide(self.rulebook, self.matcher, case, lang, trace, detail, prepared=self.prepared,
                     reason_cache=self.reason_cache, as_of=day)
        return note_mapped(rec, mapped, lang) if mapped.mapped else rec

    def map_codes(self, case: Case) -> tuple[Case, CodeMapReport]:
        """The case in this rulebook's codes (its ``code_maps``), and what was mapped.

        Raises:
            InvalidCase: a code has no counterpart in this rulebook.
        """
        return map_codes(case, self.rulebook)

    def evaluate_many(self, cases: Iterable[Case | Mapping[str, Any]], *, lang: str = "zh"
                      ) -> list[Recommendation]:
        """Evaluate several cases in this process (see :func:`accountrules.scale.batch.evaluate_many`)."""
        return [self.evaluate(c, lang=lang) for c in cases]

    def check_case(self, case: Case) -> None:
        """Check the codes a case uses against this rulebook (items, circumstances).

        Raises:
            InvalidCase: one diagnostic per unknown code, with its field path.
        """
        check_codes(map_codes(case, self.rulebook)[0], self.rulebook)
