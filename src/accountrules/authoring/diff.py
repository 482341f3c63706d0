"""``accountrules diff OLD NEW --cases …``: replay cases under two rulebooks and report every
changed outcome, with the reasons (rule ids and citations) on both sides.

Cases come from directories (every ``*.cases.yaml``, ``*.jsonl`` and plain case file ``*.yaml`` /
``*.yml`` / ``*.json`` below them, except a rulebook's rule files), cases files (``*.cases.yaml``:
each case's data merged over ``base``), single case files (``*.yaml`` / ``*.json``) and JSON Lines
batches (``*.jsonl``, one case per line). A directory without any case is an error (``no-cases``);
a case that cannot be read is listed as not read. Both rulebooks are
evaluated with the python backend (the reference semantics).

What is compared, per case: whether it is rejected (and with which code), the error-case status
and definition, the situations (items), each person's level, rank, responsibility, exemption and
referral, the unit measures and the review track.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract.models import Case, Reason, Recommendation
from ..diagnostics import Diagnostic
from ..errors import AccountRulesError, RuleFileError

PERSON_FIELDS = ("level", "rank", "responsibility", "exemption", "referral")
_BLANK: dict[str, Any] = {"status": None, "definition": None, "situations": [], "persons": {}, "unit_measures": [],
                          "review": None}


@dataclass
class ReplayCase:
    """One case to replay: where it comes from and its data (or why it could not be read)."""

    label: str
    data: Mapping[str, Any] | Case | None
    problem: AccountRulesError | None = None


@dataclass
class Change:
    """One field whose value differs between the rulebooks."""

    field: str
    old: Any
    new: Any


@dataclass
class CaseDiff:
    """A case whose outcome changed, with the reasons on both sides."""

    label: str
    changes: list[Change]
    old_reasons: dict[str, list[str]] = field(default_factory=dict)
    new_reasons: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"case": self.label, "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in self.changes],
                "reasons": {"old": self.old_reasons, "new": self.new_reasons}}


# --------------------------------------------------------------------------- collecting cases


#: what a ``--cases`` directory may hold (the message of ``no-cases``)
CASE_FORMATS = ("A --cases directory holds rule cases (*.cases.yaml, docs/cases-format.md), JSON Lines batches "
                "(*.jsonl, one case per line) and case files (*.yaml, *.yml, *.json: one case each, "
                "docs/contract.md), in any subdirectory; the rule files of a rulebook directory (one with a "
                "rulebook.yaml) are not cases.")
_PLAIN = (".yaml", ".yml", ".json")


def case_files_in(directory: Path) -> list[Path]:
    """The case sources below ``directory``, sorted: rule cases, JSON Lines batches, and plain case
    files — except the rule files of a rulebook (a directory with a ``rulebook.yaml``, or below one)
    and anything in a hidden directory."""
    out = []
    for x in sorted(directory.rglob("*")):
        rel = x.relative_to(directory)
        if not x.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        rule_cases = x.name.endswith(".cases.yaml") or x.suffix == ".jsonl"
        if rule_cases or (x.suffix in _PLAIN and not _in_rulebook(x.parent, directory)):
            out.append(x)
    return out


def _in_rulebook(folder: Path, root: Path) -> bool:
    """Whether ``folder`` (at or below ``root``) is a rulebook directory or inside one."""
    while True:
        if (folder / "rulebook.yaml").is_file():
            return True
        if folder == root or folder == folder.parent:
            return False
        folder = folder.parent


def iter_replay_cases(sources: Sequence[str | Path]) -> Iterator[ReplayCase]:
    """Every case of the given directories and files, in order (directories sorted).

    Raises:
        RuleFileError: a source does not exist or a cases file is malformed.
    """
    from ..contract.intake import iter_jsonl, read_case_file
    from ..errors import InvalidCase
    from .casefile import load_cases

    for src in sources:
        p = Path(src)
        if p.is_dir():
            files = case_files_in(p)
            if not files:
                raise RuleFileError([Diagnostic("no-cases", f"'{src}' holds no cases. {CASE_FORMATS}", path=str(src))])
        elif p.is_file():
            files = [p]
        else:
            raise RuleFileError([Diagnostic("file-not-found", f"no such file or directory: '{src}'.", path=str(src))])
        for f in files:
            if f.name.endswith(".cases.yaml"):
                for c in load_cases(f):
                    yield ReplayCase(f"{c.span.file}:{c.span.line} {c.name}", c.data)
            elif f.suffix == ".jsonl":
                for n, item in iter_jsonl(f):
                    label = f"{f}:{n}"
                    if isinstance(item, Case):
                        yield ReplayCase(f"{label} {item.case.id}", item)
                    else:
                        yield ReplayCase(label, None, item)
            else:
                try:
                    case = read_case_file(f)
                except InvalidCase as exc:
                    yield ReplayCase(str(f), None, exc)
                    continue
                yield ReplayCase(f"{f} {case.case.id}", case)


# --------------------------------------------------------------------------- comparing


def summarize(rec: Recommendation | None, error: AccountRulesError | None) -> dict[str, Any]:
    """The compared projection of one evaluation."""
    if rec is None:
        code = error.diagnostics[0].code if error is not None and error.diagnostics else "error"
        return {"error": code}
    return {
        "error": None,
        "status": rec.error_case.status,
        "definition": rec.error_case.definition,
        "situations": [s.item for s in rec.situations],
        "persons": {p.id: {"level": p.level, "rank": p.rank, "responsibility": p.responsibility,
                           "exemption": p.exemption.code if p.exemption else None, "referral": p.referral}
                    for p in rec.persons},
        "unit_measures": [u.measure for u in rec.unit_measures],
        "review": rec.review.track,
    }


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Field-by-field differences of two summaries (``persons.p1.level`` …)."""
    out: list[Change] = []
    if old.get("error") is not None or new.get("error") is not None:
        if old.get("error") != new.get("error"):
            out.append(Change("error", old.get("error"), new.get("error")))
        if old.get("error") is not None and new.get("error") is not None:
            return out
        # one side was rejected: show everything the other side concluded
        old, new = ({**_BLANK, **old}, {**_BLANK, **new})
    for k in ("status", "definition", "situations"):
        if old[k] != new[k]:
            out.append(Change(k, old[k], new[k]))
    for pid in list(old["persons"]) + [p for p in new["persons"] if p not in old["persons"]]:
        a, b = old["persons"].get(pid), new["persons"].get(pid)
        if a is None or b is None:
            out.append(Change(f"persons.{pid}", a, b))
            continue
        for f in PERSON_FIELDS:
            if a[f] != b[f]:
                out.append(Change(f"persons.{pid}.{f}", a[f], b[f]))
    for k in ("unit_measures", "review"):
        if old[k] != new[k]:
            out.append(Change(k, old[k], new[k]))
    return out


def format_reason(r: Reason) -> str:
    """``rule-id — 行政处罚法 第四十四条 (2021-01-22) [rules/x.yaml:12]``."""
    cits = [r.citation, *r.citations]
    shown = "; ".join(f"{c.instrument} {c.article} ({c.version})" for c in cits)
    return f"{r.rule} — {shown} [{r.source}]"


def reasons_for(rec: Recommendation | None, error: AccountRulesError | None, changes: Sequence[Change]
                ) -> dict[str, list[str]]:
    """The reasons behind each changed part of one side (keyed ``error_case``, ``persons.p1`` …)."""
    if rec is None:
        return {"error": [d.format() for d in (error.diagnostics if error else [])]}
    out: dict[str, list[str]] = {}
    persons = {p.id: p for p in rec.persons}
    for c in changes:
        top = c.field.split(".")
        if top[0] in ("status", "definition", "error"):
            out["error_case"] = [format_reason(r) for r in rec.error_case.reasons]
        elif top[0] == "situations":
            for s in rec.situations:
                out[f"situations.{s.item}"] = [format_reason(r) for r in s.reasons]
        elif top[0] == "persons" and len(top) > 1 and top[1] in persons:
            out[f"persons.{top[1]}"] = [format_reason(r) for r in persons[top[1]].reasons]
        elif top[0] == "unit_measures":
            for u in rec.unit_measures:
                out[f"unit_measures.{u.measure}"] = [format_reason(r) for r in u.reasons]
        elif top[0] == "review":
            out["review"] = [format_reason(r) for r in rec.review.reasons]
    return out


def _evaluate(engine: Any, case: ReplayCase, lang: str) -> tuple[Recommendation | None, AccountRulesError | None]:
    if case.problem is not None or case.data is None:
        return None, case.problem
    try:
        return engine.evaluate(case.data, lang=lang), None
    except AccountRulesError as exc:
        return None, exc


def replay(old_engine: Any, new_engine: Any, cases: Sequence[ReplayCase], lang: str = "zh") -> list[CaseDiff]:
    """Evaluate each case under both engines; the cases whose compared outcome changed."""
    out: list[CaseDiff] = []
    for c in cases:
        ra, ea = _evaluate(old_engine, c, lang)
        rb_, eb = _evaluate(new_engine, c, lang)
        changes = compare(summarize(ra, ea), summarize(rb_, eb))
        if changes:
            out.append(CaseDiff(c.label, changes, reasons_for(ra, ea, changes), reasons_for(rb_, eb, changes)))
    return out


def _show(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def unreadable(cases: Sequence[ReplayCase]) -> list[ReplayCase]:
    """The cases that could not be read (an invalid case file or JSON Lines line): neither side evaluates them."""
    return [c for c in cases if c.problem is not None or c.data is None]


def format_diff_text(diffs: Sequence[CaseDiff], total: int, not_read: Sequence[ReplayCase] = ()) -> str:
    """Every changed case: the changed fields, then the reasons on both sides; then the cases not read."""
    lines: list[str] = []
    for d in diffs:
        lines.append(f"CHANGED {d.label}")
        lines += [f"  {c.field}: {_show(c.old)} -> {_show(c.new)}" for c in d.changes]
        for side, reasons in (("old", d.old_reasons), ("new", d.new_reasons)):
            for part, rs in reasons.items():
                lines.append(f"  {side} reasons ({part}):")
                lines += [f"    - {r}" for r in rs] or ["    (none)"]
        lines.append("")
    for c in not_read:
        lines.append(f"NOT READ {c.label}")
        lines += [f"  {d.format()}" for d in (c.problem.diagnostics if c.problem else [])]
        lines.append("")
    lines.append(f"{total} cases, {len(diffs)} changed" + (f", {len(not_read)} not read" if not_read else ""))
    return "\n".join(lines)
