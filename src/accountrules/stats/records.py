"""The decision-record database as a corpus: what ``accountrules evaluate --record``, ``accountrules serve
--records`` and the API wrote (:mod:`accountrules.records`), SQLite or PostgreSQL.

Each record holds the case as evaluated (``input_json``) and the recommendation made for it
(``output_json``); both are read back and checked against the contract, not re-evaluated — the
statistics count what was decided. Which records count:

* only records of the rulebook in use (same ``rulebook_id``, any version): another rulebook's codes
  and thresholds do not mix with this one's; the others are skipped and counted in a note;
* a case evaluated more than once (the same ``case_id``) counts once, with its latest record
  (``recorded_at``, then ``decision_id``); how many earlier records were set aside is noted.

A masked field stays masked: if the mask covers ``case.agency.name``, agencies appear as digests and
the caseload's agency names do not match them (docs/statistics.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Diagnostic
from ..engine import Engine
from ..errors import InvalidCase
from .sources import StatInput, paired_input

_NOTES = {
    "zh": {"read": "{where}：规则集 {book} 的决策记录{total}条，计{cases}个案件", "versions": "（版本 {versions}）",
           "earlier": "；同一案件重新评估前的较早记录{n}条未计入", "other": "{where}：其他规则集（{book}）的记录{n}条未计入"},
    "en": {"read": "{where}: {cases} cases from {total} decision records of rulebook {book}",
           "versions": " (versions {versions})", "earlier": "; {n} earlier records of re-evaluated cases not counted",
           "other": "{where}: {n} records of another rulebook ({book}) not counted"},
}

#: URL schemes of the decision-record database (what :func:`accountrules.records.store.database_url` takes)
SCHEMES = ("sqlite", "postgresql", "postgres", "postgresql+psycopg")


def display_url(target: str) -> str:
    """The database as it may be printed: a path as given, a URL without its password."""
    if "://" not in target:
        return target
    try:
        from sqlalchemy.engine import make_url

        return str(make_url(target).render_as_string(hide_password=True))
    except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot parse is reported by the store itself
        return target.split("://", 1)[0] + "://…"


@dataclass
class DecisionRecords:
    """A decision-record database (a SQLite file path or a database URL) as a statistics corpus."""

    target: str
    lang: str = "zh"
    notes: list[str] = field(default_factory=list, compare=False)

    def _fail(self, message: str, code: str = "bad-value") -> InvalidCase:
        return InvalidCase([Diagnostic(code, message, path=display_url(self.target))])

    def _rows(self) -> Iterator[Any]:
        """Every record, oldest first, streamed (any database error becomes one clear problem)."""
        try:
            from ..records.store import RecordStore
        except ImportError:
            raise self._fail("reading decision records needs SQLAlchemy: pip install 'accountrules[records]'.",
                             "missing-dependency") from None
        if "://" not in self.target and not os.path.isfile(self.target):
            raise self._fail("no records database at this path (a SQLite file written by evaluate --record or "
                             "serve --records).", "file-not-found")
        store = RecordStore(self.target)
        try:
            yield from store.records()
        except Exception as exc:  # noqa: BLE001 - any driver error becomes one clear line, never a traceback
            first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise self._fail(f"cannot read decision records: {first}. Give a records database written by "
                             "evaluate --record or serve --records.") from None
        finally:
            store.close()

    def inputs(self, engine: Engine) -> Iterator[StatInput]:
        """The latest record of each case made with the rulebook in use, in case-id order."""
        book_id = engine.rulebook.manifest.id
        where = display_url(self.target)
        latest: dict[str, Any] = {}
        other: dict[str, int] = {}
        total = 0
        for rec in self._rows():  # oldest first: a later record of the same case replaces an earlier one
            # (only the latest of each case is kept in memory)
            if rec.rulebook_id != book_id:
                other[rec.rulebook_id] = other.get(rec.rulebook_id, 0) + 1
                continue
            total += 1
            latest[rec.case_id] = rec
        versions = ", ".join(sorted({r.rulebook_version for r in latest.values()}))
        t = _NOTES[self.lang]
        self.notes.append(t["read"].format(where=where, cases=len(latest), total=total, book=book_id)
                          + (t["versions"].format(versions=versions) if versions else "")
                          + (t["earlier"].format(n=total - len(latest)) if total > len(latest) else ""))
        for rid, n in sorted(other.items()):
            self.notes.append(t["other"].format(where=where, n=n, book=rid))
        for case_id in sorted(latest):
            rec = latest[case_id]
            origin = f"{where}#{rec.decision_id}"
            try:
                case_data, rec_data = json.loads(rec.input_json), json.loads(rec.output_json)
            except ValueError as exc:
                raise InvalidCase([Diagnostic("json-syntax", f"decision {rec.decision_id}: {exc}.",
                                              path=origin)]) from None
            yield paired_input(case_data, rec_data, origin)
