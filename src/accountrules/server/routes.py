"""The endpoints. Bodies are read by the library's own strict reader, never by FastAPI, so the
limits and the refusal of duplicate keys are those of the CLI; the OpenAPI document still types
every body with the contract's models (see :func:`accountrules.server.app._openapi`)."""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from ..authoring.catalog import catalog_dict
from ..errors import EvaluationError
from .middleware import BodyTooLarge, state
from .problems import MEDIA_TYPE, PROBLEM_TYPES, ProblemItem, problem, problem_bytes, problem_for_code
from .service import Refused, Service

router = APIRouter()

Lang = Literal["zh", "en"]
Detail = Literal["full", "compact"]
NDJSON = "application/x-ndjson"
NDJSON_TYPES = (NDJSON, "application/jsonl")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for st in statuses:
        titles = sorted({t for s, t, _ in PROBLEM_TYPES.values() if s == st})
        out[st] = {"description": " / ".join(titles), "content": {MEDIA_TYPE: {"schema": _ref("Problem")}}}
    out["default"] = {"description": "Any other error", "content": {MEDIA_TYPE: {"schema": _ref("Problem")}}}
    return out


def _ok(schema: dict[str, Any], media: str = "application/json", description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


_CASE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Case")}}}}
_BATCH_BODY = {"requestBody": {"required": True, "content": {NDJSON: {"schema": {
    "type": "string", "description": "JSON Lines: one case file (schema Case) per line; blank lines are skipped."}}}}}


AS_OF_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
AsOf = Annotated[str | None, Query(
    description="Date of evaluation, YYYY-MM-DD (as `accountrules evaluate --as-of`): the law in force on it "
    "decides what the unit is to do and, where lighter (从旧兼从轻), the sanction. Default: the case's "
    "`decided_on`.", json_schema_extra={"format": "date", "pattern": AS_OF_PATTERN}, examples=["2025-06-02"])]


def _svc(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def _rid(request: Request) -> str | None:
    return state(request.scope).get("request_id")


def _only(request: Request, *allowed: str) -> None:
    """Refuse query parameters that are unknown or repeated."""
    keys = [k for k, _ in request.query_params.multi_items()]
    items = []
    for k in sorted(set(keys)):
        if k not in allowed:
            shown = ", ".join(allowed) or "none"
            items.append(ProblemItem(code="bad-query", path=k, message=f"unknown query parameter '{k[:40]}'. "
                                     f"Allowed: {shown}."))
        elif keys.count(k) > 1:
            items.append(ProblemItem(code="bad-query", path=k, message=f"query parameter '{k}' is given "
                                     f"{keys.count(k)} times; give it once."))
    if items:
        raise Refused(problem("bad-request", "The query string is not allowed here.", instance=request.url.path,
                              request_id=_rid(request), errors=items))


def _as_of(request: Request, value: str | None) -> _dt.date | None:
    """The ``as_of`` query value as a date, or a 400 problem that names it and the format allowed."""
    if value is None:
        return None
    try:
        if not re.fullmatch(AS_OF_PATTERN, value):
            raise ValueError
        return _dt.date.fromisoformat(value)
    except ValueError:
        item = ProblemItem(code="bad-query", path="as_of", message=f"query parameter 'as_of': '{value[:40]}' is "
                           "not allowed; allowed: a date YYYY-MM-DD (e.g. 2025-06-02).")
        raise Refused(problem("bad-request", "A parameter has a value that is not allowed.",
                              instance=request.url.path, request_id=_rid(request), errors=[item])) from None


def _media(request: Request, accepted: tuple[str, ...]) -> None:
    raw = request.headers.get("content-type", "")
    media, _, params = raw.partition(";")
    charset = ""
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.lower() == "charset":
            charset = v.strip().strip('"').lower()
    if media.strip().lower() in accepted and charset in ("", "utf-8", "utf8"):
        return
    shown = raw[:60] or "none"
    raise Refused(problem("unsupported-media-type", f"Content-Type '{shown}' is not accepted here; send "
                          f"{' or '.join(accepted)} (UTF-8).", instance=request.url.path, request_id=_rid(request)))


def _json(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")


@router.post("/evaluate", operation_id="evaluate", summary="Evaluate one case", openapi_extra=_CASE_BODY,
             responses={200: _ok(_ref("Recommendation"), description="The recommendation, byte for byte as "
                                 "`accountrules evaluate --format json` prints it"),
                        **_errors(400, 413, 415, 422, 503)})
async def evaluate(request: Request, lang: Lang = "zh", detail: Detail = "full", as_of: AsOf = None) -> Response:
    """Evaluate one case file (JSON). `lang` chooses the language of the reason texts; `detail=compact`
    keeps each reason's primary citation without the quoted text; `as_of` fixes the date of
    evaluation. When decisions are recorded, the `X-Decision-ID` header names the record (which
    keeps `as_of`)."""
    _only(request, "lang", "detail", "as_of")
    day = _as_of(request, as_of)
    _media(request, ("application/json",))
    svc, rid = _svc(request), _rid(request)
    body = await request.body()

    def run() -> tuple[str, str | None]:
        case = svc.parse(body, "<request>", instance=request.url.path, request_id=rid)
        try:
            return svc.evaluate(case, lang, detail, as_of=day, instance=request.url.path, request_id=rid)
        except EvaluationError as exc:
            raise Refused(svc.problem_of(exc, body, instance=request.url.path, request_id=rid)) from None

    text, decision_id = await run_in_threadpool(run)
    if decision_id:
        state(request.scope).setdefault("decision_ids", []).append(decision_id)
    return Response(text, media_type="application/json")


@router.post("/evaluate/trace", operation_id="evaluateTraced", summary="Evaluate one case, with the rule trace", openapi_extra=_CASE_BODY,
             responses={200: _ok(_ref("TracedRecommendation")), **_errors(400, 413, 415, 422)})
async def evaluate_traced(request: Request, lang: Lang = "zh", detail: Detail = "full",
                          trace: Literal["fired", "full"] = "fired", as_of: AsOf = None) -> Response:
    """The recommendation and the rule trace: `fired` lists the rules that fired on each fact, `full`
    also the overridden, blocked and no-rule events. Not recorded."""
    _only(request, "lang", "detail", "trace", "as_of")
    day = _as_of(request, as_of)
    _media(request, ("application/json",))
    svc, rid = _svc(request), _rid(request)
    body = await request.body()

    def run() -> str:
        case = svc.parse(body, "<request>", instance=request.url.path, request_id=rid)
        try:
            return svc.traced(case, lang, detail, trace, as_of=day)
        except EvaluationError as exc:
            raise Refused(svc.problem_of(exc, body, instance=request.url.path, request_id=rid)) from None

    return Response(await run_in_threadpool(run), media_type="application/json")


@router.post("/validate-case", operation_id="validateCase", summary="Check a case without evaluating it", openapi_extra=_CASE_BODY,
             responses={200: _ok({"type": "object", "properties": {"ok": {"const": True}}, "required": ["ok"]}),
                        **_errors(400, 413, 415, 422)})
async def validate_case(request: Request) -> Response:
    """Check a case file against the contract and the rulebook's codes."""
    _only(request)
    _media(request, ("application/json",))
    svc, rid = _svc(request), _rid(request)
    body = await request.body()

    def run() -> None:
        case = svc.parse(body, "<request>", instance=request.url.path, request_id=rid)
        try:
            svc.engine.check_case(case)
        except EvaluationError as exc:
            raise Refused(svc.problem_of(exc, body, instance=request.url.path, request_id=rid)) from None

    await run_in_threadpool(run)
    return _json({"ok": True})


@router.post("/batch", operation_id="evaluateBatch", summary="Evaluate a batch (NDJSON in, NDJSON out, streamed)", openapi_extra=_BATCH_BODY,
             responses={200: _ok({"type": "string", "description": "One BatchLine (JSON) per non-blank input "
                                  "line, in input order, streamed as they are evaluated."}, media=NDJSON),
                        **_errors(400, 413, 415)})
async def batch(request: Request, lang: Lang = "zh", detail: Detail = "full", as_of: AsOf = None) -> Response:
    """Evaluate JSON Lines: each non-blank line is one case; each answer line is a `BatchLine`
    (`{"line": n, "recommendation": …}` or `{"line": n, "problem": …}`), written as soon as it is
    ready. A line over the body limit gets a 413 problem line; the batch as a whole may be up to
    the batch limit (a batch that passes it mid-stream ends with a 413 problem line). `as_of` fixes
    the date of evaluation of every line."""
    _only(request, "lang", "detail", "as_of")
    day = _as_of(request, as_of)
    _media(request, NDJSON_TYPES)
    return _BatchResponse(request, _svc(request), lang, detail, day)


class _BatchResponse(Response):
    """Reads the request body line by line while it streams the answers out."""

    media_type = NDJSON

    def __init__(self, request: Request, svc: Service, lang: str, detail: str, as_of: _dt.date | None) -> None:
        super().__init__(media_type=NDJSON)
        self.request, self.svc, self.lang, self.detail, self.as_of = request, svc, lang, detail, as_of

    def _line(self, n: int, raw: bytes) -> bytes:
        svc, path, rid = self.svc, self.request.url.path, _rid(self.request)
        try:
            case = svc.parse(raw, f"<line {n}>", instance=path, request_id=rid, line=n)
            text, decision_id = svc.evaluate(case, self.lang, self.detail, compact=True, as_of=self.as_of,
                                             instance=path, request_id=rid)
        except Refused as exc:
            return b'{"line":%d,"problem":%s}\n' % (n, problem_bytes(exc.problem))
        except EvaluationError as exc:
            p = svc.problem_of(exc, raw, instance=path, request_id=rid, line=n)
            return b'{"line":%d,"problem":%s}\n' % (n, problem_bytes(p))
        if decision_id:
            state(self.request.scope).setdefault("decision_ids", []).append(decision_id)
            return b'{"line":%d,"decision_id":"%s","recommendation":%s}\n' % (n, decision_id.encode(),
                                                                              text.encode())
        return b'{"line":%d,"recommendation":%s}\n' % (n, text.encode())

    def _too_long(self, n: int) -> bytes:
        limit = self.svc.settings.max_body_bytes
        p = problem("body-too-large", f"line {n} is longer than the limit of {limit} bytes; skipped.",
                    instance=self.request.url.path, request_id=_rid(self.request))
        return b'{"line":%d,"problem":%s}\n' % (n, problem_bytes(p))

    async def __call__(self, scope: Any, receive: Any, send: Callable[[Any], Awaitable[None]]) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", NDJSON.encode())]})
        limit = self.svc.settings.max_body_bytes
        buf = bytearray()
        n = 1
        skipping = False
        try:
            async for chunk in self.request.stream():
                out: list[bytes] = []
                start = 0
                while True:
                    nl = chunk.find(b"\n", start)
                    piece = chunk[start:] if nl < 0 else chunk[start:nl]
                    if not skipping:
                        buf += piece
                        if len(buf) > limit:
                            out.append(self._too_long(n))
                            skipping, buf = True, bytearray()
                    if nl < 0:
                        break
                    if not skipping and bytes(buf).strip():
                        out.append(await run_in_threadpool(self._line, n, bytes(buf)))
                    buf, skipping, n, start = bytearray(), False, n + 1, nl + 1
                if out:
                    await send({"type": "http.response.body", "body": b"".join(out), "more_body": True})
            if not skipping and bytes(buf).strip():
                await send({"type": "http.response.body", "body": await run_in_threadpool(self._line, n, bytes(buf)),
                            "more_body": True})
        except BodyTooLarge as exc:
            p = problem("body-too-large", f"the batch is over the limit of {exc.limit} bytes; lines from {n} on "
                        "were not read.", instance=self.request.url.path, request_id=_rid(self.request))
            await send({"type": "http.response.body", "body": b'{"line":%d,"problem":%s}\n' % (n, problem_bytes(p)),
                        "more_body": True})
        except ClientDisconnect:
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


@router.get("/catalog", operation_id="getCatalog", summary="The rulebook's catalogue",
            responses={200: _ok({"type": "object"}), **_errors(400)})
def catalog(request: Request, lang: Lang = "zh") -> Response:
    """Definitions, categories and items, ladder, circumstances and rules, each with its citations."""
    _only(request, "lang")
    return _json(catalog_dict(_svc(request).book, lang))


SchemaName = Literal["case", "recommendation", "rulebook", "problem"]


@router.get("/schemas/{name}", operation_id="getSchema", summary="JSON Schema of a contract document",
            responses={200: _ok({"type": "object"}), **_errors(400)})
def schemas(request: Request, name: SchemaName) -> Response:
    """The JSON Schema that `accountrules schema case|recommendation|rulebook` prints (or the problem's)."""
    _only(request)
    from ..contract.models import Case, Recommendation
    from ..rules.schema import RuleFile
    from .problems import Problem

    models: dict[str, type[BaseModel]] = {"case": Case, "recommendation": Recommendation, "rulebook": RuleFile,
                                          "problem": Problem}
    model = models[name]
    return _json(model.model_json_schema())


@router.get("/rulebooks", operation_id="listRulebooks", summary="The served rulebook(s)",
            responses={200: _ok({"type": "array", "items": _ref("RulebookInfo")}), **_errors(400)})
def rulebooks(request: Request) -> Response:
    """Id, version, sha256 and engine of each served rulebook, and the in-force dates of every
    instrument it cites."""
    _only(request)
    return _json([_svc(request).rulebook_info()])


@router.get("/health", operation_id="health", summary="Liveness", responses={200: _ok(_ref("Health")), **_errors(400)})
def health(request: Request) -> Response:
    """The process answers."""
    _only(request)
    book = _svc(request).book
    return _json({"status": "ok", "rulebook": book.manifest.id, "sha256": book.sha256})


@router.get("/ready", operation_id="ready", summary="Readiness", responses={200: _ok(_ref("Readiness")), **_errors(400, 503)})
def ready(request: Request) -> Response:
    """The rulebook is compiled and the records database, when configured, answers."""
    _only(request)
    svc = _svc(request)
    records = "off"
    if svc.records is not None:
        try:
            svc.records.ping()
        except Exception as exc:  # noqa: BLE001 - any database failure means not ready
            raise Refused(problem("not-ready", f"the records database does not answer: {type(exc).__name__}.",
                                  instance=request.url.path, request_id=_rid(request))) from None
        records = "ok"
    m = svc.book.manifest
    return _json({"status": "ready", "rulebook": m.id, "version": m.version, "sha256": svc.book.sha256,
                  "backend": svc.engine.backend, "records": records})


@router.get("/problems/{code}", operation_id="getProblemType", summary="What a problem type means",
            responses={200: _ok(_ref("ProblemType")), **_errors(400, 404)})
def problem_type(request: Request, code: str) -> Response:
    """The target of a problem's `type` URI (`problems/<code>`)."""
    _only(request)
    if code not in PROBLEM_TYPES:
        raise Refused(problem("not-found", f"No problem type '{code[:60]}'. Known: {', '.join(PROBLEM_TYPES)}.",
                              instance=request.url.path, request_id=_rid(request)))
    return _json(problem_for_code(code))
