"""Recommendations from worker processes to the parent, cheaply (issue #6).

:func:`~accountrules.batch.evaluate_many` evaluates in worker processes and rebuilds the results
in the parent. Pickling the models as they are costs the parent about a third of what evaluating
them cost the worker: pydantic's ``__setstate__`` for every object, and every reason, citation
and per-item outcome again in every chunk, although the engine shares them across cases. The
parent's share of the work is what limits how much a second worker adds.

This module sends a recommendation as plain tuples instead, and sends each shared output object
only once per worker:

* :class:`Encoder` (in the worker) turns an output model into ``(class code, number, layout,
  field values…)``, its nested models encoded the same way. Objects of the classes the engine
  shares (:data:`SHARED_CLASSES`) get a number the first time they are sent; afterwards the
  number alone stands for them. The encoder holds every object it has numbered, so its ``id``
  cannot be reused while the number is valid.
* :class:`Decoder` (in the parent) rebuilds the models — without validating them, as the engine
  built them (:func:`accountrules.models.trusted`): same field values, same ``__dict__`` order,
  same fields set — and keeps one table of numbered objects per worker.
* **Bounded.** Past :data:`MAX_ENTRIES` numbered objects the encoder starts a new *epoch*: it
  forgets its table and says so in the next chunk, and the decoder drops that worker's table when
  it reads it. A worker's chunks are decoded in the order it encoded them (each worker takes
  chunks in submission order, and the parent reads results in submission order), so both sides
  agree on every number.
* **Exact.** A decoded recommendation equals the worker's (``==``, ``model_dump_json``, fields
  set); an object the encoder does not know how to take apart (a class outside the output models,
  extra or private attributes, a value of the wrong container type) travels as itself, by pickle.
* **JSON text.** :class:`TextEncoder` and :class:`TextDecoder` do the same for rendered JSON (for
  :func:`~accountrules.batch.evaluate_many_json`): a text travels as the pieces
  :func:`accountrules.jsonout.dumps_parts` wrote, a long piece (a shared object's text) once per
  epoch, and the parent joins them instead of decoding UTF-8.
* **Trust.** The decoders unpickle what they are given: they are for this program's own worker
  processes, like :mod:`multiprocessing` itself, never for data from elsewhere.
"""

from __future__ import annotations

import itertools
import os
import pickle
from functools import cache
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from .._limits import CACHE_ENTRIES
from ..contract import models as m

__all__ = [
    "BIG_PIECE",
    "CLASSES",
    "MAX_ENTRIES",
    "MAX_TEXT_CHARS",
    "SHARED_CLASSES",
    "Decoder",
    "Encoder",
    "TextDecoder",
    "TextEncoder",
]

#: Output classes with a code on the wire (the index in this tuple).
CLASSES: tuple[type[BaseModel], ...] = (
    m.Recommendation, m.RulebookRef, m.EngineRef, m.ErrorCaseOut, m.Reason, m.Citation, m.Situation,
    m.PersonOutcome, m.Exemption, m.Considered, m.Influence, m.ItemOutcome, m.UnitMeasure, m.Review,
)
#: Classes whose instances the engine shares across cases: numbered, and sent once per epoch.
SHARED_CLASSES: frozenset[type[BaseModel]] = frozenset({
    m.RulebookRef, m.EngineRef, m.ErrorCaseOut, m.Reason, m.Citation, m.Situation, m.Considered,
    m.Influence, m.ItemOutcome, m.UnitMeasure, m.Review,
})
#: Most numbered objects an encoder keeps before it starts a new epoch.
MAX_ENTRIES = CACHE_ENTRIES

_PLAIN, _MODEL, _MODELS = 0, 1, 2
_RAW = -1  # class code of a value sent as itself (by pickle)


def _kind(annotation: Any) -> int:
    """How a field travels: a plain value, one (optional) output model, or a list of them."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        return _kind(args[0]) if len(args) == 1 else _PLAIN
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _MODEL
    if origin is list:
        (arg,) = get_args(annotation)
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return _MODELS
    return _PLAIN


def _schema(cls: type[BaseModel]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    names = tuple(cls.model_fields)
    return names, tuple(_kind(f.annotation) for f in cls.model_fields.values())


_CODE = {cls: i for i, cls in enumerate(CLASSES)}
_SCHEMAS = [_schema(cls) for cls in CLASSES]
_SHARED = [cls in SHARED_CLASSES for cls in CLASSES]
_FULL = [frozenset(names) for names, _ in _SCHEMAS]
_set = object.__setattr__
_SERIAL = itertools.count()


def _sender() -> tuple[int, int]:
    """Who sends: (pid, serial). Forked workers share the serial counter but not the pid; encoders
    in one process share the pid but not the serial."""
    return os.getpid(), next(_SERIAL)

# ---------------------------------------------------------------------------------------------
# The wire form of a value in a model field:
#   plain field            → the value itself
#   model field            → None, or the model's form
#   list-of-models field   → a list of the elements' forms, or (-1, value) if not a list
# and of a model:
#   its number (an int)    → a shared object sent before, in this epoch
#   (-1, obj)              → sent as itself (not one of CLASSES, extra/private attributes, or
#                            keys that are not its fields)
#   (code, number or -1, layout, *field forms in declaration order); layout None: ``__dict__`` in
#   declaration order and every field set; ("f", fields set): declaration order, some fields
#   unset; ("k", key order, fields set): another key order.
# Each class gets a generated encoder and decoder for the common form (layout None), written from
# its field names (never from data); everything else goes through the generic functions.


def _encoder_source(code: int) -> str:
    names, kinds = _SCHEMAS[code]
    lines = [f"def e{code}(obj):"]
    if _SHARED[code]:
        lines += ["    hit = sent_get(id(obj))",
                  "    if hit is not None and hit[1] is obj:",
                  "        return hit[0]"]
    lines += ["    d = obj.__dict__",
              f"    if (obj.__class__ is not C{code} or obj.__pydantic_fields_set__ != F{code} or tuple(d) != N{code}",
              "            or obj.__pydantic_extra__ is not None or obj.__pydantic_private__ is not None):",
              "        return generic(obj)"]
    parts = []
    for i, (name, kind) in enumerate(zip(names, kinds)):
        if kind == _PLAIN:
            parts.append(f"d[{name!r}]")
            continue
        lines.append(f"    v{i} = d[{name!r}]")
        if kind == _MODEL:
            parts.append(f"(None if v{i} is None else (ENC.get(v{i}.__class__) or generic)(v{i}))")
        else:
            parts.append(f"([(ENC.get(x.__class__) or generic)(x) for x in v{i}] if v{i}.__class__ is list "
                         f"else (-1, v{i}))")
    if _SHARED[code]:
        lines.append(f"    out = ({code}, -2, None, {', '.join(parts)})")
        lines += ["    number = len(sent)",
                  "    sent[id(obj)] = (number, obj)",
                  f"    return ({code}, number, None, *out[3:])"]
    else:
        lines.append(f"    return ({code}, -1, None, {', '.join(parts)})")
    return "\n".join(lines) + "\n"


def _decoder_source(code: int) -> str:
    names, kinds = _SCHEMAS[code]
    lines = [f"def d{code}(t, T):",
             "    if t[2] is not None:",
             "        return generic(t, T)"]
    items = []
    for i, (name, kind) in enumerate(zip(names, kinds)):
        v = f"t[{i + 3}]"
        if kind == _PLAIN:
            items.append(f"{name!r}: {v}")
            continue
        lines.append(f"    v{i} = {v}")
        one = "(T[{x}] if {x}.__class__ is int else DEC[{x}[0]]({x}, T))"
        if kind == _MODEL:
            items.append(f"{name!r}: None if v{i} is None else {one.format(x=f'v{i}')}")
        else:
            items.append(f"{name!r}: [{one.format(x='x')} for x in v{i}] if v{i}.__class__ is list else v{i}[1]")
    lines += [f"    obj = new(C{code})",
              f"    setattr_(obj, '__dict__', {{{', '.join(items)}}})",
              f"    setattr_(obj, '__pydantic_fields_set__', set(N{code}))",
              "    setattr_(obj, '__pydantic_extra__', None)",
              "    setattr_(obj, '__pydantic_private__', None)"]
    if _SHARED[code]:
        lines.append("    T[t[1]] = obj")
    lines.append("    return obj")
    return "\n".join(lines) + "\n"


def _namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {"__builtins__": {}, "id": id, "len": len, "set": set, "tuple": tuple, "list": list, "int": int,
                          "new": object.__new__, "setattr_": _set}
    for code, cls in enumerate(CLASSES):
        ns[f"C{code}"] = cls
        ns[f"N{code}"] = _SCHEMAS[code][0]
        ns[f"F{code}"] = _FULL[code]
    return ns


_ENCODER_SOURCE = "".join(_encoder_source(code) for code in range(len(CLASSES)))
_DECODER_SOURCE = "".join(_decoder_source(code) for code in range(len(CLASSES)))


def _decode_generic(t: Any, table: dict[int, BaseModel]) -> Any:
    """Any form of a model (the generated decoders handle layout None, this handles the rest)."""
    if t.__class__ is int:
        return table[t]
    code = t[0]
    if code == _RAW:
        return t[1]
    number, layout = t[1], t[2]
    names, kinds = _SCHEMAS[code]
    values = []
    for kind, v in zip(kinds, t[3:], strict=True):
        if kind == _PLAIN or v is None:
            values.append(v)
        elif kind == _MODEL:
            values.append(_decode_generic(v, table))
        elif v.__class__ is list:
            values.append([_decode_generic(x, table) for x in v])
        else:
            values.append(v[1])
    cls = CLASSES[code]
    obj = cls.__new__(cls)
    if layout is None:
        _set(obj, "__dict__", dict(zip(names, values)))
        _set(obj, "__pydantic_fields_set__", set(names))
    elif layout[0] == "f":
        _set(obj, "__dict__", dict(zip(names, values)))
        _set(obj, "__pydantic_fields_set__", set(layout[1]))
    else:
        by_name = dict(zip(names, values))
        _set(obj, "__dict__", {n: by_name[n] for n in layout[1]})
        _set(obj, "__pydantic_fields_set__", set(layout[2]))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    if number >= 0:
        table[number] = obj
    return obj


@cache
def _decoders() -> dict[int, Any]:
    """Class code → the generated decoder of its common form (compiled on first use, not at import)."""
    ns = _namespace()
    ns["generic"] = _decode_generic
    exec(compile(_DECODER_SOURCE, "<accountrules transport decoders>", "exec"), ns)  # noqa: S102 - from field names
    ns["DEC"] = {**{code: ns[f"d{code}"] for code in range(len(CLASSES))}, _RAW: lambda t, T: t[1]}
    return ns["DEC"]  # type: ignore[no-any-return]


class Encoder:
    """The worker's side: output models → plain tuples, shared objects sent once per epoch."""

    def __init__(self, max_entries: int | None = None) -> None:
        self.max_entries = MAX_ENTRIES if max_entries is None else max_entries
        self.epoch = 0
        self._sent: dict[int, tuple[int, BaseModel]] = {}
        self.sender = _sender()
        self._bind()

    def _bind(self) -> None:
        """Compile this encoder's functions, bound to its table (``sent``)."""
        ns = _namespace()
        ns.update(sent=self._sent, sent_get=self._sent.get, generic=self._encode_generic)
        exec(compile(_ENCODER_SOURCE, "<accountrules transport encoders>", "exec"), ns)  # noqa: S102 - from field names
        ns["ENC"] = {cls: ns[f"e{code}"] for code, cls in enumerate(CLASSES)}
        self._enc = ns["ENC"]

    def chunk(self, results: list[Any]) -> bytes:
        """A chunk of results on the wire: the pickle of ``(sender, epoch, [encoded model, or
        (None, anything else)])``. One ``bytes`` object, so the process pool's result thread
        unpickles nothing (its allocations would run the parent's GC over every result so far)."""
        if len(self._sent) > self.max_entries:
            self._sent.clear()  # the generated functions hold this dict: clear it, never replace it
            self.epoch += 1
        items = [self.encode(r) if isinstance(r, BaseModel) else (None, r) for r in results]
        return pickle.dumps((self.sender, self.epoch, items), protocol=pickle.HIGHEST_PROTOCOL)

    def encode(self, obj: BaseModel) -> Any:
        """The wire form of ``obj`` (see the comment above :func:`_encoder_source`)."""
        f = self._enc.get(obj.__class__)
        return f(obj) if f is not None else self._encode_generic(obj)

    def _encode_generic(self, obj: Any) -> Any:
        """Any model: the forms the generated encoders do not write (other layouts, raw)."""
        hit = self._sent.get(id(obj))
        if hit is not None and hit[1] is obj:
            return hit[0]
        code = _CODE.get(obj.__class__)
        if code is None or obj.__pydantic_extra__ is not None or obj.__pydantic_private__ is not None:
            return (_RAW, obj)
        names, kinds = _SCHEMAS[code]
        d = obj.__dict__
        fields_set = obj.__pydantic_fields_set__
        if tuple(d) == names:
            layout: Any = None if fields_set == _FULL[code] else ("f", tuple(sorted(fields_set)))
            values = list(d.values())
        elif len(d) == len(names) and set(d) == set(names):
            # keep the instance's own key order (what pydantic writes in), not the declared one
            layout = ("k", tuple(d), tuple(sorted(fields_set)))
            values = [d[n] for n in names]
        else:
            return (_RAW, obj)
        out: list[Any] = [code, -1, layout]
        for kind, v in zip(kinds, values, strict=True):
            if kind == _PLAIN or v is None:
                out.append(v)
            elif kind == _MODEL:
                out.append(self.encode(v) if isinstance(v, BaseModel) else (_RAW, v))
            elif v.__class__ is list:
                out.append([self.encode(x) if isinstance(x, BaseModel) else (_RAW, x) for x in v])
            else:
                out.append((_RAW, v))
        if _SHARED[code]:
            number = len(self._sent)
            self._sent[id(obj)] = (number, obj)
            out[1] = number
        return tuple(out)


class Decoder:
    """The parent's side: plain tuples → output models, one table of shared objects per worker."""

    def __init__(self) -> None:
        self._tables: dict[tuple[int, int], tuple[int, dict[int, BaseModel]]] = {}

    def chunk(self, payload: bytes) -> list[Any]:
        """The results of a chunk :meth:`Encoder.chunk` encoded (anything not a model as it was).

        Only for bytes from :meth:`Encoder.chunk` of this program's own workers: it unpickles them.
        """
        sender, epoch, items = pickle.loads(payload)
        known = self._tables.get(sender)
        if known is None or known[0] != epoch:
            known = (epoch, {})
            self._tables[sender] = known
        table = known[1]
        dec = _decoders()
        return [table[item] if item.__class__ is int else item[1] if item[0] is None else dec[item[0]](item, table)
                for item in items]


# --------------------------------------------------------------------------- JSON text

#: A piece of JSON text at least this long (the text of a shared reason, citation …) is numbered
#: and sent once per epoch; shorter pieces travel as text, consecutive ones joined.
BIG_PIECE = 200
#: Characters of numbered pieces an encoder keeps before it starts a new epoch.
MAX_TEXT_CHARS = 16_000_000


class TextEncoder:
    """The worker's side for rendered JSON: each result is the list of pieces
    :func:`accountrules.jsonout.dumps_parts` wrote, and a long piece (the same ``str`` object
    each time a shared object is written) is sent once per epoch, then by its number. Short
    pieces in a row travel joined, as one text.

    Sending the joined text instead costs the parent a UTF-8 decode of every text (about 70 µs
    for a 60,000-character recommendation); this costs it a join.
    """

    def __init__(self, max_entries: int | None = None, max_chars: int | None = None) -> None:
        self.max_entries = MAX_ENTRIES if max_entries is None else max_entries
        self.max_chars = MAX_TEXT_CHARS if max_chars is None else max_chars
        self.epoch = 0
        self._sent: dict[int, tuple[int, str]] = {}
        self._chars = 0
        self.sender = _sender()

    def chunk(self, results: list[Any]) -> bytes:
        """A chunk on the wire: the pickle of ``(sender, epoch, new pieces, [pieces' form, or (None,
        anything else)])``; new pieces are ``(number, text)``, registered before the texts are read."""
        if len(self._sent) > self.max_entries or self._chars > self.max_chars:
            self._sent.clear()
            self._chars = 0
            self.epoch += 1
        new: list[tuple[int, str]] = []
        items = [self.encode(r, new) if r.__class__ is list else (None, r) for r in results]
        return pickle.dumps((self.sender, self.epoch, new, items), protocol=pickle.HIGHEST_PROTOCOL)

    def encode(self, pieces: list[str], new: list[tuple[int, str]]) -> list[str | int]:
        """``pieces`` on the wire: text (short pieces joined) or the number of a long piece (appended
        to ``new`` the first time)."""
        sent = self._sent
        out: list[str | int] = []
        run: list[str] = []
        for p in pieces:
            if len(p) < BIG_PIECE:
                run.append(p)
                continue
            if run:
                out.append("".join(run))
                run = []
            hit = sent.get(id(p))
            if hit is not None and hit[1] is p:
                out.append(hit[0])
            else:
                number = len(sent)
                sent[id(p)] = (number, p)  # holds p: its id is not reused while numbered
                self._chars += len(p)
                new.append((number, p))
                out.append(number)
        if run:
            out.append("".join(run))
        return out


class TextDecoder:
    """The parent's side for rendered JSON: the texts, one table of numbered pieces per worker."""

    def __init__(self) -> None:
        self._tables: dict[tuple[int, int], tuple[int, dict[int, str]]] = {}

    def chunk(self, payload: bytes) -> list[Any]:
        """The results of a chunk :meth:`TextEncoder.chunk` encoded (anything not a text as it was).

        Only for bytes from :meth:`TextEncoder.chunk` of this program's own workers: it unpickles them.
        """
        sender, epoch, new, items = pickle.loads(payload)
        known = self._tables.get(sender)
        if known is None or known[0] != epoch:
            known = (epoch, {})
            self._tables[sender] = known
        table = known[1]
        table.update(new)
        return ["".join([table[x] if x.__class__ is int else x for x in item]) if item.__class__ is list else item[1]
                for item in items]
