"""Loading a rulebook for lint, and rendering the findings (text, JSON, GitHub annotations)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ...diagnostics import Diagnostic, format_github, format_json, format_text
from ...errors import RuleFileError
from ...rules import schema as rb
from ...rules.validate import Rulebook
from .base import DEFERRED_CODES


def load_for_lint(path: str | Path | None = None) -> tuple[Rulebook | None, list[Diagnostic]]:
    """Load a rulebook for linting.

    A rulebook whose only validation problems are ones lint reports itself
    (:data:`DEFERRED_CODES`, e.g. ``missing-version``) is still assembled and analysed.

    Returns:
        The rulebook (``None`` when it cannot be assembled) and the validation problems.
    """
    from ...contract.yaml_source import YamlProblem, load_file
    from ...rules import validate as v

    try:
        return v.load_rulebook(path), []
    except RuleFileError as exc:
        problems = exc.diagnostics
    if not problems or any(d.code not in DEFERRED_CODES for d in problems):
        return None, problems
    # the same steps as load_rulebook, keeping the book despite the deferred problems
    directory = Path(path) if path is not None else v.default_rulebook_dir()
    root = str(path).rstrip("/") if path is not None else "rules"
    parsed: list[Any] = []
    digest = hashlib.sha256()
    names: list[str] = []
    found: list[Diagnostic] = []
    for f in v._rule_files(directory):
        rel = f.relative_to(directory).as_posix()
        names.append(rel)
        try:
            doc = load_file(f, display=f"{root}/{rel}")
        except YamlProblem:  # pragma: no cover - load_rulebook reported no such problem
            return None, problems
        digest.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
        if isinstance(doc.data, dict):
            try:
                parsed.append((doc, rb.RuleFile.model_validate(doc.data)))
            except ValidationError:  # pragma: no cover - idem
                return None, problems
    book = v._assemble(directory, root, digest.hexdigest(), names, parsed, found)
    if book is None or any(d.code not in DEFERRED_CODES for d in found):  # pragma: no cover
        return None, problems
    return book, problems


def split(diags: Sequence[Diagnostic]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(errors, warnings)."""
    return [d for d in diags if d.severity == "error"], [d for d in diags if d.severity != "error"]


def render(diags: Sequence[Diagnostic], fmt: str) -> str:
    """Findings as text (errors, then warnings apart), JSON or GitHub annotations."""
    errors, warnings = split(diags)
    if fmt == "json":
        import json

        return json.dumps({"errors": json.loads(format_json(errors)), "warnings": json.loads(format_json(warnings)),
                           "summary": {"errors": len(errors), "warnings": len(warnings)}},
                          ensure_ascii=False, indent=2)
    if fmt == "github":
        return format_github(list(errors) + list(warnings))
    parts = []
    if errors:
        parts.append(f"errors ({len(errors)}):\n{format_text(errors)}")
    if warnings:
        parts.append(f"warnings ({len(warnings)}):\n{format_text(warnings)}")
    parts.append(f"{len(errors)} error(s), {len(warnings)} warning(s)")
    return "\n\n".join(parts)
