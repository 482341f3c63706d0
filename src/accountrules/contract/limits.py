"""Limits on a case: oversized or pathological input is refused before anything large is built.

The same limits hold for every way a case comes in — a YAML or JSON file, standard input, a JSON
Lines line, the dict given to :meth:`Engine.evaluate` and an HTTP request — because every reader
goes through :func:`check_data` (and the text readers through :func:`scan_yaml` first, which reads
YAML *events* and stops at the first limit, so a 2 MB file of a million values is refused without
building a million nodes). The contract's own field limits (at most 100 persons, 200 findings …,
``docs/contract.md``) are checked by the models afterwards, on input these limits keep small.

Every message names the field path and shows a short excerpt of the value, never the whole of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from ..diagnostics import Diagnostic, SourceSpan
from ..errors import InputTooLarge

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass(frozen=True)
class CaseLimits:
    """The structural limits of one case (documented in ``docs/contract.md``, "Limits")."""

    max_bytes: int = 2 * 1024 * 1024
    max_depth: int = 10
    max_values: int = 50_000
    max_items: int = 200
    max_text: int = 2_000


LIMITS = CaseLimits()

_EXCERPT = 40


def excerpt(value: Any, width: int = _EXCERPT) -> str:
    """A short, quoted picture of ``value`` for an error message (never the whole of a long value).

    >>> excerpt("abc"), excerpt("x" * 100), excerpt([1, 2]), excerpt(True)
    ("'abc'", "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (100 characters)", 'a list of 2 items', 'true (a boolean)')
    """
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, Mapping):
        return f"a mapping of {len(value)} keys"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} items"
    if value is None:
        return "null"
    text = value if isinstance(value, str) else repr(value)
    if len(text) > width:
        return f"'{text[:width]}…' ({len(text)} characters)"
    return f"'{text}'"


def _path(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + p
    return out or "<root>"


def _too_large(code: str, message: str, file: str, path: list[str | int], span: SourceSpan | None = None
               ) -> InputTooLarge:
    where = _path(path)
    return InputTooLarge([Diagnostic(code, f"{where}: {message}", span, path=None if span else file)])


def check_size(size: int, file: str, limits: CaseLimits = LIMITS) -> None:
    """Refuse an input of more than ``limits.max_bytes`` bytes.

    Raises:
        InputTooLarge: ``file-too-large``.
    """
    if size > limits.max_bytes:
        raise InputTooLarge([Diagnostic("file-too-large", f"input is {size} bytes; the limit is "
                                        f"{limits.max_bytes} bytes.", path=file)])


def check_data(data: Any, file: str = "<case>", limits: CaseLimits = LIMITS) -> None:
    """Walk parsed data (iteratively: no recursion, whatever the depth) and refuse the first excess.

    Raises:
        InputTooLarge: ``document-too-complex`` (depth, number of values), ``list-too-long``,
            ``text-too-long``; the message names the field path.
    """
    stack: list[tuple[Any, list[str | int]]] = [(data, [])]
    values = 0
    while stack:
        value, path = stack.pop()
        values += 1
        if values > limits.max_values:
            raise _too_large("document-too-complex", f"more than {limits.max_values} values in one case.",
                             file, path)
        if len(path) > limits.max_depth:
            raise _too_large("document-too-complex", f"nested deeper than {limits.max_depth} levels.",
                             file, path)
        if isinstance(value, str):
            if len(value) > limits.max_text:
                raise _too_large("text-too-long", f"text of {len(value)} characters ({excerpt(value)}); "
                                 f"the limit is {limits.max_text}.", file, path)
        elif isinstance(value, Mapping):
            if len(value) > limits.max_items:
                raise _too_large("list-too-long", f"a mapping of {len(value)} keys; the limit is "
                                 f"{limits.max_items}.", file, path)
            for k, v in value.items():
                key = k if isinstance(k, str) else str(k)
                if len(key) > limits.max_text:
                    raise _too_large("text-too-long", f"a key of {len(key)} characters ({excerpt(key)}); "
                                     f"the limit is {limits.max_text}.", file, path)
                stack.append((v, path + [key]))
        elif isinstance(value, list | tuple):
            if len(value) > limits.max_items:
                raise _too_large("list-too-long", f"a list of {len(value)} items; the limit is "
                                 f"{limits.max_items}.", file, path)
            stack.extend((v, path + [i]) for i, v in enumerate(value))


class _Frame:
    __slots__ = ("key", "mapping", "n", "want_key")

    def __init__(self, mapping: bool) -> None:
        self.mapping = mapping
        self.n = 0
        self.want_key = mapping
        self.key: str | int = ""


def scan_yaml(text: str, file: str, limits: CaseLimits = LIMITS) -> None:  # noqa: C901 - one branch per YAML event kind in a single pass, so excess is refused before any node is built
    """Read the YAML events of ``text`` and refuse the first excess, before any node is built.

    Syntax errors are left to the loader, which reports them with their position.

    Raises:
        InputTooLarge: as :func:`check_data`, with the line and column of the offending value.
    """
    stack: list[_Frame] = []
    values = 0

    def where(event: Any) -> SourceSpan:
        m = event.start_mark
        return SourceSpan(file, m.line + 1, m.column + 1)

    def path() -> list[str | int]:
        return [f.key for f in stack]

    def fail(code: str, message: str, event: Any) -> InputTooLarge:
        return _too_large(code, message, file, path(), where(event))

    try:
        for event in yaml.parse(text, Loader=_Loader):
            if not isinstance(event, yaml.NodeEvent):
                if isinstance(event, yaml.CollectionEndEvent) and stack:
                    stack.pop()
                    _advance(stack)
                continue
            top = stack[-1] if stack else None
            if top is not None and (not top.mapping or top.want_key):
                if top.n >= limits.max_items:
                    what = "keys" if top.mapping else "items"
                    raise _too_large("list-too-long", f"more than {limits.max_items} {what}; the limit is "
                                     f"{limits.max_items}.", file, [f.key for f in stack[:-1]], where(event))
                if not top.mapping:
                    top.key = top.n
            values += 1
            if values > limits.max_values:
                raise fail("document-too-complex", f"more than {limits.max_values} values in one case.", event)
            if len(stack) > limits.max_depth:
                raise fail("document-too-complex", f"nested deeper than {limits.max_depth} levels.", event)
            if isinstance(event, yaml.ScalarEvent):
                if len(event.value) > limits.max_text:
                    raise fail("text-too-long", f"text of {len(event.value)} characters ({excerpt(event.value)}); "
                               f"the limit is {limits.max_text}.", event)
                if top is not None and top.mapping and top.want_key:
                    top.key = event.value
                    top.want_key = False
                else:
                    _advance(stack)
            elif isinstance(event, yaml.CollectionStartEvent):
                if top is not None and top.mapping and top.want_key:
                    top.want_key = False  # a complex key: the loader refuses it (bad-key)
                stack.append(_Frame(isinstance(event, yaml.MappingStartEvent)))
            else:  # an alias: counted as one value here; what it expands to is bounded by the loader
                _advance(stack)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem) and exc.problem_mark is not None:  # libyaml's own limit
            m = exc.problem_mark
            raise _too_large("document-too-complex", f"nested deeper than {limits.max_depth} levels.", file,
                             path(), SourceSpan(file, m.line + 1, m.column + 1)) from None
        return  # a syntax error: the loader reports it with its position
    except yaml.YAMLError:
        return


def _advance(stack: list[_Frame]) -> None:
    """A value of the innermost collection is complete."""
    if stack:
        top = stack[-1]
        top.n += 1
        if top.mapping:
            top.want_key = True
