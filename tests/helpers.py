"""Shared assertions: one error shape, checked in one place."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import httpx

ERROR_KEYS = {"type", "message", "line", "column"}


def strict_json(text: str) -> Any:
    """Parse JSON, failing on the bare NaN/Infinity tokens Python would otherwise accept."""
    def refuse(token: str) -> Any:
        raise AssertionError(f"invalid JSON token {token}")
    return json.loads(text, parse_constant=refuse)


def check_envelope(body: Any, status: int | None = None) -> dict[str, Any]:
    """The one checker of the error envelope, whoever built it (app.errors.envelope):
    {"error": {...}} with exactly the fields of ERROR_FIELDS (and `detail` on a 422
    `request` alone), a known type, a message, 1-based places or nulls, a span whose end
    does not end before it starts, and the ErrorResponse model of the API's schema. The inner
    object is returned."""
    from app.api.schemas import ErrorResponse
    from app.errors import ERROR_FIELDS, ERROR_TYPES

    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert ERROR_KEYS <= set(error), error
    extra = set(error) - set(ERROR_FIELDS)
    assert set(ERROR_FIELDS) <= set(error), (set(ERROR_FIELDS) - set(error), error)
    assert extra <= {"detail"}, (extra, error)
    if extra:
        assert error["type"] == "request" and status in (None, 422), error
    assert error["type"] in ERROR_TYPES, error
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in error["message"]
    assert isinstance(error["summary"], str) and error["summary"]
    assert error["message"].startswith(error["summary"]), error
    assert isinstance(error["key"], str) and error["key"], error
    assert isinstance(error["args"], dict), error
    for key in ("line", "column", "end_line", "end_column"):
        assert error[key] is None or (isinstance(error[key], int) and error[key] >= 1)
    places = [error[k] is None for k in ("line", "column", "end_line", "end_column")]
    assert all(places) or not any(places), error
    if error["line"] is not None:
        assert (error["end_line"], error["end_column"]) >= (error["line"], error["column"]), error
    ErrorResponse.model_validate(body)
    return error


def assert_error(response: Any, status: int, type_: str) -> dict[str, Any]:
    """The DESIGN.md envelope: status, valid JSON, {"error": {type, message, line, column}},
    every field checked by check_envelope."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = strict_json(response.text)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert ERROR_KEYS <= set(error), error
    assert error["type"] == type_, error
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in error["message"]
    for key in ("line", "column"):
        assert error[key] is None or (isinstance(error[key], int) and error[key] >= 1)
    check_envelope(body, status)
    return error


def wait_until_serving(base: str, server: subprocess.Popen | None = None,
                       timeout: float = 30.0) -> None:
    """Poll GET /healthz until the served app answers 200 (a hang guard, not a timing)."""
    deadline = time.monotonic() + timeout
    while True:
        assert server is None or server.poll() is None, "the server exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)


def run_in_own_loop(main: Any, *args: Any, timeout: float = 30.0) -> Any:
    """anyio.run(main, *args) in a thread of its own, returning what it returns or raising
    what it raises: the browser tests leave an event loop running in the main thread, and
    asyncio will not start a second one there."""
    import threading

    import anyio

    outcome: list[Any] = []

    def go() -> None:
        try:
            outcome.append(("value", anyio.run(main, *args)))
        except BaseException as err:  # handed to the caller
            outcome.append(("error", err))
    thread = threading.Thread(target=go)
    thread.start()
    thread.join(timeout)
    assert outcome, "the event loop did not finish (a hang guard)"
    kind, value = outcome[0]
    if kind == "error":
        raise value
    return value
