"""What pydantic's validation errors need to become diagnostics, for case files and rule files alike."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from .yaml_source import Loc


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [x for a in typing.get_args(tp) for x in _unwrap(a)]
    return [tp]


def model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (for 'allowed keys')."""
    current: list[Any] = [model]
    for part in loc:
        nxt: list[Any] = []
        for c in current:
            if isinstance(c, type) and issubclass(c, BaseModel):
                f = c.model_fields.get(str(part))
                if f is not None:
                    nxt.extend(_unwrap(f.annotation))
            else:
                origin = typing.get_origin(c)
                args = typing.get_args(c)
                if origin is list and isinstance(part, int):
                    nxt.extend(_unwrap(args[0]))
                elif origin is dict and args:
                    nxt.extend(_unwrap(args[1]))
        current = nxt
    for c in current:
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
    return None


def found_text(v: Any) -> str:
    """How a diagnostic names a wrong value: its kind, or its first 60 characters quoted."""
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "nothing (null)"
    s = str(v)
    return f"'{s[:60]}'"
