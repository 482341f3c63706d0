"""accountrules: reasoned, cited recommendations for accountability in administrative wrongful
cases (行政错案问责追责), from rules written in YAML.

>>> from accountrules import Engine, load_rulebook
>>> rec = Engine(load_rulebook(), backend="python").evaluate(EXAMPLE)  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .diagnostics import Diagnostic as Diagnostic
from .diagnostics import SourceSpan as SourceSpan
from .engine import Engine as Engine
from .errors import AccountRulesError as AccountRulesError
from .errors import EngineFailure as EngineFailure
from .errors import EvaluationError as EvaluationError
from .errors import InputTooLarge as InputTooLarge
from .errors import InvalidCase as InvalidCase
from .errors import RuleConflict as RuleConflict
from .errors import RuleFileError as RuleFileError
from .errors import UnsupportedPython as UnsupportedPython
from .models import Case as Case
from .models import Reason as Reason
from .models import Recommendation as Recommendation
from .rules import Rulebook as Rulebook
from .rules import bundled_rulebooks as bundled_rulebooks
from .rules import load_rulebook as load_rulebook

__all__ = [
    "AccountRulesError",
    "Case",
    "Diagnostic",
    "Engine",
    "EngineFailure",
    "EvaluationError",
    "InputTooLarge",
    "InvalidCase",
    "Reason",
    "Recommendation",
    "RuleConflict",
    "RuleFileError",
    "Rulebook",
    "SourceSpan",
    "UnsupportedPython",
    "__version__",
    "bundled_rulebooks",
    "load_rulebook",
]
