"""The memo of immutable output objects shared between evaluations — kept out of the legal logic.

An evaluation builds many objects that are equal from one case to the next (a situation, an item
outcome, a review track with its reasons). :class:`Shared` hands back the object built the first
time instead of a new equal one: less to build, and the JSON writer and the transport write or
send a shared object's text once. What a recommendation says never depends on it — an object is
only ever replaced by an equal one.

Keys may hold ``id()`` of the reasons an object refers to: while the entry lives, those reasons
live (the object holds them), so their ids cannot be reused by other objects.
"""

from __future__ import annotations

from typing import Any, TypeVar

from .._limits import CACHE_ENTRIES

_T = TypeVar("_T")

MAX_ENTRIES = CACHE_ENTRIES
"""Entries before the memo is emptied (bounded memory in a long-lived engine)."""


class Shared(dict[tuple[Any, ...], Any]):
    """``get(key)`` the shared object, or ``keep(key, obj)`` to make ``obj`` the shared one."""

    def keep(self, key: tuple[Any, ...], obj: _T) -> _T:
        """Remember ``obj`` as the shared object for ``key`` (``get(key)`` finds it next time)."""
        if len(self) > MAX_ENTRIES:
            self.clear()
        self[key] = obj
        return obj
