"""Slow and idle clients: deadlines for every phase of a request, and caps on connections.

uvicorn closes a connection idle *between* requests (its keep-alive timeout), but
nothing else: a connection that never sends a byte, or sends its headers or body a byte
at a time, is held for ever. So:

- `GuardedH11Protocol`, uvicorn's h11 protocol with a deadline for the request head:
  from the moment a connection opens (or the first byte of a later request) its request
  line and headers must arrive within `header_timeout`; a connection that sent nothing
  is closed, one that sent part of a head gets 408 first. A body left unread after an
  early answer (a 413 decided from Content-Length) must also arrive within that time.
  It also caps open connections, per client address (an IPv6 /64) and in all: the one
  over the cap is answered 429 `too_many_connections` (or 503 `busy`) as soon as its
  request head is in, and closed — after at most a second if it sends nothing. Its
  400 for a malformed request (a head over 16 KiB, bad syntax) is in the envelope too.
  `backprop-lab serve` installs it (uvicorn's `http=`).
  A client that reads nothing of its answer for `send_timeout` while the server has
  more to write (uvicorn's write buffer is over its high-water mark) is disconnected:
  back-pressure holds the writer, this frees the connection.
- `BodyDeadline`, ASGI middleware: the body must arrive within `body_timeout` of the
  head, or the answer is 408 `timeout` and the connection is closed.

The protocol reads its settings from the environment (app/api/serving.py), where
`serve` wrote them, once per server.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from app.api.errors import StrictJSONResponse, error_response
from app.api.ratelimit import client_key
from app.api.serving import Serving
from app.errors import envelope
from app.jsonify import dumps

REFUSED_HEAD_SECONDS = 1.0  # a connection over a cap gets this long to send its head
SEND_BUFFER = "backprop_lab.send_buffer"  # the scope extension that caps the kernel buffer


def raw_response(status: int, reason: str, type_: str, message: str) -> bytes:
    """A whole HTTP/1.1 answer in the envelope, for when no request was parsed to answer."""
    body = dumps(envelope(type_, message)).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nx-content-type-options: nosniff\r\n"
            "connection: close\r\n\r\n")
    return head.encode("latin-1") + body


def refusal(status: int, type_: str, message: str) -> StrictJSONResponse:
    """An ASGI app that answers every request with this error and closes the connection."""
    return error_response(status, type_, message,
                          headers={"retry-after": "1", "connection": "close"})


@dataclass
class ServerGuard:
    """What one server's connections share: its settings and the open connections per
    client."""

    settings: Serving
    open: Counter[str] = field(default_factory=Counter)


_GUARDS: weakref.WeakKeyDictionary[ServerState, ServerGuard] = weakref.WeakKeyDictionary()


def guard_of(state: ServerState) -> ServerGuard:
    guard = _GUARDS.get(state)
    if guard is None:
        guard = _GUARDS[state] = ServerGuard(Serving.from_env())
    return guard


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with a head deadline, a drain deadline and connection caps."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard_of(self.server_state)
        self.client_key: str | None = None
        self.head_timeout = self.guard.settings.header_timeout
        self.deadline: asyncio.TimerHandle | None = None
        self.deadline_kind = ""
        self.partial_head = False  # bytes of a request head have arrived, not all of it
        self.stall: asyncio.TimerHandle | None = None  # writing has waited for the client

    # -- the connection ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        settings = self.guard.settings
        self.client_key = client_key(self.client[0] if self.client else None)
        self.guard.open[self.client_key] += 1
        if self.guard.open[self.client_key] > settings.max_connections_per_client:
            self.refuse(429, "too_many_connections", "too many connections from your "
                        f"address (at most {settings.max_connections_per_client} at once); "
                        "close some and try again")
        elif len(self.connections) > settings.max_connections:
            self.refuse(503, "busy", f"the server has as many connections as it takes "
                        f"({settings.max_connections}); try again in a moment")
        self.watch()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.set_deadline("", 0)
        if self.stall is not None:
            self.stall.cancel()
            self.stall = None
        if self.client_key is not None:
            self.guard.open[self.client_key] -= 1
            if self.guard.open[self.client_key] <= 0:
                del self.guard.open[self.client_key]
            self.client_key = None

    def refuse(self, status: int, type_: str, message: str) -> None:
        """Answer this connection's request with an error, soon."""
        self.app = refusal(status, type_, message)
        self.head_timeout = min(self.head_timeout, REFUSED_HEAD_SECONDS)

    def data_received(self, data: bytes) -> None:
        if self.waiting_for_head() and data:
            self.partial_head = True
        super().data_received(data)
        self.watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.watch()

    def pause_writing(self) -> None:
        """The client is not reading what it asked for: it has `send_timeout` to start."""
        super().pause_writing()
        if self.stall is None:
            self.stall = self.loop.call_later(self.guard.settings.send_timeout, self.stalled)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.stall is not None:
            self.stall.cancel()
            self.stall = None

    def stalled(self) -> None:
        """Drop the connection and what it had yet to write; the app's next send returns
        at once and it sees a disconnect (a stream's run is cancelled)."""
        self.stall = None
        sock = self.transport.get_extra_info("socket")
        if sock is not None:  # a reset, not a FIN the kernel would keep trying to deliver
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request it cannot parse, in the envelope."""
        if not self.transport.is_closing():
            self.transport.write(raw_response(400, "Bad Request", "request",
                                              "the request is not valid HTTP/1.1 (or its "
                                              "head is over 16 KiB)"))
            self.transport.close()

    # -- the deadlines -------------------------------------------------------------------

    def waiting_for_head(self) -> bool:
        cycle = self.cycle
        return ((cycle is None or cycle.response_complete)
                and self.conn.their_state is h11.IDLE)

    def watch(self) -> None:
        """Arm, keep or drop the deadline for where the connection is now."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:  # the app has the request
            self.partial_head = False
            self.set_deadline("", 0)
            extensions: dict[str, Any] = cycle.scope.setdefault("extensions", {})
            extensions.setdefault(SEND_BUFFER, self.limit_send_buffer)
        elif self.conn.their_state is h11.IDLE:
            if self.timeout_keep_alive_task is not None:  # between requests: uvicorn's
                self.set_deadline("", 0)
            else:
                self.set_deadline("head", self.head_timeout)
        elif self.conn.their_state is h11.SEND_BODY:  # answered before its body arrived
            self.set_deadline("drain", self.head_timeout)
        else:
            self.set_deadline("", 0)

    def set_deadline(self, kind: str, seconds: float) -> None:
        """A deadline of this kind, kept if one is already running; "" for none."""
        if kind == self.deadline_kind and self.deadline is not None:
            return
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
        self.deadline_kind = kind
        if kind:
            self.deadline = self.loop.call_later(seconds, self.expire)

    def expire(self) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        if self.deadline_kind == "head" and self.partial_head:
            self.transport.write(raw_response(
                408, "Request Timeout", "timeout", f"the request's headers did not arrive "
                f"within {self.head_timeout:g} s"))
        self.transport.close()

    def limit_send_buffer(self, size: int) -> None:
        """Cap the kernel's send buffer of this connection (a stream: back-pressure reaches
        the app after `size` bytes, not after the kernel's few megabytes)."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


def limit_send_buffer(scope: Scope, size: int = 64 * 1024) -> None:
    """Ask the server to cap this response's kernel send buffer (a no-op elsewhere)."""
    limit = (scope.get("extensions") or {}).get(SEND_BUFFER)
    if limit is not None:
        limit(size)


def has_body(scope: Scope) -> bool:
    """A Content-Length above 0 or a chunked body (HTTP/1.1 has no other way to send one)."""
    for key, value in scope.get("headers") or ():
        if key == b"transfer-encoding" or (key == b"content-length" and value.strip(b" 0")):
            return True
    return False


class BodyTimeout(Exception):
    """The request's body did not arrive in time."""


class BodyDeadline:
    """ASGI middleware: the whole body within `seconds` of the head, or 408 and close."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not has_body(scope):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        complete = False
        started = False

        async def receive_in_time() -> Message:
            nonlocal complete
            if complete:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        async def send_seen(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive_in_time, send_seen)
        except BodyTimeout:
            if started:
                raise
            response = error_response(408, "timeout", f"the request's body did not arrive "
                                      f"within {self.seconds:g} s",
                                      headers={"connection": "close"})
            await response(scope, receive, send)
