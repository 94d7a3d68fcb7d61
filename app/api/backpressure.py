"""What a training stream holds for a client that reads slowly, or not at all: a bounded
amount.

uvicorn applies back-pressure to `send`: once the connection's write buffer is over its
high-water mark (64 KiB) the next `send` waits until the client has read it down. Where
does the run's output go meanwhile? The worker keeps training and keeps sending
progress. `Paced` reads the run all the time and keeps only what the client still needs:
every start, done and error, and of the progress events the latest few (MAX_PROGRESS)
— an older one waiting is dropped for a newer, since each carries the whole state
(parameters, boundary, accuracy) and `done` carries the whole loss history. So a stream
holds at most four progress events and its end, however long the client does not read.

The kernel's own send buffer would hide the problem for a few megabytes before the
server noticed; the stream caps it (app/api/connections.py `limit_send_buffer`), so a
slow client sees recent progress, not a backlog.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Protocol

Message = tuple[Any, ...]
KEPT = ("start", "done", "error")  # never dropped; anything else (progress) may be
MAX_PROGRESS = 4  # progress messages a stream holds for a client that does not keep up


class Source(Protocol):
    async def next(self) -> Message: ...


class Pending:
    """Messages not yet written, in order, holding at most `max_progress` progress
    messages: one more drops the oldest still waiting. Start, done and error are always
    kept. (A few, not one: a burst that arrives while the writer is between two sends is
    not a slow client.)"""

    def __init__(self, max_progress: int = MAX_PROGRESS) -> None:
        self.max_progress = max_progress
        self._items: deque[Message] = deque()
        self._progress = 0
        self._ready = asyncio.Event()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, message: Message) -> None:
        if message[0] not in KEPT:
            if self._progress >= self.max_progress:
                oldest = next(m for m in self._items if m[0] not in KEPT)
                self._items.remove(oldest)
                self._progress -= 1
                self.dropped += 1
            self._progress += 1
        self._items.append(message)
        self._ready.set()

    async def get(self) -> Message:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        message = self._items.popleft()
        if message[0] not in KEPT:
            self._progress -= 1
        return message


class Paced:
    """A run's messages for a stream: read from the run as they come, handed out as the
    stream can write them (`next`), at most MAX_PROGRESS progress events waiting."""

    def __init__(self, run: Source, final: tuple[str, ...] = ("done", "error")) -> None:
        self.pending = Pending()
        self._final = final
        self._reader = asyncio.ensure_future(self._read(run))

    async def _read(self, run: Source) -> None:
        while True:
            message = await run.next()
            self.pending.put(message)
            if message[0] in self._final:
                return

    async def next(self) -> Message:
        return await self.pending.get()

    def close(self) -> None:
        self._reader.cancel()
