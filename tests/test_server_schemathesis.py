"""Property-based API tests (schemathesis) generated from the server's own OpenAPI document.

Every operation is called with bodies and parameters generated from its schemas; each response
must be documented (status, content type) and match its schema, and no 5xx may occur. The
number of examples is bounded (``ACCOUNTRULES_SCHEMATHESIS_EXAMPLES``, default 25 per operation).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup

from accountrules.server import Settings, create_app

EXAMPLES = int(os.environ.get("ACCOUNTRULES_SCHEMATHESIS_EXAMPLES", "25"))


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    """A batch body: the generated string as it is, or a list of cases one per line."""
    if isinstance(value, list):
        return "\n".join(json.dumps(v, ensure_ascii=False) for v in value).encode()
    return str(value).encode()


app = create_app(settings=Settings(backend="python", access_log="off"))
positive = schemathesis.openapi.from_asgi("/openapi.json", app)
positive.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])
# a batch body is a byte stream whose lines are judged one by one (a 200 answer holds each line's
# problem), so "invalid data must be refused" does not apply to it as a whole
negative = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(operation_id="evaluateBatch")
negative.config.generation.update(modes=[schemathesis.GenerationMode.NEGATIVE])
_settings = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


# A case can break rules its JSON Schema cannot state (references between fields, codes the rulebook
# defines, no code listed twice): such schema-valid requests get a documented 422 problem.
_SEMANTIC_422 = [schemathesis.checks.positive_data_acceptance]


@positive.parametrize()
@_settings
def test_api_valid_requests(case: Any) -> None:
    """Requests that follow the schema: documented answers that match their schemas, no 5xx."""
    case.call_and_validate(excluded_checks=_SEMANTIC_422)


@negative.parametrize()
@_settings
def test_api_invalid_requests(case: Any) -> None:
    """Requests that break the schema: refused with a documented problem, never accepted. (When the
    generator cannot break a part and the request stays schema-valid, it is judged as a valid one:
    a semantic 422 is allowed, as above.)"""
    try:
        case.call_and_validate(excluded_checks=_SEMANTIC_422)
    except FailureGroup as group:
        accepted = [f for f in group.exceptions if isinstance(f, AcceptedNegativeData)]
        if accepted and len(accepted) == len(group.exceptions) and "Incorrect type" in str(group) \
                and case.body is not None and case.operation.method.upper() == "POST":
            pytest.xfail("issue 15 (branch rel): the case model still coerces some wrong types (false for a "
                         "number); rel's strict models refuse them")
        raise
