"""Fast JSON for the output models: the bytes pydantic writes, in a fraction of the time (issue #6).

``dumps(obj, indent=True)`` is ``obj.model_dump_json(indent=2)`` and ``dumps(obj, indent=False)`` is
``obj.model_dump_json()``, byte for byte, for any pydantic model; it is fast for the output models of
:mod:`accountrules.models`.

How:

* **Generated writers.** For each model class a writer function is generated (once, on first use)
  from ``model_fields``: one straight-line block per field, in the order pydantic writes them, with
  the key prefixes (``,\\n    "name": ``) precomputed per indentation depth. A field added to the
  models later is picked up by the generator; a field whose type the generator does not know (say
  a ``float``, a ``date``, a field with a serializer annotation) is written by pydantic itself
  (``model_dump_json(include={name})``, the value cut out and re-indented), so it is still exact.
  Classes with serializers, computed fields, aliases, excluded fields or extra fields allowed are
  written entirely by pydantic.
* **Key order.** pydantic writes a model's fields in the order of the instance's ``__dict__``,
  which is the declaration order for a validated instance but the keyword order for one built by
  ``model_construct``/``models.trusted``. Each writer checks the order (``tuple(__dict__)``) and
  dispatches to a variant generated for that order.
* **Identity cache.** The engine shares :class:`~accountrules.models.Reason` objects (and
  citations, influence periods, per-item outcomes, circumstances considered, the rulebook and
  engine references) within and across recommendations, and a reason is most of a
  recommendation's bytes. The text of such an object is cached per indentation depth, keyed by
  ``id(obj)``; the entry holds the object itself (so its id cannot be reused while cached) and is
  used only if ``entry[0] is obj``. The caches are bounded (all cleared past
  :data:`CACHE_MAX_ENTRIES` entries or :data:`CACHE_MAX_CHARS` characters) and the text never
  depends on them. Output models are frozen; mutating a list or dict *inside* one after it has
  been rendered is not supported (the engine never does, it shares these objects).
* **Strings** are escaped as serde_json does (``"``, ``\\\\``, ``\\n \\r \\t \\b \\f``, other
  U+0000–U+001F as ``\\u00xx``; everything else raw, U+007F, U+2028 and emoji included — the
  same rules as ``json``'s ``encode_basestring``), with a bounded cache of short strings. A
  ``str`` subclass (a ``str`` enum) is written as its characters, as pydantic does. A string
  pydantic cannot encode (a lone surrogate) makes the whole call fall back to pydantic, which
  raises its own error.
* **``Any`` values** (``Reason.facts``) are written directly when they are ``str``, ``int``,
  ``bool``, ``None``, finite ``float`` (formatted by ``pydantic_core.to_json``), or lists and
  ``str``-keyed dicts of those; anything else in the field (a date, an enum, a tuple, NaN …) has
  the whole field written by pydantic, as above.
* **Fallback.** Anything unexpected — a value whose type does not match its field (possible with
  ``model_construct``), an unknown or missing key in ``__dict__``, nesting deeper than
  :data:`MAX_DEPTH` — makes :func:`dumps` return pydantic's own output for the whole object (or
  raise pydantic's own error). :data:`stats` counts these fallbacks (the tests check that real
  recommendations never take it).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from json.encoder import encode_basestring
from types import NoneType, UnionType
from typing import Any, Literal, Union, get_args, get_origin

import pydantic_core
from pydantic import BaseModel

from .._limits import CACHE_ENTRIES
from ..contract import models as _m

__all__ = ["CACHED_CLASSES", "CACHE_MAX_CHARS", "CACHE_MAX_ENTRIES", "MAX_DEPTH", "clear_caches", "dumps", "dumps_parts",
           "stats"]

#: Output classes whose instances the engine shares; their text is cached by identity.
CACHED_CLASSES: frozenset[type[BaseModel]] = frozenset({
    _m.Reason, _m.Citation, _m.Influence, _m.ItemOutcome, _m.RulebookRef, _m.EngineRef,
    _m.ErrorCaseOut, _m.Situation, _m.UnitMeasure, _m.Review,
})
#: Bounds of the identity caches (all modes and depths together): cleared when either is passed.
CACHE_MAX_ENTRIES = CACHE_ENTRIES
CACHE_MAX_CHARS = 16_000_000
#: Strings up to this length have their escaped form cached (at most ``_STR_MAX`` of them).
_STR_LEN = 256
_STR_MAX = 50_000
#: Deepest nesting the layout tables cover (the output models nest about 7 deep); deeper → fallback.
MAX_DEPTH = 64
#: Most key-order variants generated per class (beyond: fallback).
_MAX_VARIANTS = 32

#: ``fallbacks``: calls answered by pydantic because the fast writer met something unexpected.
stats: dict[str, int] = {"fallbacks": 0}

Writer = Callable[[Any, int, Callable[[str], object]], None]


class _Fallback(Exception):
    """The fast writer cannot write this object: let pydantic write all of it."""


class _Unknown(Exception):
    """A value inside an ``Any`` field the writer does not know: let pydantic write the field."""


def _fail() -> str:
    """Raise :class:`_Fallback` (from inside an expression)."""
    raise _Fallback


# --------------------------------------------------------------------------- strings and Any values

class _Strings(dict[str, str]):
    """``_STR[s]``: ``s`` as a JSON string. A miss escapes it (and caches it if it is short).

    A hit needs ``s == key`` for a cached ``str`` key (and an equal hash), so a ``str`` subclass
    gets the text of its characters, which is what pydantic writes for it too. A miss on anything
    but a string (a value of the wrong type in a ``str`` field) raises :class:`_Fallback`.
    """

    def __missing__(self, s: Any) -> str:
        if not isinstance(s, str):
            raise _Fallback
        if not s.isascii():
            try:
                s.encode("utf-8")
            except UnicodeEncodeError:  # pydantic refuses lone surrogates: let it raise its own error
                raise _Fallback from None
        t = encode_basestring(s)
        if type(s) is str and len(s) <= _STR_LEN:
            if len(self) >= _STR_MAX:
                self.clear()
            self[s] = t
        return t


_STR = _Strings()


def _float(v: float) -> str:
    if not math.isfinite(v):  # written per the model's ser_json_inf_nan: let pydantic do it
        raise _Unknown
    return pydantic_core.to_json(v).decode()


def _make_any(lists: list[tuple[str, str, str]], dicts: list[tuple[str, str, str, str]]
              ) -> Callable[[Any, int], str]:
    def any_(v: Any, de: int) -> str:
        t = type(v)
        if t is str:
            return _STR[v]
        if v is None:
            return "null"
        if t is bool:
            return "true" if v else "false"
        if t is int:
            return int.__repr__(v)
        if t is float:
            return _float(v)
        if t is list:
            if not v:
                return "[]"
            lo = lists[de]
            e = de + 1
            return lo[0] + lo[1].join([any_(x, e) for x in v]) + lo[2]
        if t is dict:
            if not v:
                return "{}"
            do = dicts[de]
            e = de + 1
            colon = do[3]
            parts = []
            for k, x in v.items():
                if type(k) is not str:
                    raise _Unknown
                parts.append(_STR[k] + colon + any_(x, e))
            return do[0] + do[1].join(parts) + do[2]
        raise _Unknown
    return any_


# --------------------------------------------------------------------------- field kinds

Kind = tuple[Any, ...]


def _kind(tp: Any) -> Kind | None:
    """How the generator writes a value of type ``tp``, or None (pydantic writes it)."""
    if tp is str:
        return ("S",)
    if tp is bool:
        return ("B",)
    if tp is int:
        return ("I",)
    if tp is Any:
        return ("A",)
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Literal:
        return ("S",) if args and all(type(a) is str for a in args) else None
    if origin is Union or origin is UnionType:
        rest = [a for a in args if a is not NoneType]
        if len(args) == 2 and len(rest) == 1:
            inner = _kind(rest[0])
            return ("N", inner) if inner is not None else None
        return None
    if origin is list and len(args) == 1:
        inner = _kind(args[0])
        return ("L", inner) if inner is not None else None
    if origin is dict and args == (str, Any):
        return ("D",)
    if isinstance(tp, type) and issubclass(tp, BaseModel) and origin is None:
        return ("M", tp)
    return None


def _field_kind(cls: type[BaseModel], name: str) -> Kind | None:
    fi = cls.model_fields[name]
    if fi.metadata:  # constraints or serializer annotations: not worth telling apart
        return None
    return _kind(fi.annotation)


def _writable(cls: type[BaseModel]) -> bool:
    """Whether the generator may write ``cls`` field by field (else pydantic writes its instances)."""
    cfg = cls.model_config
    if cls.model_computed_fields or cfg.get("extra") == "allow" or cfg.get("json_encoders"):
        return False
    if cfg.get("serialize_by_alias") or cfg.get("alias_generator") is not None:
        return False
    if getattr(cls, "__pydantic_root_model__", False):
        return False
    dec = cls.__pydantic_decorators__
    if dec.field_serializers or dec.model_serializers:
        return False
    for fi in cls.model_fields.values():
        if fi.alias is not None or fi.serialization_alias is not None or fi.exclude:
            return False
        if getattr(fi, "exclude_if", None) is not None:
            return False
    return True


class _Keys(dict[int, tuple[str, ...]]):
    """``keys[d]``: the key prefixes of one class at depth ``d``, made on first use."""

    def __init__(self, make: Callable[[int], tuple[str, ...]]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, d: int) -> tuple[str, ...]:
        if not 0 <= d < MAX_DEPTH:
            raise _Fallback
        keys = self[d] = self.make(d)
        return keys


# --------------------------------------------------------------------------- one mode (indented or compact)


class _Mode:
    """Writers for one layout: ``indent=True`` (two spaces) or ``indent=False`` (one line)."""

    def __init__(self, indent: bool) -> None:
        self.indent = indent
        ind = ["  " * k for k in range(MAX_DEPTH + 2)]
        self.ind = ind
        if indent:
            self.lists = [("[\n" + ind[e + 1], ",\n" + ind[e + 1], "\n" + ind[e] + "]") for e in range(MAX_DEPTH)]
            self.dicts = [("{\n" + ind[e + 1], ",\n" + ind[e + 1], "\n" + ind[e] + "}", ": ")
                          for e in range(MAX_DEPTH)]
        else:
            self.lists = [("[", ",", "]")] * MAX_DEPTH
            self.dicts = [("{", ",", "}", ":")] * MAX_DEPTH
        self.any = _make_any(self.lists, self.dicts)
        self.ns: dict[str, Any] = {
            "FB": _Fallback, "FAIL": _fail, "UNK": _Unknown, "S": _STR, "SG": _STR.__getitem__, "LT": self.lists,
            "ANY": self.any, "FD": self.field, "REORDER": self.reorder,
        }
        self.names: dict[type[BaseModel], str] = {}
        self.writers: dict[type[BaseModel], Writer] = {}
        self.variants: dict[tuple[type[BaseModel], tuple[str, ...]], Writer] = {}
        self.caches: list[dict[int, tuple[Any, str]]] = []
        self.cached_names: dict[type[BaseModel], tuple[str, str]] = {}
        self.lock = threading.RLock()
        self.n = 0

    # ---------------------------------------------------------------- entry points

    def writer(self, cls: type[BaseModel]) -> Writer:
        w = self.writers.get(cls)
        if w is None:
            with self.lock:
                w = self.ns[self.name(cls)]
                self.writers[cls] = w
        return w

    def field(self, obj: BaseModel, name: str, d: int) -> str:
        """The text of one field of ``obj`` (at depth ``d``), as pydantic writes it."""
        key = encode_basestring(name)
        if self.indent:
            t = obj.model_dump_json(indent=2, include={name})
            head, tail = "{\n  " + key + ": ", "\n}"
        else:
            t = obj.model_dump_json(include={name})
            head, tail = "{" + key + ":", "}"
        if not (t.startswith(head) and t.endswith(tail)):
            raise _Fallback
        v = t[len(head):len(t) - len(tail)]
        return v.replace("\n", "\n" + self.ind[d]) if self.indent and d else v

    def reorder(self, cls: type[BaseModel], obj: BaseModel, d: int, ap: Callable[[str], object]) -> None:
        """Write an instance whose ``__dict__`` is not in declaration order (pydantic follows it)."""
        order = tuple(obj.__dict__)
        w = self.variants.get((cls, order))
        if w is None:
            fields = tuple(cls.model_fields)
            if len(order) != len(fields) or set(order) != set(fields):
                raise _Fallback  # a missing or unknown key: pydantic decides what that means
            with self.lock:
                if sum(1 for c, _ in self.variants if c is cls) >= _MAX_VARIANTS:
                    raise _Fallback
                w = self.ns[self.generate(cls, order, check=False)]
                self.variants[(cls, order)] = w
        w(obj, d, ap)

    # ---------------------------------------------------------------- generation

    def fresh(self, stem: str) -> str:
        self.n += 1
        return f"{stem}_{self.n}"

    def name(self, cls: type[BaseModel]) -> str:
        """The namespace name of ``cls``'s writer (generated, with its children's, if need be)."""
        name = self.names.get(cls)
        if name is not None:
            return name
        name = self.fresh("w")
        self.names[cls] = name
        if not _writable(cls):
            self.ns[name] = self.delegate()
            return name
        if cls in CACHED_CLASSES:
            ch, miss = self.fresh("CH"), self.fresh("MISS")
            self.cached_names[cls] = ch, miss
            raw = self.ns[self.generate(cls, tuple(cls.model_fields), check=True)]
            self.ns[ch], self.ns[miss], self.ns[name] = self.cached(cls, raw)
        else:
            self.ns[name] = self.ns[self.generate(cls, tuple(cls.model_fields), check=True)]
        return name

    def delegate(self) -> Writer:
        if self.indent:
            ind = self.ind

            def write(o: Any, d: int, ap: Callable[[str], object]) -> None:
                t = o.model_dump_json(indent=2)
                ap(t.replace("\n", "\n" + ind[d]) if d else t)
        else:
            def write(o: Any, d: int, ap: Callable[[str], object]) -> None:
                ap(o.model_dump_json())
        return write

    def cached(self, cls: type[BaseModel], raw: Writer
               ) -> tuple[list[dict[int, tuple[Any, str]]], Callable[[Any, int], str], Writer]:
        """The identity caches (one per depth), the miss function and the writer of ``cls``."""
        own: list[dict[int, tuple[Any, str]]] = [{} for _ in range(MAX_DEPTH if self.indent else 1)]
        self.caches.extend(own)
        caches = own if self.indent else own * MAX_DEPTH  # compact: one dict for every depth

        def miss(o: Any, d: int) -> str:
            e = caches[d].get(id(o))
            if e is not None and e[0] is o:
                return e[1]
            if type(o) is not cls:
                raise _Fallback
            buf: list[str] = []
            raw(o, d, buf.append)
            t = "".join(buf)
            _remember(caches[d], o, t)
            return t

        def write(o: Any, d: int, ap: Callable[[str], object]) -> None:
            e = caches[d].get(id(o))
            ap(e[1] if e is not None and e[0] is o else miss(o, d))
        return caches, miss, write

    def generate(self, cls: type[BaseModel], order: tuple[str, ...], *, check: bool) -> str:
        """Generate the writer of ``cls`` for fields in ``order``; return its namespace name.

        Consecutive fields whose text is an expression (strings, numbers, cached objects, lists of
        them …) are written with one f-string; other fields (uncached objects) write themselves.
        """
        fn = self.fresh("r")
        k_tab, c_name, o_name = self.fresh("KT"), self.fresh("C"), self.fresh("ORDER")
        self.ns[c_name], self.ns[o_name] = cls, order
        self.ns[k_tab] = _Keys(lambda d: self.keys(order, d))
        lines = [f"def {fn}(o, d, ap):", "    D = o.__dict__"]
        if check:
            lines.append(f"    if tuple(D) != {o_name}: return REORDER({c_name}, o, d, ap)")
        lines.append(f"    K = {k_tab}[d]")
        group: list[str] = []
        for i, name in enumerate(order):
            group.append(f"{{K[{i}]}}")
            lines.append(f"    v = D[{name!r}]")
            kind = _field_kind(cls, name)
            if kind is None:
                lines.append(f"    t{i} = FD(o, {name!r}, d)")
            elif kind[0] in ("A", "D"):  # unknown values inside: pydantic writes the field
                if kind[0] == "D":
                    lines.append("    if type(v) is not dict: raise FB")
                lines += [f"    try: t{i} = ANY(v, d + 1)", f"    except UNK: t{i} = FD(o, {name!r}, d)"]
            else:
                ex = self.expr(kind, "v", "d + 1")
                if ex is None:
                    lines.append(f'    ap(f"{"".join(group)}")')
                    group = []
                    lines += self.stmt(kind, "v", "d + 1", 1)
                    continue
                lines.append(f"    t{i} = {ex}")
            group.append(f"{{t{i}}}")
        group.append(f"{{K[{len(order)}]}}")
        lines.append(f'    ap(f"{"".join(group)}")')
        exec("\n".join(lines), self.ns)  # noqa: S102 - generated from the model's own field names
        return fn

    def keys(self, order: tuple[str, ...], d: int) -> tuple[str, ...]:
        """Key prefixes of an object at depth ``d`` (``{``/``,``, newline, indent, key) and its close."""
        if not order:
            return ("{}",)
        if self.indent:
            pre, sep = "\n" + self.ind[d + 1], ": "
            close = "\n" + self.ind[d] + "}"
        else:
            pre, sep, close = "", ":", "}"
        return tuple(("{" if i == 0 else ",") + pre + encode_basestring(n) + sep
                     for i, n in enumerate(order)) + (close,)

    def expr(self, kind: Kind, var: str, de: str) -> str | None:
        """An expression for the text of ``var`` (of ``kind``) at depth ``de``, or None."""
        tag = kind[0]
        if tag == "S":
            return f"S[{var}]"
        if tag == "B":
            return f"('true' if {var} is True else 'false' if {var} is False else FAIL())"
        if tag == "I":
            return f"(int.__repr__({var}) if type({var}) is int else FAIL())"
        if tag == "A":
            return f"ANY({var}, {de})"
        if tag == "D":
            return f"(ANY({var}, {de}) if type({var}) is dict else FAIL())"
        if tag == "N":
            inner = self.expr(kind[1], var, de)
            return None if inner is None else f"('null' if {var} is None else {inner})"
        if tag == "M":  # an object: written by statements (cached texts are long: appended, not copied)
            return None
        assert tag == "L"
        if kind[1][0] == "S":  # strings: mapped at C speed
            items = f"map(SG, {var})"
        else:
            x = self.fresh("x")
            inner = self.expr(kind[1], x, f"{de} + 1")
            if inner is None:
                return None
            items = f"[{inner} for {x} in {var}]"
        return (f"(('[]' if not {var} else LT[{de}][0] + LT[{de}][1].join({items})"
                f" + LT[{de}][2]) if type({var}) is list else FAIL())")

    def stmt(self, kind: Kind, var: str, de: str, lvl: int) -> list[str]:
        """Lines writing ``var`` (of ``kind``: an uncached object, or made of them) at depth ``de``."""
        p = "    " * lvl
        ex = self.expr(kind, var, de)
        if ex is not None:
            return [f"{p}ap({ex})"]
        tag = kind[0]
        if tag == "N":
            return [f"{p}if {var} is None: ap('null')", f"{p}else:"] + self.stmt(kind[1], var, de, lvl + 1)
        if tag == "M":
            w = self.name(kind[1])
            names = self.cached_names.get(kind[1])
            if names is not None:  # the miss function checks the type
                ch, miss = names
                e = self.fresh("e")
                return [f"{p}{e} = {ch}[{de}].get(id({var}))",
                        f"{p}ap({e}[1] if {e} is not None and {e}[0] is {var} else {miss}({var}, {de}))"]
            c = self.fresh("C")
            self.ns[c] = kind[1]
            return [f"{p}if type({var}) is not {c}: raise FB", f"{p}{w}({var}, {de}, ap)"]
        assert tag == "L"
        inner = kind[1]
        if inner[0] == "M" and self.name(inner[1]) and inner[1] in self.cached_names:
            ch, miss = self.cached_names[inner[1]]
            x, e, g, lay, pre, sep = (self.fresh(n) for n in ("x", "e", "g", "L", "pre", "sep"))
            return [f"{p}if type({var}) is not list: raise FB", f"{p}if not {var}: ap('[]')", f"{p}else:",
                    f"{p}    {g} = {ch}[{de} + 1].get; {lay} = LT[{de}]; {pre} = {lay}[0]; {sep} = {lay}[1]",
                    f"{p}    for {x} in {var}:",
                    f"{p}        {e} = {g}(id({x}))",
                    f"{p}        ap({pre}); {pre} = {sep}",
                    f"{p}        ap({e}[1] if {e} is not None and {e}[0] is {x} else {miss}({x}, {de} + 1))",
                    f"{p}    ap({lay}[2])"]
        x, lay, pre, sep = self.fresh("x"), self.fresh("L"), self.fresh("pre"), self.fresh("sep")
        return [f"{p}if type({var}) is not list: raise FB", f"{p}if not {var}: ap('[]')", f"{p}else:",
                f"{p}    {lay} = LT[{de}]; {pre} = {lay}[0]; {sep} = {lay}[1]",
                f"{p}    for {x} in {var}:", f"{p}        ap({pre}); {pre} = {sep}",
                *self.stmt(kind[1], x, f"{de} + 1", lvl + 2),
                f"{p}    ap({lay}[2])"]


_INDENTED = _Mode(indent=True)
_COMPACT = _Mode(indent=False)
_count = [0, 0]  # entries, characters in the identity caches
_cache_lock = threading.Lock()


def _remember(c: dict[int, tuple[Any, str]], o: Any, t: str) -> None:
    if _count[0] >= CACHE_MAX_ENTRIES or _count[1] >= CACHE_MAX_CHARS:
        clear_caches()
    c[id(o)] = (o, t)
    _count[0] += 1
    _count[1] += len(t)


def clear_caches() -> None:
    """Empty the identity caches and the string cache (they only ever save time)."""
    with _cache_lock:
        for mode in (_INDENTED, _COMPACT):
            for c in mode.caches:
                c.clear()
        _STR.clear()
        _count[0] = _count[1] = 0


def dumps(obj: BaseModel, *, indent: bool) -> str:
    """``obj.model_dump_json(indent=2)`` (``indent``) or ``obj.model_dump_json()``, byte for byte."""
    return "".join(dumps_parts(obj, indent=indent))


def dumps_parts(obj: BaseModel, *, indent: bool) -> list[str]:
    """:func:`dumps` as the list of pieces it joins. The text of a shared object (a reason, a
    citation …) is one piece, the same ``str`` object each time while it is cached — which is what
    :mod:`accountrules.transport` uses to send each such text once per worker."""
    mode = _INDENTED if indent else _COMPACT
    out: list[str] = []
    try:
        mode.writer(type(obj))(obj, 0, out.append)
    except Exception:  # noqa: BLE001 - anything unexpected: pydantic writes it (or raises its own error)
        stats["fallbacks"] += 1
        return [obj.model_dump_json(indent=2) if indent else obj.model_dump_json()]
    return out
