"""Every line that knows durable-rules: the matcher, its compile check, its error codes."""

from __future__ import annotations

from .matcher import DURABLE_ERRORS as DURABLE_ERRORS
from .matcher import DurableMatcher as DurableMatcher
from .matcher import check_compiles as check_compiles

__all__ = ["DURABLE_ERRORS", "DurableMatcher", "check_compiles"]
