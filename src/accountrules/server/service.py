"""What the routes call: one rulebook, one engine, the optional decision records, per process."""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..contract.intake import read_case_text
from ..contract.models import Case
from ..engine import Engine
from ..errors import EvaluationError, InputTooLarge, InvalidCase, RuleConflict
from ..output.render import to_json, to_jsonl
from ..rules import Rulebook, load_rulebook
from .problems import Problem, item_of, problem
from .settings import Settings

if TYPE_CHECKING:
    from ..records import RecordStore

_SYNTAX_CODES = {"yaml-syntax", "bad-encoding", "json-syntax", "not-utf8"}


class Refused(Exception):
    """A request that gets a problem response."""

    def __init__(self, p: Problem) -> None:
        super().__init__(p.detail)
        self.problem = p


@dataclass
class Service:
    """The per-process state of the server."""

    settings: Settings
    book: Rulebook
    engine: Engine
    records: RecordStore | None

    @classmethod
    def start(cls, settings: Settings) -> Service:
        """Load the rulebook, build the engine, open the records database when configured."""
        book = load_rulebook(settings.rules) if settings.rules else load_rulebook()
        engine = Engine(book, backend=settings.backend)
        records = None
        if settings.records_db:
            from ..records import Mask, RecordStore

            mask = Mask.from_file(settings.records_mask, settings.records_salt) if settings.records_mask else None
            records = RecordStore(settings.records_db, mask=mask,
                                  key=settings.records_key.encode() if settings.records_key else None)
            records.create_schema()
        return cls(settings, book, engine, records)

    # ----------------------------------------------------------------- evaluation

    def parse(self, body: bytes, name: str, *, instance: str, request_id: str | None, line: int | None = None
              ) -> Case:
        """A request body → a case, with the CLI's strict reader (limits, duplicate keys …).

        Raises:
            Refused: 400 for text that does not parse, 413 over the limit, 422 for an invalid case.
        """
        try:
            return read_case_text(body, name, max_bytes=self.settings.max_body_bytes)
        except EvaluationError as exc:
            raise Refused(self.problem_of(exc, body, instance=instance, request_id=request_id, line=line)) from None

    def problem_of(self, exc: EvaluationError, body: bytes | None, *, instance: str, request_id: str | None,
                   line: int | None = None) -> Problem:
        """The problem response for an evaluation error."""
        text = body.decode("utf-8", "replace") if body is not None else None
        items = [item_of(d, text, line=line) for d in exc.diagnostics]
        codes = {d.code for d in exc.diagnostics}
        n = len(items)
        what = f"{n} problem{'s' if n != 1 else ''}"
        if isinstance(exc, InputTooLarge) and "file-too-large" in codes:
            return problem("body-too-large", f"The body is over the limit of {self.settings.max_body_bytes} bytes.",
                           instance=instance, request_id=request_id, errors=items)
        if isinstance(exc, InputTooLarge):
            return problem("input-too-large", f"The case is too complex: {what}.", instance=instance,
                           request_id=request_id, errors=items)
        if codes & _SYNTAX_CODES:
            return problem("unparseable-body", f"The body does not parse: {what}.", instance=instance,
                           request_id=request_id, errors=items)
        if isinstance(exc, InvalidCase):
            return problem("invalid-case", f"The case is not valid: {what}.", instance=instance,
                           request_id=request_id, errors=items)
        if isinstance(exc, RuleConflict):
            return problem("rule-conflict", f"The rulebook gives conflicting outcomes: {what}.", instance=instance,
                           request_id=request_id, errors=items)
        return problem("evaluation-failed", f"Evaluation failed: {what}.", instance=instance,
                       request_id=request_id, errors=items)

    def evaluate(self, case: Case, lang: str, detail: str, *, compact: bool = False, as_of: _dt.date | None = None,
                 instance: str = "", request_id: str | None = None) -> tuple[str, str | None]:
        """Evaluate and record: the JSON text (as the CLI prints it) and the decision id, if recorded.

        ``as_of`` is the date of evaluation (None: the case's ``decided_on``); the record keeps it.

        Raises:
            Refused: 503 when decisions are recorded and this one could not be (no decision is
                given without its record).
        """
        rec = self.engine.evaluate(case, lang=lang, detail=detail, as_of=as_of)
        text = to_jsonl(rec) if compact else to_json(rec)
        decision_id = None
        if self.records is not None:
            full = text if not compact else to_json(rec)
            try:
                decision_id = self.records.record(case, full, self.engine, lang=lang, detail=detail,
                                                  as_of=as_of).decision_id
            except EvaluationError:
                raise
            except Exception as exc:  # noqa: BLE001 - any database failure: the decision is not given
                raise Refused(problem("records-unavailable", f"the records database failed: {type(exc).__name__}.",
                                      instance=instance, request_id=request_id)) from None
        return text, decision_id

    def traced(self, case: Case, lang: str, detail: str, mode: str, *, as_of: _dt.date | None = None) -> str:
        """The recommendation with its rule trace, as one JSON object."""
        from ..explanation.trace import EventKind

        rec, trace = self.engine.evaluate_traced(case, lang=lang, detail=detail, as_of=as_of)
        kinds = set(EventKind) if mode == "full" else {EventKind.RULE_FIRED}
        events = []
        for e in trace.events:
            if e.kind not in kinds:
                continue
            entry = self.book.by_id.get(e.rule_id)
            events.append({"kind": e.kind.value, "rule": e.rule_id, "subject": e.subject, "detail": e.detail,
                           "source": self.book.source(entry.span) if entry is not None else None})
        return ('{"recommendation":' + to_json(rec).rstrip("\n") + ',"trace":'
                + json.dumps(events, ensure_ascii=False) + "}\n")

    # ----------------------------------------------------------------- descriptions

    def rulebook_info(self) -> dict[str, Any]:
        """Identity of the served rulebook and the in-force dates of every instrument it cites."""
        m = self.book.manifest
        return {
            "id": m.id, "version": m.version, "sha256": self.book.sha256,
            "title": {"zh": m.title.zh, "en": m.title.en},
            "engine": {"version": __version__, "backend": self.engine.backend},
            "instruments": [
                {"id": i.id, "name": i.name, "kind": i.kind, "version": i.version, "in_force_from": i.in_force_from,
                 "in_force_until": i.in_force_until}
                for i in self.book.instruments.values()],
        }
