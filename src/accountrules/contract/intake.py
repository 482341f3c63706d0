"""Reading case files: text or dict → :class:`~accountrules.models.Case`, or a clear error.

Every problem becomes one diagnostic naming the file, the field path (``persons[0].role``), what
was found and what is allowed; YAML problems keep their line and column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from ..diagnostics import Diagnostic, SourceSpan, allowed, did_you_mean
from ..errors import InputTooLarge, InvalidCase
from .limits import LIMITS, CaseLimits, check_data, check_size, excerpt, scan_yaml
from .models import Case
from .pydantic_errors import model_at
from .yaml_source import MAX_BYTES, RawDocument, YamlProblem, format_loc, load_yaml


class CodeBook(Protocol):
    """What :func:`check_codes` needs of a rulebook: the codes it defines."""

    @property
    def items(self) -> Mapping[str, Any]:
        """The item codes."""
        ...

    @property
    def circumstances(self) -> Mapping[str, Any]:
        """The circumstance codes."""
        ...

_LIMIT_CODES = {"file-too-large", "too-many-aliases", "document-too-complex", "list-too-long", "text-too-long"}


def _sentence(msg: str) -> str:
    """pydantic's message as part of ours: first letter lower-cased, the rest (a quoted regex) kept."""
    return msg[:1].lower() + msg[1:]


def _raise_yaml(exc: YamlProblem) -> None:
    if any(d.code in _LIMIT_CODES for d in exc.diagnostics):
        raise InputTooLarge(exc.diagnostics) from None
    raise InvalidCase(exc.diagnostics) from None


def _model_fields_at(loc: tuple[Any, ...]) -> list[str]:
    m = model_at(Case, loc)
    return list(m.model_fields) if m else []


def case_diagnostics(exc: ValidationError, doc: RawDocument | None, file: str) -> list[Diagnostic]:
    """Pydantic errors of a case → diagnostics with field paths (and positions when known)."""
    out: list[Diagnostic] = []
    for e in exc.errors(include_url=False):
        loc = tuple(e["loc"])
        path = format_loc(loc)
        span = doc.span(loc) if doc else None
        inp = e.get("input")
        etype = e["type"]
        if etype == "extra_forbidden":
            keys = _model_fields_at(loc[:-1])
            key = str(loc[-1])
            hint = did_you_mean(key, keys) if len(key) <= 64 else ""
            msg = f"{path}: unknown key {excerpt(key)}{hint}. {allowed(keys)}"
            span = doc.key_span(loc) if doc else None
            out.append(Diagnostic("unknown-key", msg, span, path=path if span is None else None))
        elif etype == "missing":
            out.append(Diagnostic("missing-key", f"{path}: required field is missing.", span,
                                  path=None if span else path))
        elif etype in ("literal_error", "enum"):
            exp = str(e.get("ctx", {}).get("expected", ""))
            choices = [x.strip().strip("'") for x in exp.replace(" or ", ", ").split(",")]
            hint = did_you_mean(inp, choices) if isinstance(inp, str) and len(inp) <= 64 else ""
            out.append(Diagnostic("bad-value", f"{path}: {excerpt(inp)} is not allowed{hint}. "
                                  f"Allowed: {exp}.", span, path=None if span else path))
        elif etype == "value_error" and not loc:
            for part in str(e["msg"]).removeprefix("Value error, ").split("\n"):
                p = part.split(":", 1)[0]
                out.append(Diagnostic("bad-reference", part + ".", _span_for_path(doc, p), path=None))
        else:
            out.append(Diagnostic("bad-value", f"{path}: {_sentence(e['msg'])}; found {excerpt(inp)}.", span,
                                  path=None if span else path))
    if doc is None:
        out = [Diagnostic(d.code, d.message, None, path=file) for d in out]
    return out


def _span_for_path(doc: RawDocument | None, path: str) -> Any:
    if doc is None:
        return None
    loc: list[str | int] = []
    for part in path.replace("]", "").split("."):
        name, *idx = part.split("[")
        if name:
            loc.append(name)
        loc.extend(int(i) for i in idx)
    return doc.span(tuple(loc))


def locate(diags: list[Diagnostic], path: str | Path) -> list[Diagnostic]:
    """Give a line and column to the diagnostics that name only a field path (codes checked against the
    rulebook after the file was read, e.g. an unknown item): the file is read again for its positions,
    only when there is such a problem. Unchanged when the file cannot be read or the field is not found."""
    if not any(d.span is None and d.path for d in diags):
        return diags
    try:
        doc = load_yaml(Path(path).read_bytes(), str(path), json_numbers=True)
    except (OSError, YamlProblem):
        return diags
    out = []
    for d in diags:
        span = _span_for_path(doc, d.path) if d.span is None and d.path else None
        out.append(Diagnostic(d.code, d.message, span, d.severity, d.rule_id, None) if span is not None else d)
    return out


def parse_case(data: Mapping[str, Any], *, doc: RawDocument | None = None, file: str = "<case>") -> Case:
    """Validate a case dict.

    Raises:
        InvalidCase: one diagnostic per problem.
    """
    if not isinstance(data, Mapping):
        raise InvalidCase([Diagnostic("bad-type", "a case file is a mapping with 'case' and 'persons'.",
                                      doc.span(()) if doc else None, path=None if doc else file)])
    check_data(data, file)
    try:
        return Case.model_validate(dict(data))
    except ValidationError as exc:
        diags = case_diagnostics(exc, doc, file)
        if not any(d.code == "bad-reference" for d in diags):
            diags += _reference_problems(data, doc, file)
        raise InvalidCase(diags) from None


def _reference_problems(data: Mapping[str, Any], doc: RawDocument | None, file: str) -> list[Diagnostic]:
    """Findings that name unknown persons, checked on the raw data.

    The model checks this only once every field is valid; reporting it with the field errors means
    one run shows every problem of the file.
    """
    persons = data.get("persons")
    case = data.get("case")
    if not isinstance(persons, list) or not isinstance(case, Mapping) or not isinstance(case.get("findings"), list):
        return []
    ids = [p.get("id") for p in persons if isinstance(p, Mapping)]
    out = []
    for fi, f in enumerate(case["findings"]):
        names = f.get("persons") if isinstance(f, Mapping) else None
        for pi, pid in enumerate(names if isinstance(names, list) else []):
            if isinstance(pid, str) and pid not in ids:
                path = f"case.findings[{fi}].persons[{pi}]"
                known = ", ".join(excerpt(i, 64).strip("'") for i in ids[:20]) or "none"
                known += f" … ({len(ids)} in all)" if len(ids) > 20 else ""
                out.append(Diagnostic("bad-reference", f"{path}: unknown person {excerpt(pid)}; persons defined: {known}.",
                                      _span_for_path(doc, path), path=None if doc else file))
    return out


def read_case_text(text: str | bytes, file: str = "<case>", *, max_bytes: int = MAX_BYTES) -> Case:
    """Parse YAML or JSON text into a case: the one reader behind the CLI, the API and HTTP.

    Everything the contract requires is enforced here: the size and structure limits
    (:mod:`accountrules.contract.limits`, refused before anything large is built), UTF-8, YAML/JSON syntax,
    duplicate keys, safe tags only, strict types (no coercion) and the case schema. JSON numbers
    such as ``1e5`` are numbers.

    Raises:
        InvalidCase: one diagnostic per problem, with its line, column and field path
            (:class:`~accountrules.errors.InputTooLarge` when a limit is exceeded).
    """
    check_size(len(text.encode("utf-8")) if isinstance(text, str) else len(text), file,
               CaseLimits(max_bytes=max_bytes))
    if isinstance(text, bytes):
        data = text
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidCase([Diagnostic("not-utf8", f"input is not UTF-8 text ({exc.reason}, at byte "
                                          f"{exc.start}).", span=_byte_span(data, exc.start, file))]) from None
    scan_yaml(text, file)
    try:
        doc = load_yaml(text, file, max_bytes=max_bytes, json_numbers=True)
    except YamlProblem as exc:
        _raise_yaml(exc)
        raise  # pragma: no cover
    return parse_case(doc.data, doc=doc, file=file)


def read_case_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Case:
    """Read one case file (YAML or JSON)."""
    p = Path(path)
    try:
        if p.is_dir():
            raise InvalidCase([Diagnostic("file-not-found", "this is a directory; give a case file (YAML, JSON, "
                                          "or JSON Lines for a batch).", path=str(path))])
        size = p.stat().st_size
        if size > max_bytes:
            raise InputTooLarge([Diagnostic("file-too-large", f"file is {size} bytes; the limit is {max_bytes}.",
                                            path=str(path))])
        data = p.read_bytes()
    except OSError as exc:
        raise InvalidCase([Diagnostic("file-not-found", f"cannot read case file: {exc.strerror}.",
                                      path=str(path))]) from None
    return read_case_text(data, str(path), max_bytes=max_bytes)


def _byte_span(data: bytes, offset: int, file: str) -> SourceSpan:
    """The line and column (1-based, in characters of the valid text before it) of byte ``offset``."""
    before = data[:offset]
    line = before.count(b"\n") + 1
    start = before.rfind(b"\n") + 1
    column = len(before[start:].decode("utf-8", errors="replace")) + 1
    return SourceSpan(file, line, column)


def read_case_json(line: str | bytes, file: str = "<case>") -> Case:
    """One JSON text (a JSON Lines line, an HTTP body) → a case, without YAML: the fast path of batches.

    The same checks as :func:`read_case_text` (limits, UTF-8, duplicate keys, strict types, the
    schema); problems are located by field path, not by line and column.

    Raises:
        InvalidCase: as :func:`read_case_text`.
    """
    check_size(len(line), file)
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidCase([Diagnostic("not-utf8", f"not UTF-8 text ({exc.reason}, at byte {exc.start}).",
                                          path=file)]) from None
    if line.count(",") + line.count("[") + line.count("{") >= LIMITS.max_values:
        scan_yaml(line, file)  # may hold more values than a case may: stop at the limit before decoding it all
    try:
        data = json.loads(line, object_pairs_hook=_no_dupes)
    except RecursionError:
        raise InputTooLarge([Diagnostic("document-too-complex", f"nested deeper than {LIMITS.max_depth} levels.",
                                        path=file)]) from None
    except ValueError as exc:
        raise InvalidCase([Diagnostic("json-syntax", f"{_short(str(exc))}.", path=file)]) from None
    return parse_case(data, file=file)


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:200] + "…"


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Case | InvalidCase]]:
    """Cases of a JSON Lines batch: (line number, case or the error for that line)."""
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield n, read_case_json(line, f"{path}:{n}")
            except InvalidCase as exc:
                yield n, exc


def _no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {excerpt(k)}; each key may appear once")
        out[k] = v
    return out


def check_codes(case: Case, book: CodeBook) -> None:
    """Codes a case uses must exist in the rulebook.

    Raises:
        InvalidCase: one diagnostic per unknown item or circumstance code.
    """
    problems: list[Diagnostic] = []
    for i, f in enumerate(case.case.findings):
        if f.item not in book.items:
            problems.append(Diagnostic("unknown-code", f"case.findings[{i}].item: unknown item '{f.item}'"
                                       f"{did_you_mean(f.item, book.items)}. {allowed(book.items)}",
                                       path=f"case.findings[{i}].item"))
    for i, p in enumerate(case.persons):
        for j, c in enumerate(p.circumstances):
            if c not in book.circumstances:
                problems.append(Diagnostic("unknown-code", f"persons[{i}].circumstances[{j}]: unknown "
                                           f"circumstance '{c}'{did_you_mean(c, book.circumstances)}. "
                                           f"{allowed(book.circumstances)}", path=f"persons[{i}].circumstances[{j}]"))
    if problems:
        raise InvalidCase(problems)
