"""Limits shared by several stages (one place to read and change them)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

CACHE_ENTRIES = 20_000
"""Entries a bounded cache of shared output objects holds before it starts over: the decision's memo
(:mod:`accountrules.decision.sharing`), the reason cache (:mod:`accountrules.explanation.explain`),
the JSON writer's text cache (:mod:`accountrules.output.jsonout`) and the transport's numbered
objects per epoch (:mod:`accountrules.scale.transport`)."""


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic GC while many acyclic objects are built — a rulebook loaded or (un)pickled,
    the results :mod:`accountrules.scale.batch` rebuilds from its workers: collections triggered by
    the allocations would scan them over and over. Restored on exit (left off if it was off)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
