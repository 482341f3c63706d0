"""HTTP API (FastAPI, optional extra ``accountrules[server]``): ``accountrules serve``.

``POST /evaluate`` (a case file as JSON; ``?lang=en``) → the recommendation; ``POST /validate-case``;
``GET /catalog``; ``GET /health``. Bad input → HTTP 422 with the same diagnostics the CLI prints.
"""

from __future__ import annotations

from typing import Any


def create_app(rules: str | None = None, backend: str = "durable") -> Any:
    """Build the ASGI app for one rulebook (one engine, shared by all requests)."""
    from fastapi import Body, FastAPI
    from fastapi.responses import JSONResponse, Response

    from . import __version__
    from .catalog import catalog_dict
    from .engine import Engine
    from .errors import EvaluationError
    from .intake import parse_case
    from .render import to_json
    from .rules import load_rulebook

    book = load_rulebook(rules) if rules else load_rulebook()
    engine = Engine(book, backend=backend)  # type: ignore[arg-type]
    app = FastAPI(title="accountrules", version=__version__)

    def problem(exc: EvaluationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"errors": [d.as_dict() for d in exc.diagnostics]})

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "rulebook": book.manifest.id, "sha256": book.sha256}

    @app.get("/catalog")
    def catalog(lang: str = "zh") -> dict[str, Any]:
        return catalog_dict(book, "en" if lang == "en" else "zh")

    @app.post("/evaluate")
    def evaluate(case: dict[str, Any] = Body(...), lang: str = "zh") -> Response:  # noqa: B008
        try:
            rec = engine.evaluate(parse_case(case, file="<request>"), lang="en" if lang == "en" else "zh")
        except EvaluationError as exc:
            return problem(exc)
        return Response(content=to_json(rec), media_type="application/json")

    @app.post("/validate-case")
    def validate_case(case: dict[str, Any] = Body(...)) -> Response:  # noqa: B008
        try:
            engine.check_case(parse_case(case, file="<request>"))
        except EvaluationError as exc:
            return problem(exc)
        return JSONResponse({"ok": True})

    return app
