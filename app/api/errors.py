"""Every failure as an HTTP answer in the one error envelope of DESIGN.md (built by
app.errors.envelope): a LabError, a body that does not fit the schema, an unknown path or
method, a body over the cap, a crash."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import LabError, envelope
from app.jsonify import dumps


class StrictJSONResponse(JSONResponse):
    """JSON that is always valid: NaN can never be written as a bare token."""

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")


def error_response(status: int, type_: str, message: str, *,
                   headers: dict[str, str] | None = None, **fields: Any) -> StrictJSONResponse:
    """The envelope as a response; `fields` are `envelope`'s (key, args, detail …)."""
    return StrictJSONResponse(envelope(type_, message, **fields), status_code=status,
                              headers=headers)


def _clean(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pydantic's details without the echoed input, which may be huge or not JSON."""
    return [{"type": str(e.get("type")), "loc": [str(x) for x in e.get("loc", ())],
             "msg": str(e.get("msg"))} for e in errors]


def install(app: FastAPI) -> None:
    @app.exception_handler(LabError)
    async def lab_error(request: Request, exc: LabError) -> StrictJSONResponse:
        return StrictJSONResponse(exc.envelope(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> StrictJSONResponse:
        detail = _clean(list(exc.errors()))
        first = detail[0] if detail else {"loc": [], "msg": "invalid request"}
        where = ".".join(x for x in first["loc"] if x != "body") or "body"
        return error_response(422, "request", f"the request body does not fit the schema: "
                              f"{where}: {first['msg']}", detail=detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> StrictJSONResponse:
        kinds = {404: "not_found", 405: "method", 413: "too_large"}
        type_ = kinds.get(exc.status_code, "request")
        return error_response(exc.status_code, type_, str(exc.detail),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> StrictJSONResponse:
        return error_response(500, "internal", "an internal error; please report it with the "
                              "program that caused it")


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app a body already read whole, then the client's own
    messages (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


class BodyLimit:
    """Refuse a request body over the cap with 413 before anything parses it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, replay_body(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "too_large", f"the request body is over the limit of "
                                  f"{self.max_bytes:,} bytes")
        await response(scope, receive, send)
