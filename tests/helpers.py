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


def assert_error(response: Any, status: int, type_: str) -> dict[str, Any]:
    """The DESIGN.md envelope: status, valid JSON, {"error": {type, message, line, column}}."""
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
