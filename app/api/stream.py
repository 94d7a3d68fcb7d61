"""A training run over HTTP: its messages as server-sent events, or its last one as JSON.

The worker sends JSON already encoded (app/training/worker.py), so the server
only frames bytes. Either way the client's going away is noticed (an
`http.disconnect` from the server, or a failed send) and the run is cancelled,
which frees its worker within a fraction of a second.

The stream is `text/event-stream`, one event per message:

    event: queued      {"run_id", "position"}: waiting for a worker of the job queue
                       (app/training/queue.py), position 1 the next to start; only a run
                       that waits sends it, before its start, again as its place changes
    event: start       {"run_id", "data", "passes", "progress_every"}
    event: progress    {"run_id", "pass", "loss", "accuracy", "params", "boundary", "history"}
    event: done        the body POST /api/train answers as JSON
    event: error       the error envelope {"error": {...}}

and it ends after `done` or `error`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.api.backpressure import Paced
from app.api.connections import limit_send_buffer
from app.training.pool import Message

FINAL = ("done", "error")


class Run(Protocol):
    """A run of the in-process pool (app/training/pool.py) or of the job queue
    (app/training/queue.py)."""

    async def next(self) -> Message: ...

    def cancel(self, reason: str = "cancelled") -> None: ...


def event(name: str, data: bytes) -> bytes:
    """One server-sent event; the JSON is one line, as json.dumps writes it."""
    return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"


def json_response(message: Message) -> Response:
    """A final message as the JSON answer: done is a 200, error its own status."""
    if message[0] == "error":
        return Response(message[2], status_code=message[1], media_type="application/json")
    return Response(message[1], media_type="application/json")


async def _disconnect(receive: Receive) -> None:
    """Return when the client has gone away."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def until(run: Run, receive: Receive, kinds: tuple[str, ...]) -> Message | None:
    """The run's next message of one of `kinds` (others are skipped); None if the client
    went away first, in which case the run is cancelled."""
    gone = asyncio.ensure_future(_disconnect(receive))
    try:
        while True:
            getter = asyncio.ensure_future(run.next())
            done, _ = await asyncio.wait({getter, gone}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                run.cancel()
                return None
            message = getter.result()
            if message[0] in kinds or message[0] == "error":
                return message
    finally:
        gone.cancel()


async def first(run: Run, request: Request) -> Message | None:
    """The run's first message: "start" once the program compiled, "queued" if it waits
    for a worker of the job queue first, or its "error"."""
    return await until(run, request.receive, ("start", "queued"))


async def last(run: Run, request: Request) -> Message | None:
    """The run's final message, progress skipped (the JSON answer)."""
    return await until(run, request.receive, FINAL)


class EventStream(Response):
    """The run's messages as server-sent events, from its "start" to its end."""

    media_type = "text/event-stream"

    def __init__(self, run: Run, start: bytes, first: str = "start") -> None:
        # Not Response.__init__: with no body there must be no content-length either.
        self.status_code = 200
        self.background = None
        self.init_headers({"cache-control": "no-cache", "x-accel-buffering": "no"})
        self.run = run
        self.start = start
        self.first = first  # "start", or "queued" for a run that waits in the job queue

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        run = self.run
        limit_send_buffer(scope)  # back-pressure after ~64 KiB, not the kernel's megabytes
        paced = Paced(run)  # what waits for a slow client: a few progress events, the end
        gone = asyncio.ensure_future(_disconnect(receive))
        try:
            await send({"type": "http.response.start", "status": self.status_code,
                        "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": event(self.first, self.start),
                        "more_body": True})
            while True:
                getter = asyncio.ensure_future(paced.next())
                done, _ = await asyncio.wait({getter, gone},
                                             return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    return
                message = getter.result()
                await send({"type": "http.response.body", "more_body": True,
                            "body": event(message[0], message[-1])})
                if message[0] in FINAL:
                    break
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away while we wrote to it
            pass
        finally:
            paced.close()
            gone.cancel()
            with contextlib.suppress(Exception):
                run.cancel()


def describe() -> dict[str, Any]:
    """The OpenAPI description of the stream, for the route's 200 response."""
    return {"text/event-stream": {"schema": {
        "type": "string",
        "description": "server-sent events: start, progress…, then done (the JSON body) or "
                       "error (the envelope)"}}}
