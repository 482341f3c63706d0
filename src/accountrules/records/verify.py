"""Verify a decision record: recompute it under its own stored rulebook and compare, field by field.

Checks, in order: the record's digest (and HMAC seal, given the key); the input against its digest
(unmasked records); the stored rulebook snapshot (present, files digest as recorded, loads, sha256
as recorded); the engine version; then the recomputation of the output from the stored input under
that rulebook and backend and with the record's own date of evaluation (``as_of``; none: the
case's ``decided_on``, as when it was given), compared with the stored output — every differing
field is named.
"""

from __future__ import annotations

import datetime as _dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .._version import __version__
from ..errors import AccountRulesError
from ..output.render import to_json
from .store import DecisionRecord, RecordStore, canonical, sha256

MAX_DIFFERENCES = 50


@dataclass(frozen=True)
class Difference:
    """One thing that does not match: what (``output``, ``input``, ``rulebook-snapshot`` …), where
    (a field path for the output), the recorded and the recomputed value."""

    what: str
    path: str
    recorded: Any
    recomputed: Any

    def format(self) -> str:
        """One line of text."""
        where = f" {self.path}" if self.path else ""
        return f"{self.what}{where}: recorded {_short(self.recorded)}, recomputed {_short(self.recomputed)}"


@dataclass
class Verification:
    """The verdict on one record."""

    decision_id: str
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    as_of: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {"decision_id": self.decision_id, "verdict": "match" if self.ok else "mismatch",
                "as_of": self.as_of, "differences": [d.__dict__ for d in self.differences], "notes": self.notes}

    def format(self) -> str:
        """Text for the terminal."""
        when = f" (as of {self.as_of})" if self.as_of is not None else ""
        head = f"{self.decision_id}: {'match' if self.ok else 'MISMATCH'}{when}"
        lines = [head] + [f"  differs: {d.format()}" for d in self.differences] + [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _short(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
    return s if len(s) <= 80 else s[:77] + "…"


def json_differences(a: Any, b: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Every leaf where two JSON values differ, as (path, a, b) — paths like ``persons[0].level``."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{k}" if path else str(k)
            if k not in a or k not in b:
                out.append((sub, a.get(k, "<absent>"), b.get(k, "<absent>")))
            else:
                out += json_differences(a[k], b[k], sub)
        return out
    if isinstance(a, list) and isinstance(b, list):
        out = []
        for i in range(max(len(a), len(b))):
            sub = f"{path}[{i}]"
            if i >= len(a) or i >= len(b):
                out.append((sub, a[i] if i < len(a) else "<absent>", b[i] if i < len(b) else "<absent>"))
            else:
                out += json_differences(a[i], b[i], sub)
        return out
    return [] if a == b and type(a) is type(b) else [(path, a, b)]


def _as_of(rec: DecisionRecord, v: Verification) -> _dt.date | None | Literal[False]:
    """The record's date of evaluation; False (and a difference) when it is not a date."""
    if rec.as_of is None:
        return None
    try:
        if len(rec.as_of) != 10:
            raise ValueError
        return _dt.date.fromisoformat(rec.as_of)
    except (TypeError, ValueError):
        v.differences.append(Difference("as_of", "", rec.as_of, "not a date YYYY-MM-DD: cannot recompute"))
        return False


class Verifier:
    """Verifies records of one store, compiling each stored rulebook once."""

    def __init__(self, store: RecordStore | None, *, key: bytes | None = None) -> None:
        self.store = store
        self.key = key
        self._engines: dict[tuple[str, str], Any] = {}
        self._dirs: list[str] = []

    def close(self) -> None:
        """Remove the rulebooks written out for recomputation."""
        import shutil

        for d in self._dirs:
            shutil.rmtree(d, ignore_errors=True)
        self._dirs.clear()

    def verify(self, rec: DecisionRecord) -> Verification:
        """Check one record."""
        v = Verification(rec.decision_id, as_of=rec.as_of)
        self._integrity(rec, v)
        diffs = v.differences
        masked = json.loads(rec.masked)
        try:
            data = json.loads(rec.input_json)
        except ValueError as exc:
            diffs.append(Difference("input", "", "JSON", f"unreadable: {exc}"))
            return v
        if not masked and sha256(canonical(data)) != rec.input_digest:
            diffs.append(Difference("input", "", rec.input_digest, sha256(canonical(data))))
        elif masked:
            v.notes.append(f"masked fields ({', '.join(masked)}): the input digest is of the unmasked input and "
                           "cannot be checked here.")
        if rec.engine_version != __version__:
            v.notes.append(f"recorded under engine {rec.engine_version}, recomputed under {__version__}.")
        day = _as_of(rec, v)
        engine = self._engine(rec, v)
        if engine is None or day is False:
            return v
        try:
            recomputed = to_json(engine.evaluate(data, lang=rec.lang, detail=rec.detail, as_of=day))
        except AccountRulesError as exc:
            diffs.append(Difference("output", "", "a recommendation", f"no longer evaluates: {exc}"))
            return v
        if recomputed != rec.output_json:
            try:
                pairs = json_differences(json.loads(rec.output_json), json.loads(recomputed))
            except ValueError:
                pairs = [("", rec.output_json[:60], recomputed[:60])]
            diffs += [Difference("output", p, a, b) for p, a, b in pairs[:MAX_DIFFERENCES]]
            if not pairs:
                diffs.append(Difference("output", "", "the recorded text", "the same data written differently"))
        if not masked and sha256(rec.output_json) != rec.output_digest:
            diffs.append(Difference("output-digest", "", rec.output_digest, sha256(rec.output_json)))
        return v

    def _integrity(self, rec: DecisionRecord, v: Verification) -> None:
        """The record's digest, and its seal when the key is known."""
        diffs = v.differences
        if rec.computed_digest() != rec.record_digest:
            diffs.append(Difference("record-digest", "", rec.record_digest, rec.computed_digest()))
        if self.key is not None:
            if rec.seal is None:
                diffs.append(Difference("seal", "", None, "a seal (the record was written without a key)"))
            elif rec.computed_seal(self.key) != rec.seal:
                diffs.append(Difference("seal", "", rec.seal, rec.computed_seal(self.key)))
        elif rec.seal is not None:
            v.notes.append("the record is sealed; give the key (ACCOUNTRULES_RECORDS_KEY) to check the seal.")

    def _engine(self, rec: DecisionRecord, v: Verification) -> Any:
        from ..engine import Engine
        from ..rules import load_rulebook

        cache_key = (rec.rulebook_sha256, rec.backend)
        if cache_key in self._engines:
            return self._engines[cache_key]
        snap = self.store.snapshot(rec.rulebook_sha256) if self.store is not None else None
        if snap is None:
            v.differences.append(Difference("rulebook-snapshot", "", rec.rulebook_sha256, "not in the database"))
            return None
        if snap.computed_files_digest() != rec.files_digest:
            v.differences.append(Difference("rulebook-snapshot", "files", rec.files_digest,
                                            snap.computed_files_digest()))
            return None
        tmp = tempfile.mkdtemp(prefix="accountrules-snapshot-")
        self._dirs.append(tmp)
        try:
            book = load_rulebook(snap.materialize(Path(tmp)), display_root=snap.display_root)
        except AccountRulesError as exc:
            v.differences.append(Difference("rulebook-snapshot", "", "a rulebook that loads", str(exc)[:200]))
            return None
        if book.sha256 != rec.rulebook_sha256:
            v.differences.append(Difference("rulebook-snapshot", "sha256", rec.rulebook_sha256, book.sha256))
            return None
        engine = Engine(book, backend=rec.backend)  # type: ignore[arg-type]
        self._engines[cache_key] = engine
        return engine
