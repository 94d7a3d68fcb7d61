"""A response cache for POST /api/graph, keyed by the exact request body.

An answer is a pure function of the body: the same program, values and
options always give the same bytes (errors included). A classroom sends the
same presets over and over, so remembering recent answers turns most of a
class's requests into a dictionary lookup and leaves the CPU for the edits.

The cache sits inside the body-size cap (the body is already whole and
bounded when it arrives here) and holds at most `max_bytes` of answers, least
recently used first out; an answer bigger than `max_entry` is never kept, so
one huge circuit cannot push out a class's presets. An answer is kept only
the second time its body is seen (the first time only the body's hash is
remembered, in a bounded set), so a stream of one-off edits neither fills the
memory nor pushes the presets out. Only answers that depend on the body alone
(200, 400, 413, 422) are kept. Nothing else
about a request (headers, client) changes an answer, so nothing else is in
the key.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import replay_body

CACHED_PATHS = frozenset({"/api/graph"})
# Answers that are a function of the body alone: not a 5xx, not a 499 (a client gone).
KEPT_STATUSES = frozenset({200, 400, 413, 422})


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 64


class LRU:
    """Answers by key, bounded by their total size."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[bytes, Answer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: bytes) -> Answer | None:
        answer = self._items.get(key)
        if answer is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return answer

    def put(self, key: bytes, answer: Answer) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.size -= old.size
        self._items[key] = answer
        self.size += answer.size
        while self.size > self.max_bytes and self._items:
            _, dropped = self._items.popitem(last=False)
            self.size -= dropped.size


class ResponseCache:
    """ASGI middleware: answer a repeated POST body from memory."""

    def __init__(self, app: ASGIApp, max_bytes: int = 32 * 2**20,
                 max_entry: int = 512 * 2**10, max_seen: int = 2048) -> None:
        self.app = app
        self.max_entry = max_entry
        self.lru = LRU(max_bytes)
        self.seen: OrderedDict[bytes, None] = OrderedDict()  # asked once, not yet kept
        self.max_seen = max_seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST"
                or scope["path"] not in CACHED_PATHS):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # the client went away: let the app see it
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        key = hashlib.blake2b(scope["path"].encode() + b"\0" + content_type + b"\0" + body,
                              digest_size=20).digest()
        answer = self.lru.get(key)
        if answer is not None:
            await send({"type": "http.response.start", "status": answer.status,
                        "headers": list(answer.headers)})
            await send({"type": "http.response.body", "body": answer.body})
            return

        if key not in self.seen:
            self.seen[key] = None
            if len(self.seen) > self.max_seen:
                self.seen.popitem(last=False)
            await self.app(scope, replay_body(body, receive), send)
            return
        del self.seen[key]

        start: Message | None = None
        parts: list[bytes] = []
        size = 0
        keep = True

        async def record(message: Message) -> None:
            nonlocal start, size, keep
            if message["type"] == "http.response.start":
                start = message
                keep = message["status"] in KEPT_STATUSES
            elif message["type"] == "http.response.body" and keep:
                size += len(message.get("body", b""))
                if size > self.max_entry:
                    keep = False
                    parts.clear()
                else:
                    parts.append(message.get("body", b""))
                if keep and not message.get("more_body", False) and start is not None:
                    headers = tuple((bytes(k), bytes(v)) for k, v in start.get("headers", []))
                    self.lru.put(key, Answer(start["status"], headers, b"".join(parts)))
            await send(message)

        await self.app(scope, replay_body(body, receive), record)
