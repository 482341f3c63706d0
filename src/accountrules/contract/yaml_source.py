"""Stage 1 — load: strict, safe YAML (and JSON) that keeps a source position for every node.

* Only safe scalar types are constructed (``str``, ``int``, ``float``, ``bool``, ``null``, dates);
  no Python tags, ever (the node graph is composed by PyYAML's safe composer, C-accelerated where
  available, and built here).
* Duplicate mapping keys are errors (``duplicate-key``), with both positions.
* Size and complexity are bounded before anything expands: the raw text size
  (``file-too-large``), the number of aliases (``too-many-aliases``) and the number of nodes after
  alias expansion (``document-too-complex``), so an alias bomb is refused in milliseconds.

The result is a :class:`RawDocument`: the plain data plus a map from key path to
:class:`~accountrules.diagnostics.SourceSpan`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..diagnostics import Diagnostic, SourceSpan

try:  # the C composer is 5-10x faster; positions are kept either way
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 2 * 1024 * 1024
MAX_ALIASES = 1_000
MAX_NODES = 200_000
MAX_DEPTH = 64

Loc = tuple[str | int, ...]

_SCALAR_CONSTRUCTOR = yaml.SafeLoader("")  # used only to resolve scalar nodes


class _JsonNumbersLoader(_Loader):
    """The safe loader, plus JSON's exponent numbers (``1e5``, ``2E-3``), which YAML 1.1 reads as text.

    Used for case files, which are often JSON: a JSON number must stay a number there.
    """


_JsonNumbersLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


class YamlProblem(Exception):
    """Raised by :func:`load_yaml` with the diagnostics found."""

    def __init__(self, diagnostics: list[Diagnostic], document: RawDocument | None = None) -> None:
        self.diagnostics = diagnostics
        #: what was read anyway, when every problem only dropped a repeated key (the first one kept):
        #: a validator may go on checking it, so that one run reports every problem
        self.document = document
        super().__init__("; ".join(d.format() for d in diagnostics))


@dataclass
class RawDocument:
    """Parsed data of one file and the source span of every node, keyed by path."""

    file: str
    data: Any
    spans: dict[Loc, SourceSpan] = field(default_factory=dict)

    def span(self, loc: Loc) -> SourceSpan:
        """The span of ``loc`` or, for a missing key, of its nearest existing ancestor."""
        loc = tuple(loc)
        while loc:
            if loc in self.spans:
                return self.spans[loc]
            loc = loc[:-1]
        return self.spans.get((), SourceSpan(self.file, 1, 1))

    def key_span(self, loc: Loc) -> SourceSpan:
        """The span of the *key* of a mapping entry (falls back to :meth:`span`)."""
        return self.spans.get(loc + ("<key>",), self.span(loc))


def _span(file: str, node: yaml.Node) -> SourceSpan:
    s, e = node.start_mark, node.end_mark
    return SourceSpan(file, s.line + 1, s.column + 1, e.line + 1, e.column + 1)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.spans: dict[Loc, SourceSpan] = {}
        self.problems: list[Diagnostic] = []
        self.nodes = 0

    def build(self, node: yaml.Node, loc: Loc, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooComplex(node)
        if depth > MAX_DEPTH:
            raise _TooDeep(node)
        self.spans[loc] = _span(self.file, node)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _COLLECTION_TAGS:
            self.problems.append(
                Diagnostic(
                    "bad-tag",
                    f"tag '{node.tag}' is not allowed; only plain YAML mappings and lists are.",
                    _span(self.file, node),
                )
            )
            return None
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            first: dict[Any, yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problems.append(
                        Diagnostic(
                            "merge-key",
                            "YAML merge keys ('<<') are not allowed; write the keys out.",
                            _span(self.file, key_node),
                        )
                    )
                    continue
                key = self.build_scalar_key(key_node)
                if key in first:
                    prev = _span(self.file, first[key])
                    self.problems.append(
                        Diagnostic(
                            "duplicate-key",
                            f"duplicate key '{key}' (first defined at line {prev.line}, "
                            f"column {prev.column}); each key may appear once.",
                            _span(self.file, key_node),
                            path=format_loc(loc + (key,)),
                        )
                    )
                    continue
                first[key] = key_node
                self.spans[loc + (key, "<key>")] = _span(self.file, key_node)
                out[key] = self.build(value_node, loc + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, loc + (i,), depth + 1) for i, v in enumerate(node.value)]
        return self.scalar(node)

    def build_scalar_key(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.problems.append(
                Diagnostic("bad-key", "mapping keys must be plain scalars.", _span(self.file, node))
            )
            return f"<complex key at line {node.start_mark.line + 1}>"
        value = self.scalar(node)
        return value if isinstance(value, str | int | bool) or value is None else str(value)

    def scalar(self, node: yaml.Node) -> Any:
        tag = node.tag
        if tag not in _ALLOWED_TAGS:
            self.problems.append(
                Diagnostic(
                    "bad-tag",
                    f"tag '{tag}' is not allowed; only plain YAML values (text, numbers, "
                    "true/false, null, dates) are.",
                    _span(self.file, node),
                )
            )
            return None
        try:
            return _SCALAR_CONSTRUCTOR.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.constructor.ConstructorError):
            # e.g. 2023-13-45 looks like a date but is not one: keep the text, and let the schema
            # report it against its field
            return node.value


_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}

_ALLOWED_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


class _TooComplex(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


class _TooDeep(_TooComplex):
    pass


def format_loc(loc: Loc) -> str:
    """Render a key path the way the contract does: ``persons[0].role``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


def _count_aliases(text: str, file: str) -> None:
    aliases = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES and event.start_mark is not None:
                    m = event.start_mark
                    raise YamlProblem(
                        [
                            Diagnostic(
                                "too-many-aliases",
                                f"more than {MAX_ALIASES} YAML aliases; refused (alias bombs "
                                "expand exponentially). Write the values out instead.",
                                SourceSpan(file, m.line + 1, m.column + 1),
                            )
                        ]
                    )
    except yaml.YAMLError:
        return  # the syntax error is reported by compose, with its position


def _expanded_size(root: yaml.Node) -> yaml.Node | None:
    """Count nodes as if aliases were expanded (memoised per node); return the culprit if too big."""
    memo: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in memo:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                children += [k, v]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in memo)
            continue
        total = 1 + sum(memo.get(id(c), 1) for c in children)
        memo[id(node)] = total
        if total > MAX_NODES:
            return node
    return None


def load_yaml(text: str | bytes, file: str = "<input>", *, max_bytes: int = MAX_BYTES,
              json_numbers: bool = False) -> RawDocument:
    """Parse one YAML (or JSON) document safely, keeping positions.

    ``json_numbers=True`` also reads JSON's exponent numbers without a decimal point (``1e5``) as
    numbers, as JSON does (YAML 1.1 reads them as text).

    Raises:
        YamlProblem: with one diagnostic per problem (syntax, duplicate key, bad tag, limits).
    """
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    if size > max_bytes:
        raise YamlProblem(
            [
                Diagnostic(
                    "file-too-large",
                    f"input is {size} bytes; the limit is {max_bytes} bytes.",
                    SourceSpan(file, 1, 1),
                )
            ]
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise YamlProblem(
                [Diagnostic("not-utf8", f"input is not UTF-8 text ({exc.reason}).", SourceSpan(file, 1, 1))]
            ) from None
    if "&" in text and "*" in text:
        _count_aliases(text, file)
    try:
        node = yaml.compose(text, Loader=_JsonNumbersLoader if json_numbers else _Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = SourceSpan(file, mark.line + 1, mark.column + 1) if mark else SourceSpan(file, 1, 1)
        problem = exc.problem or "invalid YAML"
        ctx = f" ({exc.context})" if exc.context else ""
        raise YamlProblem([Diagnostic("yaml-syntax", f"{problem}{ctx}.", span)]) from None
    except yaml.YAMLError as exc:
        raise YamlProblem([Diagnostic("yaml-syntax", str(exc), SourceSpan(file, 1, 1))]) from None
    if node is None:
        return RawDocument(file, None, {(): SourceSpan(file, 1, 1)})
    big = _expanded_size(node)
    if big is not None:
        raise YamlProblem(
            [
                Diagnostic(
                    "document-too-complex",
                    f"more than {MAX_NODES} values after expanding aliases; refused "
                    "(this is what an alias bomb looks like).",
                    _span(file, big),
                )
            ]
        )
    builder = _Builder(file)
    try:
        data = builder.build(node, (), 0)
    except _TooDeep as exc:
        raise YamlProblem(
            [Diagnostic("document-too-complex", f"nesting deeper than {MAX_DEPTH} levels; refused.",
                        _span(file, exc.node))]
        ) from None
    except _TooComplex as exc:
        raise YamlProblem(
            [
                Diagnostic(
                    "document-too-complex",
                    f"more than {MAX_NODES} values after expanding aliases; refused "
                    "(this is what an alias bomb looks like).",
                    _span(file, exc.node),
                )
            ]
        ) from None
    if builder.problems:
        only_repeats = all(d.code == "duplicate-key" for d in builder.problems)
        raise YamlProblem(builder.problems, RawDocument(file, data, builder.spans) if only_repeats else None)
    return RawDocument(file, data, builder.spans)


def load_file(path: str | Path, *, display: str | None = None, max_bytes: int = MAX_BYTES) -> RawDocument:
    """Read and parse a file, refusing oversized files before reading them whole."""
    p = Path(path)
    name = display or str(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise YamlProblem([Diagnostic("file-not-found", f"cannot read file: {exc.strerror}.", path=name)]) from None
    if size > max_bytes:
        raise YamlProblem(
            [Diagnostic("file-too-large", f"file is {size} bytes; the limit is {max_bytes} bytes.",
                        SourceSpan(name, 1, 1))]
        )
    return load_yaml(p.read_bytes(), name, max_bytes=max_bytes)

