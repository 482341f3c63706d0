"""Stage 2 — validate: rule files → :class:`Rulebook` (pydantic + cross-references + conditions)."""

from __future__ import annotations

import hashlib
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from .._limits import no_gc
from ..contract.pydantic_errors import found_text, model_at
from ..contract.yaml_source import Loc, RawDocument, YamlProblem, format_loc, load_file
from ..diagnostics import Diagnostic, SourceSpan, allowed, did_you_mean
from ..errors import RuleFileError
from ..language.conditions import Cond, ParseContext, parse_condition
from . import labels as _labels
from . import schema as rb
from .citations import resolve_citations
from .law import (
    MARK_CLOSE,
    MARK_OPEN,
    LawLibrary,
    article_label,
    nearest_passage,
    normalize,
    parse_article_ref,
    quote_in_article,
)
from .pinpoint import pinpoint_problem, provision_of_line
from .salvage import close_to, declared_ids, salvage

MAX_RULE_FILES = 500


def default_rulebook_dir() -> Path:
    """The bundled default rulebook: the wheel's copy, else the source tree's ``rules/``."""
    from .registry import resolve_rulebook

    return resolve_rulebook(None)[0]


_R = TypeVar("_R", bound=rb.Rule)


@dataclass
class RuleEntry:
    """A rule with its section, stage, parsed condition and position."""

    section: str
    stage: str
    rule: rb.Rule
    cond: Cond
    span: SourceSpan
    order: int
    #: the rulebook parameters the condition compares with (``{param: ID}``) or the texts name
    #: (``{param.ID}``), in order of first use
    params: tuple[str, ...] = ()
    #: the rule's citations, then those of its parameters (what its reason prints)
    citations: list[rb.CitationSpec] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The rule id."""
        return self.rule.id

    def typed(self, kind: type[_R]) -> _R:
        """The rule as its section's type (``entry.typed(rb.ChainRule).then.responsibility``).

        Raises:
            TypeError: the rule is not of that section (a programming error, never bad input).
        """
        rule = self.rule
        if isinstance(rule, kind):
            return rule
        raise TypeError(f"rule '{rule.id}' is a {type(rule).__name__}, not a {kind.__name__}")


@dataclass
class Rulebook:
    """A validated rulebook: catalogues, rules in order, and where everything is written."""

    manifest: rb.Manifest
    directory: Path
    #: how the rulebook's sources are named in output (reasons' ``source``, the catalogue): canonical,
    #: whatever the spelling of its path (:func:`~accountrules.rules.registry.canonical_root`)
    display_root: str
    sha256: str
    files: list[str]
    instruments: dict[str, rb.Instrument]
    definitions: dict[str, rb.Definition]
    categories: dict[str, rb.Category]
    items: dict[str, rb.Item]
    grades: dict[str, rb.Grade]
    responsibilities: dict[str, rb.ResponsibilityType]
    ladder: list[rb.Level]
    measures: dict[str, rb.Measure]
    channels: dict[str, rb.Channel]
    circumstances: dict[str, rb.Circumstance]
    unit_measure_types: dict[str, rb.UnitMeasureType]
    review_tracks: dict[str, rb.ReviewTrack]
    matrix: rb.Matrix
    rules: list[RuleEntry]
    spans: dict[str, SourceSpan] = field(default_factory=dict)
    deciding_bodies: dict[str, rb.DecidingBody] = field(default_factory=dict)
    stat_thresholds: dict[str, rb.StatThreshold] = field(default_factory=dict)
    labels: dict[str, dict[str, rb.Text]] = field(default_factory=dict)
    #: how file positions are written in diagnostics (the path as given; ``display_root`` when empty)
    file_root: str = ""
    parameters: dict[str, rb.Parameter] = field(default_factory=dict)
    code_maps: list[rb.CodeMap] = field(default_factory=list)
    roles: dict[str, rb.RoleSpec] = field(default_factory=dict)

    @cached_property
    def role_chain(self) -> dict[str, tuple[str, int]]:
        """Role → (step, position) in the handling chain: the rulebook's ``roles``, else the default chain."""
        from ..language.facts import DEFAULT_ROLE_CHAIN

        if not self.roles:
            return dict(DEFAULT_ROLE_CHAIN)
        return {r.id: (r.step, r.position) for r in self.roles.values()}

    def parameter_value(self, name: str, law_date: int) -> float | int | None:
        """The value of parameter ``name`` in force on ``law_date`` (``YYYYMMDD``; 0: unknown, which only an
        undated value covers), or None when no value is in force then."""
        for start, end, value in _periods(self.parameters[name]):
            if (not start or (law_date and law_date >= start)) and (not end or (law_date and law_date <= end)):
                return value
        return None

    def label(self, kind: str, code: str, lang: str) -> str:
        """The ``lang`` (``zh``/``en``) label of ``code`` in the vocabulary ``kind``.

        ``kind`` is a closed vocabulary (``origin``, ``outcome``, ``role``, ``fact`` …, labelled in the
        ``labels:`` section) or a rulebook vocabulary (``item``, ``level``, ``measure`` …, labelled by
        each entry's ``name``); :data:`accountrules.rules.labels.KINDS` lists them all.

        Raises:
            LookupError: for an unknown kind or a code the vocabulary does not have.
        """
        if kind in _labels.CATALOG:
            entries: Mapping[str, Any] = getattr(self, _labels.CATALOG[kind])
            entry = entries.get(code)
            if entry is None:
                raise LookupError(f"no {kind} '{code}' in rulebook {self.manifest.id}")
            return str(entry.name.get(lang))
        texts = self.labels.get(kind)
        if texts is None:
            raise LookupError(f"unknown label vocabulary '{kind}'; known: {', '.join(_labels.KINDS)}")
        text = texts.get(code)
        if text is None:
            raise LookupError(f"no label for {kind} '{code}' in rulebook {self.manifest.id}")
        return text.get(lang)

    def responsibility_label(self, code: str, lang: str, *, leader: bool | None = None,
                             channel: str | None = None) -> str:
        """How a person's responsibility is named: 领导责任 only for a leading cadre — ``leader``
        when known (the fact ``person.leading_cadre``), else whether the person's ``channel`` is a
        leading-cadre channel (``leading_cadres: true``) — otherwise the responsibility's
        ``non_leader_name`` (主要责任, 次要责任)."""
        resp = self.responsibilities[code]
        if leader is None:
            ch = self.channels.get(channel) if channel else None
            leader = ch is not None and ch.leading_cadres
        if resp.non_leader_name is not None and not leader:
            return resp.non_leader_name.get(lang)
        return resp.name.get(lang)

    @cached_property
    def default_track(self) -> str:
        """The lowest-ranked review track: the track of a case no review rule fires for."""
        return min(self.review_tracks.values(), key=lambda t: t.rank).id

    @cached_property
    def no_responsibility(self) -> str:
        """The id of the responsibility of rank 0 (no responsibility)."""
        return next(r.id for r in self.responsibilities.values() if r.rank == 0)

    @cached_property
    def by_section(self) -> dict[str, list[RuleEntry]]:
        """Rules grouped by section, in rulebook order."""
        out: dict[str, list[RuleEntry]] = {s: [] for s in rb.RULE_SECTIONS}
        for r in self.rules:
            out[r.section].append(r)
        return out

    @cached_property
    def by_id(self) -> dict[str, RuleEntry]:
        """Rules by id."""
        return {r.id: r for r in self.rules}

    @cached_property
    def levels(self) -> dict[str, rb.Level]:
        """Ladder levels by id."""
        return {lv.id: lv for lv in self.ladder}

    @cached_property
    def levels_by_rank(self) -> dict[int, rb.Level]:
        """Ladder levels by rank."""
        return {lv.rank: lv for lv in self.ladder}

    @cached_property
    def vocabs(self) -> dict[str, tuple[str, ...]]:
        """Rulebook vocabularies that fact values refer to."""
        return _vocabs(self.items, self.categories, self.circumstances, self.definitions)

    def span_of(self, key: str) -> SourceSpan | None:
        """Where a catalogue element (``items.P2``, ``ladder.talk`` …) is written."""
        return self.spans.get(key)

    def source(self, span: SourceSpan | None) -> str:
        """``rules/file.yaml:LINE`` for reasons, named by ``display_root`` however the path was spelt."""
        if span is None:
            return self.display_root
        if self.file_root and self.file_root != self.display_root and span.file.startswith(self.file_root + "/"):
            return f"{self.display_root}/{span.file[len(self.file_root) + 1:]}:{span.line}"
        return span.short


def _day(iso: str | None) -> int:
    return int(iso.replace("-", "")) if iso else 0


def _periods(p: rb.Parameter) -> list[tuple[int, int, float | int]]:
    """A parameter's values as ``(from, until, value)``, days as ``YYYYMMDD`` (0: open)."""
    return [(_day(v.in_force_from), _day(v.in_force_until), v.value) for v in p.values]


def _param_versions(params: Mapping[str, rb.Parameter], problems: list[Diagnostic]
                    ) -> dict[str, tuple[tuple[Any, int, int], ...]]:
    """Each parameter's values for the condition parser; overlapping or inverted periods reported."""
    out: dict[str, tuple[tuple[Any, int, int], ...]] = {}
    for p in params.values():
        periods = sorted(_periods(p), key=lambda t: t[0])
        for i, (start, end, _v) in enumerate(periods):
            if start and end and end < start:
                problems.append(Diagnostic("bad-value", f"parameter '{p.id}': a value ends ({end}) before it "
                                           f"starts ({start}).", p.span))
            if i and (not periods[i - 1][1] or periods[i - 1][1] >= start):
                problems.append(Diagnostic("duplicate-id", f"parameter '{p.id}': two values are in force on the "
                                           "same day; give each an in_force_from/in_force_until that does not "
                                           "overlap the others.", p.span))
        out[p.id] = tuple((v, start, end) for start, end, v in periods)
    return out


def _vocabs(items: Mapping[str, Any], cats: Mapping[str, Any], circs: Mapping[str, Any],
            defs: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {
        "items": tuple(items),
        "categories": tuple(cats),
        "circumstances": tuple(circs),
        "definitions": tuple(defs),
    }


# --------------------------------------------------------------------------- pydantic → diagnostics


def pydantic_diagnostics(exc: ValidationError, doc: RawDocument, model: type[BaseModel],
                         base: Loc = ()) -> list[Diagnostic]:
    """Map pydantic errors to positioned diagnostics with what is allowed."""
    out: list[Diagnostic] = []
    for e in exc.errors(include_url=False):
        loc = base + tuple(e["loc"])
        etype = e["type"]
        path = format_loc(loc)
        if etype == "extra_forbidden":
            key = str(loc[-1])
            parent = model_at(model, tuple(e["loc"])[:-1]) if isinstance(model, type) else None
            keys = list(parent.model_fields) if parent else []
            msg = f"unexpected key '{key}'{did_you_mean(key, keys)}. {allowed(keys)}"
            out.append(Diagnostic("unknown-key", msg, doc.key_span(loc), path=path))
            continue
        if etype == "missing":
            key = str(loc[-1])
            if key == "citations":
                out.append(Diagnostic("missing-citation", "this rule has no citation; every rule must "
                                      "cite at least one article (citations: [{instrument, article, "
                                      "version, quote}]).", doc.span(loc[:-1]), path=path))
            else:
                out.append(Diagnostic("missing-key", f"required key '{key}' is missing.", doc.span(loc[:-1]),
                                      path=path))
            continue
        if etype == "too_short" and loc and loc[-1] == "citations":
            out.append(Diagnostic("missing-citation", "'citations' is empty; every rule must cite at least "
                                  "one article.", doc.span(loc), path=path))
            continue
        found = found_text(e.get("input"))
        if etype in ("literal_error", "enum"):
            exp = e.get("ctx", {}).get("expected", "")
            choices = [x.strip().strip("'") for x in str(exp).replace(" or ", ", ").split(",") if x.strip()]
            msg = f"{found} is not allowed here{did_you_mean(str(e.get('input')), choices)}. Allowed: {exp}."
            out.append(Diagnostic("bad-value", msg, doc.span(loc), path=path))
            continue
        out.append(Diagnostic("bad-value" if "pattern" in etype or "greater" in etype or "less" in etype
                              else "bad-type", f"{e['msg']}; found {found}.", doc.span(loc), path=path))
    return out


# --------------------------------------------------------------------------- loading


def _rule_files(directory: Path) -> list[Path]:
    files = sorted(p for p in directory.rglob("*.yaml") if not p.name.endswith(".cases.yaml")
                   and "law" not in p.relative_to(directory).parts[:-1])
    return files


def load_rulebook(path: str | Path | None = None, *, display_root: str | None = None) -> Rulebook:
    """Load, validate and cross-check a rulebook directory (default: the bundled one).

    Raises:
        RuleFileError: listing every problem found, sorted by file and position.
    """
    with no_gc():  # loading builds many small objects and no cycles worth collecting: ~2x faster
        return _load_rulebook(path, display_root)


def _load_rulebook(path: str | Path | None, display_root: str | None) -> Rulebook:
    from .registry import canonical_root, resolve_rulebook

    directory, given = resolve_rulebook(path, display_root)
    root = given if given is not None else str(path).rstrip("/")
    if not directory.is_dir():
        raise RuleFileError([Diagnostic("rulebook-not-found", f"'{directory}' is not a rulebook "
                                        "directory (it must contain rulebook.yaml).", path=str(directory))])
    files = _rule_files(directory)
    if not (directory / "rulebook.yaml").is_file():
        raise RuleFileError([Diagnostic("rulebook-not-found", f"'{directory}' has no rulebook.yaml.",
                                        path=str(directory))])
    if len(files) > MAX_RULE_FILES:
        raise RuleFileError([Diagnostic("too-many-files", f"more than {MAX_RULE_FILES} rule files.",
                                        path=str(directory))])
    problems: list[Diagnostic] = []
    broken_all: set[str] = set()
    parsed: list[tuple[RawDocument, rb.RuleFile]] = []
    digest = hashlib.sha256()
    rel_names: list[str] = []
    for f in files:
        rel = f.relative_to(directory).as_posix()
        rel_names.append(rel)
        display = f"{root}/{rel}"
        try:
            doc = load_file(f, display=display)
        except YamlProblem as exc:
            problems.extend(exc.diagnostics)
            if exc.document is None:
                # what the file declares is unknown: references to the ids it seems to declare are not
                # reported again as unknown (nor its manifest or matrix as missing)
                broken_all |= declared_ids(f) | {"<unreadable>"}
                continue
            doc = exc.document  # only repeated keys (the first kept): check the rest of the file too
        digest.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            problems.append(Diagnostic("bad-type", "a rule file is a mapping of sections "
                                       f"({', '.join(rb.RuleFile.model_fields)}).", doc.span(())))
            continue
        model, broken = _validate_file(doc, problems)
        broken_all |= broken
        parsed.append((doc, model))
    if problems and not parsed:
        raise RuleFileError(problems)
    book = _assemble(directory, root, digest.hexdigest(), rel_names, parsed, problems, broken_all)
    if problems:
        raise RuleFileError(problems)
    assert book is not None
    book.file_root, book.display_root = root, given if given is not None else canonical_root(directory)
    return book


_ADAPTERS: dict[str, Any] = {}


def _element_type(section: str) -> Any:
    ann = rb.RuleFile.model_fields[section].annotation
    args = typing.get_args(ann)
    return args[0] if typing.get_origin(ann) is list else next(a for a in args if a is not type(None))


def _validate_file(doc: RawDocument, problems: list[Diagnostic]) -> tuple[rb.RuleFile, set[str]]:
    """Validate element by element, so one bad rule does not hide the problems of the others.

    Returns the valid part of the file and the ids of elements that failed (references to them are
    not reported again as unknown).
    """
    from pydantic import TypeAdapter

    fields = rb.RuleFile.model_fields
    parts: dict[str, Any] = {}
    broken: set[str] = set()
    for key, value in doc.data.items():
        if key not in fields:
            problems.append(Diagnostic("unknown-key", f"unknown section '{key}'{did_you_mean(str(key), fields)}. "
                                       f"{allowed(fields)}", doc.key_span((key,)), path=str(key)))
            continue
        etype = _element_type(key)
        if key not in _ADAPTERS:
            _ADAPTERS[key] = TypeAdapter(etype)
        adapter = _ADAPTERS[key]
        is_list = typing.get_origin(fields[key].annotation) is list
        if is_list:
            if value is None:
                parts[key] = []
                continue
            if not isinstance(value, list):
                problems.append(Diagnostic("bad-type", f"section '{key}' must be a list.", doc.span((key,)),
                                           path=str(key)))
                continue
            good = []
            for i, el in enumerate(value):
                obj = _element(adapter, el, doc, etype, (key, i), problems)
                if obj is None:
                    for ident in _idents(el):
                        broken |= {ident, f"{key}:{ident}"}
                    continue
                # remember where it stands in the file: invalid siblings are dropped, and every
                # later position must still point at the right element
                object.__setattr__(obj, "__pydantic_private__", {**(obj.__pydantic_private__ or {}), "_index": i})
                good.append(obj)
            parts[key] = good
        else:
            before = len(problems)
            obj = _element(adapter, value, doc, etype, (key,), problems)
            if len(problems) > before:  # failed: what it lacks now (a label dropped …) is not reported again
                broken.add(f"<{key}>")
            if obj is not None:
                parts[key] = obj
    return rb.RuleFile.model_construct(**{**{k: [] for k, f in fields.items()
                                             if typing.get_origin(f.annotation) is list},
                                          "rulebook": None, "matrix": None, **parts}), broken


def _idents(el: Any) -> list[str]:
    """The id an element that failed validation meant (``id: [S01]`` meant ``S01``)."""
    if not isinstance(el, dict):
        return []
    raw = el.get("id") if el.get("id") is not None else el.get("code")
    values = raw if isinstance(raw, list) else [raw]
    return [str(v) for v in values if isinstance(v, str | int | float) and not isinstance(v, bool)]


#: where the citations of an element are (a salvaged element may have lost some: each keeps its index)
_CITATION_LISTS: tuple[tuple[str, ...], ...] = (("citations",), ("policy", "choice_of_law"))


def _element(adapter: Any, value: Any, doc: RawDocument, etype: Any, loc: Loc, problems: list[Diagnostic]) -> Any:
    """One element validated; when it fails, its problems reported and what is valid of it kept for
    the later checks (:func:`accountrules.rules.salvage.salvage`), or None."""
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        problems.extend(pydantic_diagnostics(exc, doc, etype, loc))
        saved = salvage(adapter.validate_python, value, exc)
    if saved is None:
        return None
    obj = saved.value
    lists: list[tuple[tuple[Any, ...], Any]] = [(p, _walk(obj, p)) for p in _CITATION_LISTS]
    lists += [(("influence", ch, "citations"), inf.citations) for ch, inf in (getattr(obj, "influence", None) or {}).items()]
    for path, cits in lists:
        for j, c in enumerate(cits or []):
            orig = saved.original((*path, j))[-1]
            object.__setattr__(c, "__pydantic_private__", {**(c.__pydantic_private__ or {}), "_index": orig})
    return obj


def _walk(obj: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        obj = getattr(obj, part, None)
    return obj


def _orig(obj: Any, i: int) -> int:
    """The element's index in its file (see ``_validate_file``)."""
    priv = getattr(obj, "__pydantic_private__", None) or {}
    return int(priv.get("_index", i))


def _set_span(obj: Any, span: SourceSpan, where: tuple[RawDocument, Loc] | None = None) -> None:
    if isinstance(obj, BaseModel):
        extra = {"_span": span} if where is None else {"_span": span, "_where": where}
        object.__setattr__(obj, "__pydantic_private__", {**(obj.__pydantic_private__ or {}), **extra})


def _forget_sources(catalog: Mapping[str, Mapping[str, Any]]) -> None:
    """Drop the documents :func:`_at` reads: a validated rulebook keeps spans, not whole files
    (it is pickled into the rulebook cache and shared by every engine)."""
    for entries in catalog.values():
        for obj in entries.values():
            priv = getattr(obj, "__pydantic_private__", None)
            if priv and "_where" in priv:
                object.__setattr__(obj, "__pydantic_private__", {k: v for k, v in priv.items() if k != "_where"})


def _at(obj: Any, *sub: Any) -> SourceSpan | None:
    """Where a part of a catalogue entry is written (``_at(item, "category")``), else the entry."""
    where = (getattr(obj, "__pydantic_private__", None) or {}).get("_where")
    if where is None:
        span: SourceSpan | None = getattr(obj, "span", None)
        return span
    doc: RawDocument = where[0]
    return doc.span(where[1] + sub)


class _Ref(Protocol):
    """Reports a reference to an unknown catalogue entry (``ref("level", value, levels, span)``)."""

    def __call__(self, kind: str, value: str, choices: Mapping[str, Any], span: SourceSpan | None,
                 rule_id: str | None = None) -> None:
        """Add an ``unknown-reference`` diagnostic when ``value`` is not in ``choices``."""
        ...


@dataclass
class _Collected:
    """What the rule files define, gathered before anything is cross-checked."""

    manifest: rb.Manifest | None = None
    matrix: rb.Matrix | None = None
    matrix_doc: tuple[RawDocument, Loc] | None = None
    spans: dict[str, SourceSpan] = field(default_factory=dict)
    seen_ids: dict[str, SourceSpan] = field(default_factory=dict)
    rule_raw: list[tuple[str, RawDocument, Loc, rb.Rule]] = field(default_factory=list)
    catalog: dict[str, dict[str, Any]] = field(default_factory=lambda: {s: {} for s in rb.CATALOG_SECTIONS})
    # spans of citations, for quote checks
    cite_locs: list[tuple[RawDocument, Loc, rb.CitationSpec, str]] = field(default_factory=list)


def _collect(parsed: list[tuple[RawDocument, rb.RuleFile]], problems: list[Diagnostic]) -> _Collected:
    """Gather every file's manifest, catalogue entries, matrix and rules (duplicates reported)."""
    got = _Collected()
    for doc, model in parsed:
        if model.rulebook is not None:
            if got.manifest is not None:
                problems.append(Diagnostic("duplicate-id", "the manifest 'rulebook:' is defined twice.",
                                           doc.key_span(("rulebook",))))
            got.manifest = model.rulebook
            _set_span(got.manifest, doc.span(("rulebook",)))
            for ci, c in enumerate(got.manifest.policy.choice_of_law):
                got.cite_locs.append((doc, ("rulebook", "policy", "choice_of_law", _orig(c, ci)), c,
                                      "policy.choice_of_law"))
        _collect_catalogue(doc, model, got.catalog, got.spans, got.cite_locs, problems)
        if model.matrix is not None:
            if got.matrix is not None:
                problems.append(Diagnostic("duplicate-id", "'matrix' is defined twice.", doc.key_span(("matrix",))))
            got.matrix = model.matrix
            got.matrix_doc = (doc, ("matrix",))
            _collect_matrix(doc, model.matrix, got.spans, got.cite_locs)
        _collect_rules(doc, model, got.seen_ids, got.rule_raw, got.cite_locs, problems)
    return got


def _collect_catalogue(doc: RawDocument, model: rb.RuleFile, catalog: dict[str, dict[str, Any]],
                       spans: dict[str, SourceSpan], cite_locs: list[tuple[RawDocument, Loc, rb.CitationSpec, str]],
                       problems: list[Diagnostic]) -> None:
    for section in rb.CATALOG_SECTIONS:
        for i, obj in enumerate(getattr(model, section)):
            key = obj.code if section == "circumstances" else obj.id
            loc: Loc = (section, _orig(obj, i))
            span = doc.span(loc)
            _set_span(obj, span, (doc, loc))
            if key in catalog[section]:
                prev = spans[f"{section}.{key}"]
                problems.append(Diagnostic("duplicate-id", f"{section} '{key}' is defined twice "
                                           f"(first at {prev}).", doc.span(loc + ("code" if section ==
                                           "circumstances" else "id",))))
                for ci, c in enumerate(getattr(obj, "citations", []) or []):  # its quotes are still checked
                    cite_locs.append((doc, loc + ("citations", _orig(c, ci)), c, f"{section}.{key}"))
                continue
            catalog[section][key] = obj
            spans[f"{section}.{key}"] = span
            for ci, c in enumerate(getattr(obj, "citations", []) or []):
                cite_locs.append((doc, loc + ("citations", _orig(c, ci)), c, f"{section}.{key}"))
            if section == "ladder":
                for ch, inf in obj.influence.items():
                    for ci, c in enumerate(inf.citations):
                        cite_locs.append((doc, loc + ("influence", ch, "citations", _orig(c, ci)), c, f"ladder.{key}"))


def _collect_matrix(doc: RawDocument, matrix: rb.Matrix, spans: dict[str, SourceSpan],
                    cite_locs: list[tuple[RawDocument, Loc, rb.CitationSpec, str]]) -> None:
    _set_span(matrix, doc.span(("matrix",)))
    spans["matrix"] = doc.span(("matrix",))
    for g in matrix.cells:
        spans[f"matrix.{g}"] = doc.span(("matrix", "cells", g))
    for ci, c in enumerate(matrix.citations):
        cite_locs.append((doc, ("matrix", "citations", ci), c, "matrix"))


def _collect_rules(doc: RawDocument, model: rb.RuleFile, seen_ids: dict[str, SourceSpan],
                   rule_raw: list[tuple[str, RawDocument, Loc, rb.Rule]],
                   cite_locs: list[tuple[RawDocument, Loc, rb.CitationSpec, str]], problems: list[Diagnostic]) -> None:
    for section in rb.RULE_SECTIONS:
        for i, rule in enumerate(getattr(model, section)):
            loc = (section, _orig(rule, i))
            span = doc.span(loc)
            _set_span(rule, span)
            if rule.id in seen_ids:
                problems.append(Diagnostic("duplicate-id", f"rule id '{rule.id}' is used twice (first at "
                                           f"{seen_ids[rule.id]}).", doc.span(loc + ("id",)), rule_id=rule.id))
                # still checked (its condition, references, citations): the rulebook is refused anyway
            else:
                seen_ids[rule.id] = span
            rule_raw.append((section, doc, loc, rule))
            for ci, c in enumerate(rule.citations):
                cite_locs.append((doc, loc + ("citations", _orig(c, ci)), c, rule.id))


def _assemble(directory: Path, root: str, sha: str, files: list[str],
              parsed: list[tuple[RawDocument, rb.RuleFile]], problems: list[Diagnostic],
              broken: set[str] | None = None) -> Rulebook | None:
    broken = broken or set()
    got = _collect(parsed, problems)
    manifest, matrix, matrix_doc, catalog = got.manifest, got.matrix, got.matrix_doc, got.catalog
    # a broken manifest or matrix is reported where it is written; everything that does not depend on
    # it is still checked, so that one run reports every independent problem
    if manifest is None and not broken & {"<rulebook>", "<unreadable>"}:
        problems.append(Diagnostic("missing-key", "rulebook.yaml must define 'rulebook:' (id, version, title, "
                                   "jurisdiction, policy).", SourceSpan(f"{root}/rulebook.yaml", 1, 1)))
    if matrix is None and not broken & {"<matrix>", "<unreadable>"}:
        problems.append(Diagnostic("missing-key", "no file defines 'matrix' (grade × responsibility → level).",
                                   manifest.span if manifest else SourceSpan(f"{root}/rulebook.yaml", 1, 1)))

    instruments: dict[str, rb.Instrument] = catalog["instruments"]
    items: dict[str, rb.Item] = catalog["items"]
    cat_map: dict[str, rb.Category] = catalog["categories"]
    grades: dict[str, rb.Grade] = catalog["grades"]
    levels: dict[str, rb.Level] = catalog["ladder"]
    measures: dict[str, rb.Measure] = catalog["measures"]
    channels: dict[str, rb.Channel] = catalog["channels"]
    circs: dict[str, rb.Circumstance] = catalog["circumstances"]
    umt: dict[str, rb.UnitMeasureType] = catalog["unit_measure_types"]
    defs: dict[str, rb.Definition] = catalog["definitions"]
    resp: dict[str, rb.ResponsibilityType] = catalog["responsibilities"]
    tracks: dict[str, rb.ReviewTrack] = catalog["review_tracks"]

    def ref(kind: str, value: str, choices: Mapping[str, Any], span: SourceSpan | None, rule_id: str | None = None
            ) -> None:
        if value not in choices and value not in broken:
            problems.append(Diagnostic("unknown-reference", f"unknown {kind} '{value}'"
                                       f"{did_you_mean(value, choices)}. {allowed(choices)}", span, rule_id=rule_id))

    _check_catalogue(manifest, matrix, matrix_doc, catalog, ref, problems, broken)
    _check_texts(catalog, problems)
    _check_citations(directory, got.cite_locs, instruments, problems, broken)
    vocabs = _vocabs(items, cat_map, circs, defs)
    # conditions may name codes whose entry failed validation (already reported): not again
    lost = {b for b in broken if ":" not in b} if "<unreadable>" in broken else set()
    known = {k: tuple(sorted({*v, *lost, *(b.split(":", 1)[1] for b in broken if b.startswith(f"{k}:"))}))
             for k, v in vocabs.items()} if broken else vocabs
    resolve_citations(got.cite_locs, {r.id: sec for sec, _d, _l, r in got.rule_raw}, known, problems,
                      instruments)
    entries = _rule_entries(got.rule_raw, known, ref, broken, problems, catalog,
                            _param_versions(catalog["parameters"], problems))
    _check_cycles(entries, problems)
    effects = [e for lv in levels.values() for inf in lv.influence.values() for e in inf.effects]
    labels = _labels.collect(((doc, model.labels) for doc, model in parsed), _labels.required(effects),
                             manifest.span if manifest else None, problems,
                             complete=not broken & {"<labels>", "<unreadable>"})
    _forget_sources(catalog)
    if manifest is None or matrix is None:
        return None
    return Rulebook(
        manifest=manifest, directory=directory, display_root=root, sha256=sha, files=files,
        instruments=instruments, definitions=defs, categories=cat_map, items=items, grades=grades,
        responsibilities=resp, ladder=sorted(levels.values(), key=lambda lv: lv.rank), measures=measures,
        channels=channels, circumstances=circs, unit_measure_types=umt, review_tracks=tracks, matrix=matrix,
        rules=entries, spans=got.spans, deciding_bodies=catalog["deciding_bodies"],
        stat_thresholds=catalog["stat_thresholds"], labels=labels, parameters=catalog["parameters"],
        code_maps=_code_maps(parsed, items, circs, problems), roles=_roles(parsed, problems),
    )


def _roles(parsed: list[tuple[RawDocument, rb.RuleFile]], problems: list[Diagnostic]) -> dict[str, rb.RoleSpec]:
    """Every file's ``roles``: each a role of the case file, declared once."""
    from ..contract.models import ROLES

    out: dict[str, rb.RoleSpec] = {}
    for doc, model in parsed:
        for i, r in enumerate(model.roles):
            span = doc.span(("roles", i, "id"))
            if r.id not in ROLES:
                problems.append(Diagnostic("unknown-reference", f"unknown role '{r.id}'{did_you_mean(r.id, ROLES)}. "
                                           f"{allowed(ROLES)}", span))
            elif r.id in out:
                problems.append(Diagnostic("duplicate-id", f"role '{r.id}' is declared twice.", span))
            else:
                _set_span(r, doc.span(("roles", i)))
                out[r.id] = r
    return out


def _code_maps(parsed: list[tuple[RawDocument, rb.RuleFile]], items: Mapping[str, Any], circs: Mapping[str, Any],
               problems: list[Diagnostic]) -> list[rb.CodeMap]:
    """Every file's ``code_maps``: each counterpart is a code of this rulebook; a code is mapped once."""
    out: list[rb.CodeMap] = []
    seen: dict[tuple[str, str], SourceSpan] = {}
    for doc, model in parsed:
        for i, cm in enumerate(model.code_maps):
            out.append(cm)
            for key, own, table in (("items", items, cm.items), ("circumstances", circs, cm.circumstances)):
                for code, to in table.items():
                    loc = ("code_maps", i, key, code)
                    if to is not None and to not in own:
                        problems.append(Diagnostic("unknown-reference", f"code_maps: '{code}' is mapped to "
                                                   f"unknown {key[:-1] if key == 'items' else 'circumstance'} '{to}'"
                                                   f"{did_you_mean(to, own)}. {allowed(own)}", doc.span(loc)))
                    if (key, code) in seen:
                        problems.append(Diagnostic("duplicate-id", f"code_maps: {key} '{code}' is mapped twice "
                                                   f"(first at {seen[(key, code)]}).", doc.key_span(loc)))
                    seen.setdefault((key, code), doc.key_span(loc))
    return out




def _check_catalogue(manifest: rb.Manifest | None, matrix: rb.Matrix | None, matrix_doc: tuple[RawDocument, Loc] | None,
                     catalog: dict[str, dict[str, Any]], ref: _Ref, problems: list[Diagnostic],
                     broken: set[str]) -> None:
    """Cross-references between catalogue entries; ranks, required responsibilities and tracks; the matrix."""
    items: dict[str, rb.Item] = catalog["items"]
    cat_map: dict[str, rb.Category] = catalog["categories"]
    grades: dict[str, rb.Grade] = catalog["grades"]
    levels: dict[str, rb.Level] = catalog["ladder"]
    measures: dict[str, rb.Measure] = catalog["measures"]
    channels: dict[str, rb.Channel] = catalog["channels"]
    umt: dict[str, rb.UnitMeasureType] = catalog["unit_measure_types"]
    resp: dict[str, rb.ResponsibilityType] = catalog["responsibilities"]
    tracks: dict[str, rb.ReviewTrack] = catalog["review_tracks"]
    _check_references(items, cat_map, grades, levels, measures, channels, ref)
    _check_required(manifest, levels, resp, tracks, umt, ref, problems, broken)
    if matrix is not None:
        _check_matrix(matrix, matrix_doc, grades, levels, resp, ref, problems)
    _check_deciding_bodies(catalog["deciding_bodies"], channels, ref, problems, broken)


def _check_references(items: dict[str, rb.Item], cat_map: dict[str, rb.Category], grades: dict[str, rb.Grade],
                      levels: dict[str, rb.Level], measures: dict[str, rb.Measure], channels: dict[str, rb.Channel],
                      ref: _Ref) -> None:
    # catalogue cross-references
    from ..contract.models import ROLES

    for it in items.values():
        ref("category", it.category, cat_map, _at(it, "category"))
        ref("grade", it.base_grade, grades, _at(it, "base_grade"))
        for key in ("direct", "oversight"):
            for j, role in enumerate(getattr(it.roles, key)):
                ref("role", role, dict.fromkeys(ROLES), _at(it, "roles", key, j))
    for lv in levels.values():
        for ch, ms in lv.measures.items():
            if ch != "default":
                ref("channel", ch, channels, _at(lv, "measures", ch, "<key>"))
            for j, mid in enumerate(ms):
                ref("measure", mid, measures, _at(lv, "measures", ch, j))
        for ch in lv.influence:
            if ch != "default":
                ref("channel", ch, channels, _at(lv, "influence", ch, "<key>"))


def _check_required(manifest: rb.Manifest | None, levels: dict[str, rb.Level], resp: dict[str, rb.ResponsibilityType],
                    tracks: dict[str, rb.ReviewTrack], umt: dict[str, rb.UnitMeasureType], ref: _Ref,
                    problems: list[Diagnostic], broken: set[str]) -> None:
    ranks: dict[int, str] = {}
    for lv in levels.values():
        if lv.rank in ranks:
            problems.append(Diagnostic("duplicate-id", f"ladder rank {lv.rank} is used by '{ranks[lv.rank]}' and "
                                       f"'{lv.id}'; ranks must be unique.", lv.span))
        ranks[lv.rank] = lv.id
    where = manifest.span if manifest else None
    # a level, responsibility or track that failed validation may be the one required (not reported again)
    lost = any(b.startswith("ladder:") for b in broken) or "<unreadable>" in broken
    if 0 not in ranks and not lost:
        problems.append(Diagnostic("missing-key", "the ladder needs a level of rank 0 (no accountability).",
                                   where, path="ladder"))
    resp_lost = any(b.startswith("responsibilities:") for b in broken) or "<unreadable>" in broken
    zero = [r.id for r in resp.values() if r.rank == 0]
    if (len(zero) > 1 or not zero) and not (resp_lost and not zero):
        problems.append(Diagnostic("missing-key" if not zero else "duplicate-id", "responsibilities must define "
                                   "exactly one type of rank 0 (no responsibility)" + (
                                       f"; found {', '.join(zero)}." if zero else "."), where,
                                   path="responsibilities"))
    if not any(r.rank > 0 for r in resp.values()) and not resp_lost:
        problems.append(Diagnostic("missing-key", "responsibilities must define a type of rank above 0.", where,
                                   path="responsibilities"))
    tracks_lost = any(b.startswith("review_tracks:") for b in broken) or "<unreadable>" in broken
    if not tracks and not tracks_lost:
        problems.append(Diagnostic("missing-key", "review_tracks must define at least one track (the lowest-ranked "
                                   "is the track of a case no review rule fires for).", where, path="review_tracks"))
    elif len({t.rank for t in tracks.values()}) != len(tracks):
        problems.append(Diagnostic("duplicate-id", "review track ranks must be unique.", where, path="review_tracks"))
    for u in umt.values():
        for j, s in enumerate(u.superseded_by):
            ref("unit measure", s, umt, _at(u, "superseded_by", j))
    if manifest is not None:
        if manifest.policy.aggravation_cap is not None:
            ref("level", manifest.policy.aggravation_cap, levels, manifest.span)
        if manifest.policy.exemption_keeps is not None:
            ref("level", manifest.policy.exemption_keeps, levels, manifest.span)
    for lv in levels.values():
        if lv.aggravates_to is not None:
            ref("level", lv.aggravates_to, levels, _at(lv, "aggravates_to"))


def _check_matrix(matrix: rb.Matrix, matrix_doc: tuple[RawDocument, Loc] | None, grades: dict[str, rb.Grade],
                  levels: dict[str, rb.Level], resp: dict[str, rb.ResponsibilityType], ref: _Ref,
                  problems: list[Diagnostic]) -> None:
    liable = {r.id: r for r in resp.values() if r.rank > 0}
    if matrix_doc:
        mdoc, mloc = matrix_doc
        for g in grades:
            if g not in matrix.cells:
                problems.append(Diagnostic("missing-key", f"the matrix has no row for grade '{g}'.",
                                           mdoc.span(mloc + ("cells",))))
        for g, row in matrix.cells.items():
            ref("grade", g, grades, mdoc.key_span(mloc + ("cells", g)))
            for col in liable:
                if col not in row:
                    problems.append(Diagnostic("missing-key", f"the matrix row of grade '{g}' has no column for "
                                               f"responsibility '{col}'.", mdoc.span(mloc + ("cells", g))))
            for col, lv in row.items():
                ref("responsibility of rank above 0", col, liable, mdoc.key_span(mloc + ("cells", g, col)))
                ref("level", lv, levels, mdoc.span(mloc + ("cells", g, col)))



def _check_citations(directory: Path, cite_locs: list[tuple[RawDocument, Loc, rb.CitationSpec, str]],
                     instruments: dict[str, rb.Instrument], problems: list[Diagnostic],
                     broken: set[str]) -> None:
    """Every citation: a declared instrument, a version, and a quote that is the official text."""
    # citations
    library = LawLibrary.from_dir(directory / "law") if (directory / "law").is_dir() else None
    for doc, loc, c, owner in cite_locs:
        span = doc.span(loc)
        inst = instruments.get(c.instrument)
        if inst is None and c.instrument in broken:
            continue  # the instrument's own entry failed validation: reported there
        if inst is None:
            problems.append(Diagnostic("unknown-reference", f"unknown instrument '{c.instrument}'"
                                       f"{did_you_mean(c.instrument, instruments)}. Instruments are declared in "
                                       f"'instruments:'. {allowed(instruments)}", doc.span(loc + ("instrument",)),
                                       rule_id=owner))
            continue
        version = c.version or inst.version
        if version is None:
            problems.append(Diagnostic("missing-version", f"citation of '{inst.short}' {c.article} has no version, "
                                       "and the instrument declares none.", span, rule_id=owner))
        elif c.version and inst.version and c.version != inst.version:
            problems.append(Diagnostic("version-mismatch", f"citation says version {c.version} but instrument "
                                       f"'{inst.id}' is version {inst.version}; declare each version as its own "
                                       "instrument.", doc.span(loc + ("version",)), rule_id=owner))
        if c.quote and inst.official_text and library is not None:
            try:
                num = parse_article_ref(c.article)
            except ValueError:
                problems.append(Diagnostic("bad-article", f"cannot read the article number in '{c.article}' "
                                           "(write it as 第N条 or 第N条第M款).", doc.span(loc + ("article",)),
                                           rule_id=owner))
                continue
            text = library.article_by_file(inst.official_text, num)
            if text is None:
                problems.append(Diagnostic("unknown-article", f"{inst.short} ({version}) has no article {num} in "
                                           f"{inst.official_text}.", doc.span(loc + ("article",)), rule_id=owner))
            elif not quote_in_article(text, c.quote):
                problems.append(Diagnostic("quote-mismatch", f"the quote is not the text of {inst.short} "
                                           f"{c.article} ({version}) character for character; quote the "
                                           "official text (use …… for omissions)." + _nearest(text, num, c.quote),
                                           doc.span(loc + ("quote",)), rule_id=owner))
            elif (where := pinpoint_problem(text, c.article, c.quote)) is not None:
                problems.append(Diagnostic("quote-pinpoint", f"{inst.short} ({version}) {c.article}: {where} "
                                           "A quote must stand inside the 款, 项 or 目 it is cited as.",
                                           doc.span(loc + ("article",)), rule_id=owner))
        elif c.quote and inst.official_text and library is None:
            problems.append(Diagnostic("missing-law-text", f"instrument '{inst.id}' names official text "
                                       f"'{inst.official_text}' but the rulebook has no law/ directory.", span))
    for inst in instruments.values():
        if inst.official_text and library is not None and not library.has_file(inst.official_text):
            problems.append(Diagnostic("missing-law-text", f"official text '{inst.official_text}' not found "
                                       "under law/.", inst.span))



#: below this similarity the nearest passage is not shown as what the quote meant
NEAR_ENOUGH = 0.5


def _nearest(article_text: str, number: int, quote: str) -> str:
    """The official text nearest to a mismatched quote, differences marked (for the message)."""
    near = nearest_passage(article_text, quote)
    if near is None or near.ratio < NEAR_ENOUGH:
        start = normalize(article_text)
        return (f" No passage of {article_label(number)} is close to it; the article reads: "
                f"{start[:60]}{'…' if len(start) > 60 else ''}")
    where = provision_of_line(article_text, number, near.line)
    return (f" Nearest official text, in {where}: {near.official} — the quote has: {near.quoted} "
            f"(differences in {MARK_OPEN}{MARK_CLOSE}).")


def _rule_entries(rule_raw: list[tuple[str, RawDocument, Loc, rb.Rule]], vocabs: dict[str, tuple[str, ...]],
                  ref: _Ref, broken: set[str], problems: list[Diagnostic], catalog: dict[str, dict[str, Any]],
                  params: Mapping[str, tuple[tuple[Any, int, int], ...]] | None = None) -> list[RuleEntry]:
    """Each rule's condition parsed, its exceptions and ``then`` checked; the entries in order."""
    defs, items, levels = catalog["definitions"], catalog["items"], catalog["ladder"]
    channels, circs, umt = catalog["channels"], catalog["circumstances"], catalog["unit_measure_types"]
    # rules
    entries: list[RuleEntry] = []
    ids_by_section: dict[str, set[str]] = {}
    for section, _doc, _loc, rule in rule_raw:
        ids_by_section.setdefault(section, set()).add(rule.id)
    for order, (section, doc, loc, rule) in enumerate(rule_raw):
        stage = rb.RULE_SECTIONS[section][0]
        forbidden = frozenset({"finding.grade"}) if section == "personal_grade_modifiers" else frozenset()
        ctx = ParseContext(doc, stage, vocabs, rule.id, forbidden, params=params or {})
        cond = parse_condition(rule.when, loc + ("when",), ctx)
        problems.extend(ctx.problems)
        span = doc.span(loc)
        for j, target in enumerate(rule.exception_to):
            tspan = doc.span(loc + ("exception_to", j))
            if target == rule.id:
                problems.append(Diagnostic("self-exception", f"rule '{rule.id}' names itself in exception_to.",
                                           tspan, rule_id=rule.id))
            elif target not in ids_by_section.get(section, set()) and target not in broken:
                all_ids = [r[3].id for r in rule_raw]
                where = "" if target not in all_ids else " (it exists, but in another section; exceptions " \
                    "must be between rules of the same section)"
                problems.append(Diagnostic("dangling-exception", f"exception_to names unknown rule '{target}'"
                                           f"{where}{did_you_mean(target, ids_by_section.get(section, set()))}.",
                                           tspan, rule_id=rule.id))
        _check_placeholders(section, stage, rule, doc, loc, problems, tuple(params or {}))
        _check_then(section, rule, doc, loc, problems, ref, defs, items, levels, channels, circs, umt,
                    catalog["responsibilities"], catalog["review_tracks"])
        texts = [t.get(lang) for t in (rule.title, rule.explain) if t is not None for lang in ("zh", "en")]
        named = [n[6:] for t in texts for n in _PLACEHOLDER.findall(t) if n[6:] in (params or {}) and
                 n.startswith("param.")]
        used = tuple(dict.fromkeys([*ctx.used_params, *named]))
        cits = list(rule.citations)  # then the parameters' citations the rule does not give itself
        seen = {(c.instrument, c.article, c.version, c.quote) for c in cits}
        for name in used:
            for c in catalog["parameters"][name].citations:
                if (c.instrument, c.article, c.version, c.quote) not in seen:
                    seen.add((c.instrument, c.article, c.version, c.quote))
                    cits.append(c)
        entries.append(RuleEntry(section, stage, rule, cond, span, order, used, cits))

    return entries


def _check_deciding_bodies(bodies: Mapping[str, rb.DecidingBody], channels: Mapping[str, rb.Channel], ref: Any,
                           problems: list[Diagnostic], broken: set[str]) -> None:
    """Every channel named exists; if the rulebook names deciding bodies, every channel has one."""
    for body in bodies.values():
        for j, ch in enumerate(body.channels):
            ref("channel", ch, channels, _at(body, "channels", j))
    if not bodies or any(b.startswith("deciding_bodies:") for b in broken) or "<unreadable>" in broken:
        return  # a body that failed validation may be the one that lists the channel
    covered = {ch for body in bodies.values() for ch in body.channels}
    misspelt = covered - set(channels)  # reported above; the channel they meant is not missing again
    first = next(iter(bodies.values()))
    for ch in channels:
        if ch not in covered and not close_to(ch, misspelt):
            problems.append(Diagnostic("missing-key", f"no deciding body lists channel '{ch}'; add it to the "
                                       "'channels' of one of 'deciding_bodies' (the letter must know whom to "
                                       "address).", first.span))


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _check_placeholders(section: str, stage: str, rule: rb.Rule, doc: RawDocument, loc: Loc,
                        problems: list[Diagnostic], params: tuple[str, ...] = ()) -> None:
    """Every ``{…}`` of a rule's explain names a fact of the rule's stage (or, in a chain rule,
    ``{responsibility}``; or ``{param.ID}`` of a declared parameter), and a title has none: a placeholder
    that is not filled would be printed as it is (titles are printed as written: in the circumstances
    considered, in the docs …)."""
    from ..language.facts import FACTS

    known = [p for p, sp in FACTS.items() if stage in sp.stages]
    extra = (" or, in a chain rule, {responsibility}" if section == "chain" else "") + (
        " (or {param.ID} of a declared parameter)")
    for key, text in (("title", rule.title), ("explain", rule.explain)):
        if text is None:
            continue
        for lang in ("zh", "en"):
            for name in _PLACEHOLDER.findall(text.get(lang)):
                spec = FACTS.get(name)
                fits = ((name == "responsibility" and section == "chain") or (spec is not None and stage in spec.stages)
                        or (name.startswith("param.") and name[6:] in params))
                if fits and key == "explain":
                    continue
                where = f"'{{{name}}}' in {key}.{lang}"
                if fits:
                    why = (f"placeholder {where} is never filled: a title is printed as it is written; put the "
                           f"fact in 'explain' (the reason text, where placeholders are filled)")
                elif spec is None:
                    why = f"unknown placeholder {where}{did_you_mean(name, known)}; it would be printed as it is"
                else:
                    why = (f"placeholder {where} cannot be filled: fact '{name}' is not available at stage "
                           f"'{stage}' (only at {', '.join(sorted(spec.stages))}); it would be printed as it is")
                if key == "title" and not fits:
                    why += " (and a title is printed as it is written: facts belong in 'explain')"
                problems.append(Diagnostic("unknown-fact", f"{why}. A placeholder names a fact of the rule's stage"
                                           f"{extra}.", _inside(doc.span(loc + (key, lang)), text.get(lang),
                                                                f"{{{name}}}"), rule_id=rule.id))


def _inside(span: SourceSpan | None, value: str, part: str) -> SourceSpan | None:
    """The position of ``part`` inside a one-line text written at ``span`` — plain, or quoted without
    escapes (its length in the file tells) — else the text's own position."""
    if span is None or span.end_line != span.line or span.end_column is None or part not in value:
        return span
    width = span.end_column - span.column
    if width not in (len(value), len(value) + 2):
        return span  # escapes or folding: the offset in the file is not the offset in the value
    column = span.column + (width - len(value)) // 2 + value.index(part)
    return SourceSpan(span.file, span.line, column, span.line, column + len(part))


def _check_texts(catalog: Mapping[str, Mapping[str, Any]], problems: list[Diagnostic]) -> None:
    """Catalogue texts (names, titles …) are printed as written: a ``{…}`` in one would be printed as it is."""
    for section in rb.CATALOG_SECTIONS:
        for obj in catalog.get(section, {}).values():
            for key in type(obj).model_fields:
                text = getattr(obj, key, None)
                if not isinstance(text, rb.Text):
                    continue
                for lang in ("zh", "en"):
                    for name in _PLACEHOLDER.findall(text.get(lang)):
                        problems.append(Diagnostic(
                            "unknown-fact", f"placeholder '{{{name}}}' in {key}.{lang} is never filled: only a "
                            "rule's 'explain' has its placeholders filled; this text is printed as it is written.",
                            _inside(_at(obj, key, lang), text.get(lang), f"{{{name}}}")))


def _check_then(section: str, rule: rb.Rule, doc: RawDocument, loc: Loc, problems: list[Diagnostic],  # noqa: C901 - one branch per rule section, read as a table
                ref: Any, defs: Mapping[str, Any], items: Mapping[str, Any], levels: Mapping[str, Any],
                channels: Mapping[str, Any], circs: Mapping[str, rb.Circumstance], umt: Mapping[str, Any],
                resp: Mapping[str, Any] | None = None, tracks: Mapping[str, Any] | None = None) -> None:
    then = rule.then  # type: ignore[attr-defined]  # every concrete rule class has one
    tl = loc + ("then",)
    rid = rule.id
    if isinstance(rule, rb.StatusRule):
        if then.definition is not None:
            ref("definition", then.definition, defs, doc.span(tl + ("definition",)), rid)
        if then.status == "error_case" and then.definition is None:
            problems.append(Diagnostic("missing-key", "an error_case status rule must name its definition "
                                       "(T1…).", doc.span(tl), rule_id=rid))
    elif isinstance(rule, rb.GroundRule):
        for i, it in enumerate(then.items):
            ref("item", it, items, doc.span(tl + ("items", i)), rid)
        if then.default not in then.items:
            problems.append(Diagnostic("bad-value", f"default '{then.default}' must be one of items "
                                       f"{then.items}.", doc.span(tl + ("default",)), rule_id=rid))
    elif isinstance(rule, rb.EffectRule | rb.ExemptionRule):
        c = circs.get(then.code)
        if c is None:
            ref("circumstance", then.code, circs, doc.span(tl + ("code",)), rid)
        else:
            want = "exempting" if isinstance(rule, rb.ExemptionRule) else (
                "aggravating" if then.effect in ("heavier", "aggravate") else "mitigating")
            if c.kind != want:
                problems.append(Diagnostic("bad-value", f"circumstance {then.code} is {c.kind}; this rule needs "
                                           f"a {want} one.", doc.span(tl + ("code",)), rule_id=rid))
    elif isinstance(rule, rb.BlockRule):
        if isinstance(then.blocks, list):
            for i, code in enumerate(then.blocks):
                ref("circumstance", code, circs, doc.span(tl + ("blocks", i)), rid)
    elif isinstance(rule, rb.LevelRule):
        if then.min_level is None and then.max_level is None:
            problems.append(Diagnostic("missing-key", "a level rule needs min_level or max_level.",
                                       doc.span(tl), rule_id=rid))
        for k in ("min_level", "max_level"):
            v = getattr(then, k)
            if v is not None:
                ref("level", v, levels, doc.span(tl + (k,)), rid)
    elif isinstance(rule, rb.ChannelRule):
        ref("channel", then.channel, channels, doc.span(tl + ("channel",)), rid)
    elif isinstance(rule, rb.ChainRule) and resp is not None:
        ref("responsibility", then.responsibility, resp, doc.span(tl + ("responsibility",)), rid)
    elif isinstance(rule, rb.ReviewRule) and tracks is not None:
        ref("review track", then.track, tracks, doc.span(tl + ("track",)), rid)
    elif isinstance(rule, rb.UnitRule):
        for i, mid in enumerate(then.measures):
            ref("unit measure", mid, umt, doc.span(tl + ("measures", i)), rid)


def _check_cycles(entries: Iterable[RuleEntry], problems: list[Diagnostic]) -> None:
    graph = {e.id: list(e.rule.exception_to) for e in entries}
    spans = {e.id: e.span for e in entries}
    state: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for m in graph.get(n, []):
            if m not in graph:
                continue
            if state.get(m) == 1:
                cyc = stack[stack.index(m):] + [m] if m in stack else [n, m]
                problems.append(Diagnostic("exception-cycle", "exception_to forms a cycle: "
                                           + " → ".join(cyc) + ".", spans[n], rule_id=n))
            elif state.get(m) is None:
                visit(m, stack + [m])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
