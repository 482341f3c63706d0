"""What validation can still check when part of a rulebook is broken, so that one run reports every
independent problem and no knock-on error.

Two tools:

* :func:`salvage` — an element (a rule, a catalogue entry, the manifest) that failed its schema is
  validated again without the parts that failed (an unexpected key, a bad list entry, an optional
  key of the wrong type). When what is left is valid, the element still goes through the later
  checks (its condition, its references, its citations and quotes, its placeholders), so a typo in
  one key does not hide an unknown fact in its ``when``. Its schema errors are reported once, from
  the first validation; nothing the pruning causes is reported.
* :func:`declared_ids` — the ids a YAML file that could not be read at all most likely declares
  (``id:``/``code:`` lines), so that references to them are not reported as unknown: the reader
  sees the syntax error, not a hundred knock-on ``unknown-reference`` errors.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

__all__ = ["Salvaged", "close_to", "declared_ids", "salvage"]

#: how many rounds of pruning before giving up (each round removes every part that failed)
MAX_ROUNDS = 6

_Path = tuple[Any, ...]


def _existing(data: Any, loc: _Path) -> _Path:
    """The longest prefix of ``loc`` that names a value of ``data`` (pydantic adds union member
    names and other steps that are not in the data)."""
    out: list[Any] = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and part in cur or isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
        else:
            break
        out.append(part)
    return tuple(out)


def _prune(data: Any, drop: set[_Path], moves: dict[_Path, _Path], at: _Path = (), was: _Path = ()) -> Any:
    """``data`` without the values at the paths ``drop``; ``moves`` gets, for every list element
    kept, its new path → its path in ``data``."""
    if isinstance(data, dict):
        return {k: _prune(v, drop, moves, (*at, k), (*was, k)) for k, v in data.items() if (*was, k) not in drop}
    if isinstance(data, list):
        out: list[Any] = []
        for i, v in enumerate(data):
            if (*was, i) in drop:
                continue
            new = (*at, len(out))
            moves[new] = (*was, i)
            out.append(_prune(v, drop, moves, new, (*was, i)))
        return out
    return data


def _targets(data: Any, exc: ValidationError) -> set[_Path] | None:
    """The parts to remove for the next attempt (None: a part of the element itself is missing or
    wrong, nothing can be removed)."""
    out: set[_Path] = set()
    for e in exc.errors(include_url=False):
        loc = tuple(e["loc"])
        if e["type"] == "missing":
            loc = loc[:-1]  # the mapping that lacks a required key goes
        target = _existing(data, loc)
        if not target:
            return None
        out.add(target)
    return out


@dataclass
class Salvaged:
    """A valid element made of what was valid in a broken one."""

    value: Any
    #: per round of pruning, new path of a list element → its path before that round
    rounds: list[dict[_Path, _Path]] = field(default_factory=list)

    def original(self, path: _Path) -> _Path:
        """Where the list element at ``path`` of the salvaged element stands in the file's element."""
        for moves in reversed(self.rounds):
            path = moves.get(path, path)
        return path


def salvage(validate: Callable[[Any], Any], data: Any, exc: ValidationError) -> Salvaged | None:
    """The element validated without the parts that failed, or None when no valid element is left.

    Args:
        validate: The element's validator (``TypeAdapter.validate_python``).
        data: What the file says (not changed).
        exc: The error of the first validation.
    """
    current = data
    rounds: list[dict[_Path, _Path]] = []
    for _ in range(MAX_ROUNDS):
        drop = _targets(current, exc)
        if not drop:
            return None
        moves: dict[_Path, _Path] = {}
        current = _prune(current, drop, moves)
        rounds.append(moves)
        try:
            return Salvaged(validate(copy.deepcopy(current)), rounds)
        except ValidationError as again:
            exc = again
    return None


_ID_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?(?:id|code)[ \t]*:[ \t]*['\"]?([^'\"\s#,{}\[\]]+)")


def declared_ids(path: Path) -> set[str]:
    """The ids (``id: X`` / ``code: X`` lines) of a rule file that is not valid YAML."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return set()
    return {m[1] for line in text.splitlines() if (m := _ID_LINE.match(line))}


def close_to(word: str, words: Iterable[str]) -> bool:
    """Whether ``word`` is what a did-you-mean would suggest for one of ``words`` (a typo of it)."""
    import difflib

    return any(difflib.get_close_matches(w, [word], n=1, cutoff=0.6) for w in words)
