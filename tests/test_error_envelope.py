"""One error envelope, built in one place (app.errors.envelope), with one set of fields.

Every path that answers an error is collected here and its envelope checked by the one
checker (tests/helpers.py `check_envelope`): a LabError with and without a place, a body
that does not fit the schema, a body over the cap, an unknown path or method, a crash, a
Host not served, the rate limit, the connection guards' answers (an ASGI response and the
raw bytes written before a request is parsed), the body deadline, training's errors (from
the worker, the pool's watchdog, a busy pool, an unknown run) and the CLI's --json. Each is
held to exactly the fields of ERROR_FIELDS (`detail` added on a 422 alone). A
static pass makes sure nothing in app/ builds an envelope by hand and that every error
type written in the code is one of ERROR_TYPES.
"""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import connections, ratelimit, routes
from app.api.connections import BodyDeadline, raw_response
from app.cli.main import main as cli
from app.errors import ERROR_FIELDS, ERROR_TYPES, LabError, Span, envelope
from app.limits import DEFAULT_LIMITS
from app.main import app
from app.training import pool, worker
from app.training.pool import Busy, Closing
from tests.helpers import assert_error, check_envelope, run_in_own_loop, strict_json

APP = Path(__file__).resolve().parent.parent / "app"


def seen(name: str, body: Any, status: int | None = None) -> dict[str, Any]:
    """`name` says which path made the envelope, for the failure message."""
    try:
        return check_envelope(body, status)
    except AssertionError as err:
        raise AssertionError(f"{name}: {err}") from None


def through_http(name: str, response: Any, status: int, type_: str) -> dict[str, Any]:
    try:
        return assert_error(response, status, type_)
    except AssertionError as err:
        raise AssertionError(f"{name}: {err}") from None


def rendered(response: Any) -> dict[str, Any]:
    """A starlette response's body, as a client would parse it."""
    assert response.headers["content-type"].startswith("application/json")
    return strict_json(response.body.decode())


def raw(answer: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"content-type: application/json" in head
    return status, strict_json(body.decode())


# -------------------------------------------------------------------------- the builder


def test_the_builder_writes_every_field() -> None:
    body = envelope("syntax", "m (line 1, column 2)", summary="m", span=Span(1, 2, 1, 4),
                    key="k", args={"a": 1})
    assert list(body["error"]) == list(ERROR_FIELDS)
    assert body["error"] | {} == {"type": "syntax", "message": "m (line 1, column 2)",
                                  "summary": "m", "line": 1, "column": 2, "end_line": 1,
                                  "end_column": 4, "key": "k", "args": {"a": 1}}
    plain = envelope("internal", "oops")["error"]
    assert (plain["summary"], plain["key"], plain["args"], plain["line"], plain["end_column"]) \
        == ("oops", "internal", {}, None, None)
    seen("builder", body)
    seen("builder, nothing known", {"error": plain})


def test_a_lab_error_is_the_builder_s_envelope() -> None:
    err = LabError("name", "it", Span(2, 1, 2, 3), key="k", info={"x": 1}, source="a\nbcd")
    assert err.envelope() == envelope("name", err.message, summary="it", span=err.span,
                                      key="k", args={"x": 1})
    assert err.to_json() == err.envelope()["error"]


# -------------------------------------------------------------------------- HTTP


def test_a_lab_error_with_and_without_a_place(client) -> None:
    error = through_http("400 with a place", client.post(
        "/api/graph", json={"source": "f = sigmod(x)"}), 400, "unknown_function")
    assert (error["line"], error["column"]) == (1, 5)
    error = through_http("400 without a place", client.post(
        "/api/graph", json={"source": "f = x * 2", "values": {"x": [1, 2]}, "seed": [1, 2, 3]}),
        400, "shape")
    assert error["line"] is None and error["key"] == "seed_shape"


def test_a_body_that_does_not_fit_the_schema(client) -> None:
    error = through_http("422", client.post("/api/graph", json={"nope": 1}), 422, "request")
    assert error["detail"] and error["key"] == "request"
    through_http("422, not JSON", client.post(
        "/api/graph", content=b"{", headers={"content-type": "application/json"}),
        422, "request")


def test_a_body_over_the_cap(client) -> None:
    too_big = b"x" * (DEFAULT_LIMITS.max_body_bytes + 1)
    through_http("413", client.post("/api/graph", content=too_big,
                                    headers={"content-type": "application/json"}),
                 413, "too_large")


def test_an_unknown_path_and_method(client) -> None:
    through_http("404", client.get("/api/nothing"), 404, "not_found")
    through_http("405", client.get("/api/graph"), 405, "method")


def test_a_crash(monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(routes, "graph_response", broken)
    crashing = TestClient(app, raise_server_exceptions=False)
    error = through_http("500", crashing.post("/api/graph", json={"source": "f = 12345"}),
                         500, "internal")
    assert "a bug" not in error["message"]


def test_a_host_not_served(client) -> None:
    error = through_http("400 host", client.get("/healthz", headers={"host": "evil.example"}),
                         400, "host")
    assert error["args"] == {"host": "evil.example"}


def test_the_rate_limit() -> None:
    response = ratelimit.refusal(2.5)
    assert response.status_code == 429 and response.headers["retry-after"] == "3"
    assert seen("429 rate_limited", rendered(response), 429)["args"] == {"retry_after": 3}


@pytest.mark.parametrize(("status", "type_"), [(429, "too_many_connections"), (503, "busy")])
def test_the_connection_caps(status: int, type_: str) -> None:
    response = connections.refusal(status, type_, "too many")
    assert response.status_code == status
    assert seen(f"{status} {type_}", rendered(response), status)["type"] == type_


@pytest.mark.parametrize(("status", "reason", "type_"),
                         [(400, "Bad Request", "request"), (408, "Request Timeout", "timeout")])
def test_the_raw_answers_before_a_request_is_parsed(status: int, reason: str,
                                                    type_: str) -> None:
    got, body = raw(raw_response(status, reason, type_, "no"))
    assert got == status
    assert seen(f"raw {status}", body, status)["type"] == type_


def test_the_body_deadline() -> None:
    sent: list[dict[str, Any]] = []

    async def never_done(scope: Any, receive: Any, send: Any) -> None:
        await receive()

    async def slow_receive() -> dict[str, Any]:
        await asyncio.sleep(5)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/graph",
             "headers": [(b"content-length", b"10")]}
    run_in_own_loop(BodyDeadline(never_done, 0.01), scope, slow_receive, send)
    assert sent[0]["status"] == 408
    body = strict_json(b"".join(m.get("body", b"") for m in sent[1:]).decode())
    assert seen("408 body deadline", body, 408)["type"] == "timeout"


# -------------------------------------------------------------------------- training


def test_training_s_errors_from_the_worker() -> None:
    for name, data in [("worker LabError", worker.error(LabError("value", "no X",
                                                                  key="train_no_x"))),
                       ("worker internal", worker.internal()),
                       ("pool watchdog", pool.internal_timeout()),
                       ("worker time limit", worker.interrupted("time_limit")[1]),
                       ("worker cancelled", worker.interrupted("cancelled")[1])]:
        seen(name, strict_json(data.decode()))


def test_a_training_job_that_fails_in_the_worker() -> None:
    """The worker's own path, in this process: a program without X answers its envelope."""
    class Out:
        def __init__(self) -> None:
            self.sent: list[tuple[Any, ...]] = []

        def send(self, message: tuple[Any, ...]) -> None:
            self.sent.append(message)

    out = Out()
    worker.run_job({"number": 1, "run_id": "r", "source": "f = w * 2"}, out, [0, 0])
    [(kind, status, data)] = out.sent
    assert (kind, status) == ("error", 400)
    assert seen("worker run_job", strict_json(data.decode()), 400)["key"] == "missing_value"


@pytest.mark.parametrize("refusal", [Busy("all busy"), Closing("closing")])
def test_a_busy_pool_and_an_unknown_run(client, monkeypatch, refusal: Busy) -> None:
    def submit(*args: Any) -> Any:
        raise refusal

    monkeypatch.setattr(routes.POOL, "submit", submit)
    error = through_http(f"{refusal.status} busy", client.post(
        "/api/train", json={"source": "f = w"}), refusal.status, "busy")
    assert error["key"] == refusal.key and "slots" in error["args"]
    through_http("404 run", client.post("/api/train/nope/cancel"), 404, "not_found")


# -------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("argv", [
    ["eval", "f = sigmod(x)", "--json"],
    ["eval", "f = x", "--json"],
    ["network", "--sizes", "2,2", "--targets", "[[1, 2, 3]]", "--json"],
])
def test_the_cli_s_json_errors(capsys, argv: list[str]) -> None:
    assert cli(argv) == 2
    seen(f"cli {argv[0]}", json.loads(capsys.readouterr().out))


def test_the_cli_s_training_errors(capsys, tmp_path: Path) -> None:
    program = tmp_path / "p.txt"
    program.write_text("f = w * 2\n")
    assert cli(["train", str(program), "--json", "--passes", "1"]) == 2
    assert seen("cli train", json.loads(capsys.readouterr().out))["key"] == "missing_value"


# -------------------------------------------------------------------------- the code


def _calls(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
                else ""
            out.append((name, node))
    return out


# Where each builder takes the error type: (name, positional index).
TYPE_ARGUMENT = {"envelope": 0, "LabError": 0, "error_response": 1, "raw_response": 2,
                 "refusal": 1, "refuse": 1, "fail": 0}


def test_nothing_in_app_builds_an_envelope_by_hand() -> None:
    """No dict literal with an "error" key (or a "type" and a "message") outside
    app/errors.py: every envelope comes from `envelope`."""
    offenders = []
    for path in sorted(APP.rglob("*.py")):
        if path == APP / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if "error" in keys or {"type", "message"} <= keys:
                    offenders.append(f"{path.relative_to(APP.parent)}:{node.lineno}")
    assert not offenders, offenders


def test_every_error_type_in_the_code_is_a_known_one() -> None:
    used: dict[str, str] = {}
    for path in sorted(APP.rglob("*.py")):
        for name, call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            k = TYPE_ARGUMENT.get(name)
            if k is None or len(call.args) <= k:
                continue
            arg = call.args[k]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                used[arg.value] = f"{path.relative_to(APP.parent)}:{call.lineno}"
    assert {"syntax", "internal", "busy", "timeout", "request", "rate_limited", "host"} <= set(
        used), used
    unknown = {t: where for t, where in used.items() if t not in ERROR_TYPES}
    assert not unknown, unknown
