"""Decision records (optional extra ``accountrules[records]``): record, verify, audit.

``RecordStore(url)`` writes each evaluation with its input, output, rulebook snapshot and engine
to a SQLite file (the default) or a PostgreSQL database; :class:`~accountrules.records.verify.Verifier`
recomputes a record under its own rulebook; :func:`~accountrules.records.audit.audit` finds
equal-treatment breaches and drift. See README "Decision records".
"""

from __future__ import annotations

from .mask import MASKABLE as MASKABLE
from .mask import Mask as Mask
from .mask import MaskError as MaskError
from .store import DecisionRecord as DecisionRecord
from .store import RecordStore as RecordStore

__all__ = ["MASKABLE", "DecisionRecord", "Mask", "MaskError", "RecordStore"]
