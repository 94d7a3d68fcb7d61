"""Schemathesis over the app's own OpenAPI schema, in process (ASGI, no network).

For POST /api/graph and every GET endpoint of the schema, schema-valid and
schema-violating requests alike: never a 5xx, always strictly valid JSON (no
bare NaN or Infinity), every status and body as the schema describes it (the
200 models, the error envelope of 400, 413 and 422), and every 4xx in the
envelope {"error": {"type", "message", "line", "column"}}.

Schemathesis's `positive_data_acceptance` check is left out on purpose: a body
that fits the schema can still hold a wrong program (`{"source": "f = )"}`),
and that is a 400 by design, not a rejected valid request.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from app.examples import EXAMPLES
from app.main import app
from app.training.pool import POOL
from tests.helpers import ERROR_KEYS, strict_json

schema = schemathesis.openapi.from_asgi("/openapi.json", app)
# A schema-violating body can also be refused for its size (a fuzzer's megabytes of
# `params`) before it is read: 413 is a rejection too, in the same envelope.
schema.config.checks.negative_data_rejection.expected_statuses.append("413")

EXPECTED_PATHS = {"/api/graph", "/api/ops", "/api/examples", "/healthz", "/api/train",
                  "/api/datasets/{name}", "/api/train/{run_id}/control", "/api/train/view",
                  "/api/points/csv", "/api/optimizers", "/api/lesson",
                  "/api/examples/{example_id}"}


@pytest.fixture(scope="module", autouse=True)
def short_training_runs():
    """Fuzzed training runs may ask for 100,000 passes: stop each at 0.2 s, not 60."""
    limit = POOL.time_limit
    POOL.time_limit = 0.2
    yield
    POOL.time_limit = limit


def check_body(response) -> None:
    """Our own checks on top of schemathesis's: strict JSON, the envelope on every 4xx."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    content_type = response.headers.get("content-type") or []
    if response.status_code == 200 and any(v.startswith("text/html") for v in content_type):
        # POST /api/lesson's one answer that is not JSON: the lesson file (the schema says so)
        assert response.text.startswith("<!doctype html>"), response.text[:200]
        return
    assert any(v.startswith("application/json") for v in content_type), response.headers
    body = strict_json(response.text)
    if 400 <= response.status_code < 500:
        assert set(body) == {"error"}, body
        error = body["error"]
        assert ERROR_KEYS <= set(error), error
        assert isinstance(error["type"], str) and error["type"]
        assert isinstance(error["message"], str) and error["message"]
        assert "Traceback" not in error["message"]
        for key in ("line", "column"):
            assert error[key] is None or (isinstance(error[key], int) and error[key] >= 1)


def test_the_schema_covers_the_api() -> None:
    assert EXPECTED_PATHS <= set(schema.raw_schema["paths"])


@schema.parametrize()
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_every_endpoint_conforms(case) -> None:
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    check_body(response)


def test_every_preset_and_teaching_tool_conforms() -> None:
    """The 200 bodies the schema fuzzing rarely reaches, validated against the schema too."""
    graph = schema["/api/graph"]["POST"]
    for example in EXAMPLES:
        body = {"source": example["source"], "values": {}, "expand": example.get("expand", False),
                "check": True, "code": True}
        response = graph.Case(body=body).call_and_validate(
            excluded_checks=[positive_data_acceptance])
        assert response.status_code == 200, response.text[:500]
        check_body(response)
    sweep = {"source": "f = sigmoid(x * w)", "values": {"x": 2, "w": -1},
             "sweep": {"input": "x", "points": 11}}
    response = graph.Case(body=sweep).call_and_validate()
    assert response.status_code == 200
    assert strict_json(response.text)["sweep"]["points"] == 11
