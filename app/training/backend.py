"""Which training backend the server uses: its own worker processes, or a job queue.

The in-process pool (app/training/pool.py) is the default and needs nothing. With
BACKPROP_LAB_REDIS_URL set (`backprop-lab serve --redis URL` sets it), runs go to the
RQ queue on that Redis server (app/training/queue.py) and are trained by
`backprop-lab worker` processes on any machine. The routes and the app's lifespan ask
`current()` each time, so a server started with the variable uses the queue throughout.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import anyio.to_thread

from app.training import channel
from app.training.pool import Run, TrainingPool
from app.training.queue import QueuedRun, QueuePool

Backend = TrainingPool | QueuePool

_QUEUES: dict[str, QueuePool] = {}  # one per Redis URL, made on first use


def current(default: TrainingPool) -> Backend:
    """The queue of BACKPROP_LAB_REDIS_URL if it is set, else `default` (the server's pool)."""
    url = channel.redis_url()
    if url is None:
        return default
    if url not in _QUEUES:
        _QUEUES[url] = QueuePool(url)
    return _QUEUES[url]


async def submit(pool: Backend, job: dict[str, Any], stream: bool,
                 client: str) -> Run | QueuedRun:
    """Start a run from a request: on the in-process pool at once (it only writes to a
    pipe); on the queue in a thread, since its Redis round trips would otherwise hold the
    event loop, and every /api/graph with it, for as long as Redis takes to answer."""
    if isinstance(pool, QueuePool):
        loop = asyncio.get_running_loop()
        return await anyio.to_thread.run_sync(partial(pool.submit, job, stream, client,
                                                      loop=loop))
    return pool.submit(job, stream, client)
