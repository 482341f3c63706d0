"""The app factory: settings → service → FastAPI app with problem+json errors and a typed OpenAPI."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._version import __version__
from ..contract.models import Case, Recommendation
from .middleware import AccessLog, BodyLimit, BodyTooLarge, RequestContext
from .models import CONTRACT_MODELS
from .problems import MEDIA_TYPE, Problem, ProblemItem, problem, problem_bytes
from .routes import AS_OF_PATTERN, router
from .service import Refused, Service
from .settings import Settings

REF = "#/components/schemas/{model}"

_DESCRIPTION = """Cited recommendations for accountability in administrative wrongful cases (行政错案问责追责).

Every error is `application/problem+json` (RFC 9457) with one entry per problem in `errors`
(code, field path, message, line, column, excerpt). Contract: docs/contract.md."""


def problem_response(p: Problem, headers: dict[str, str] | None = None) -> Response:
    """A problem as a response."""
    return Response(problem_bytes(p), status_code=p.status, media_type=MEDIA_TYPE, headers=headers)


def _rid(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def create_app(rules: str | None = None, backend: str | None = None, *, settings: Settings | None = None) -> FastAPI:
    """Build the ASGI app (one rulebook, one engine, shared by all requests of this process).

    With no arguments the settings come from the environment (``ACCOUNTRULES_*``, see
    :mod:`accountrules.server.settings`), so ``uvicorn --factory accountrules.server:create_app``
    works with any number of workers.

    Raises:
        SettingsError: an environment variable has a value that is not allowed.
        RuleFileError: the rulebook does not load.
    """
    if settings is None:
        settings = Settings.from_env(rules=rules, backend=backend)
    service = Service.start(settings)
    # validatorUrl None: Swagger UI never calls validator.swagger.io (an isolated network cannot reach it)
    app = FastAPIOffline(title="accountrules", version=__version__, description=_DESCRIPTION,
                         separate_input_output_schemas=False, swagger_ui_parameters={"validatorUrl": None})
    app.state.service = service
    app.include_router(router)
    _handlers(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, default=settings.max_body_bytes, per_path={"/batch": settings.max_batch_bytes})
    app.add_middleware(RequestContext, log=AccessLog(settings.access_log))
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return problem_response(exc.problem)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> Response:
        return problem_response(problem("body-too-large", f"The body is over the limit of {exc.limit} bytes.",
                                        instance=request.url.path, request_id=_rid(request)),
                                headers={"connection": "close"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large",
                415: "unsupported-media-type"}.get(exc.status_code, "bad-request")
        detail = str(exc.detail) if exc.detail else code
        if exc.status_code == 404:
            detail = f"No resource at {request.url.path}."
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
        return problem_response(problem(code, detail, instance=request.url.path, request_id=_rid(request),
                                        status=exc.status_code), headers=dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        items = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ())]
            kind = loc[0] if loc and loc[0] in ("query", "path") else "request"
            where = ".".join(loc[1:]) if kind != "request" else ".".join(loc)
            value = e.get("input")
            allowed = e.get("ctx", {}).get("expected")
            msg = f"{kind} parameter '{where}': '{str(value)[:60]}' is not allowed" if value is not None else e["msg"]
            if allowed:
                msg += f"; allowed: {allowed}"
            items.append(ProblemItem(code=f"bad-{kind}", message=msg + ".", path=where))
        return problem_response(problem("bad-request", "A parameter has a value that is not allowed.",
                                        instance=request.url.path, request_id=_rid(request), errors=items))


def _openapi(app: FastAPI) -> dict[str, Any]:
    """OpenAPI 3.1 whose schemas are the contract's own models (the same JSON Schema as
    ``accountrules schema case|recommendation``), and whose errors are all problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                       separate_input_output_schemas=False)
    models: list[tuple[type[BaseModel], Any]] = [(Case, "validation"), (Recommendation, "validation")]
    models += [(m, "validation") for m in CONTRACT_MODELS]
    _, top = models_json_schema(models, ref_template=REF)
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components.update(top.get("$defs", {}))
    for path in spec.get("paths", {}).values():
        for op in path.values():
            responses = op.get("responses", {})
            if "422" in responses and "HTTPValidationError" in str(responses["422"]):
                del responses["422"]
            for param in op.get("parameters", []):
                if param["name"] == "as_of":  # a query value is never null: a plain date string
                    param["schema"] = {"type": "string", "format": "date", "pattern": AS_OF_PATTERN,
                                       "title": "As Of", "examples": ["2025-06-02"]}
    app.openapi_schema = spec
    return spec
