"""The ASGI app: `uvicorn app.main:app`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from app.api import errors, lesson, pages
from app.api.cache import ResponseCache
from app.api.connections import BodyDeadline
from app.api.hosts import HostCheck
from app.api.ratelimit import RateLimit, TokenBuckets
from app.api.routes import router
from app.api.serving import Serving
from app.limits import DEFAULT_LIMITS
from app.training import backend
from app.training.pool import POOL

DESCRIPTION = (
    "Backprop Lab turns a formula into a circuit of gates and returns every value "
    "(forward pass) and gradient (backward pass), with a step trace that says which "
    "chain-rule product made each number. Errors share one envelope: "
    '`{"error": {"type", "message", "summary", "line", "column", "end_line", "end_column", '
    '"key", "args"}}`.'
)


# Threads that evaluate programs at once. The work is Python holding the GIL, so more
# threads only make them, and the event loop answering cached requests, wait longer
# for it; a few keep a long request from blocking the short ones.
EVALUATION_THREADS = 4
GZIP_MIN_BYTES = 32 * 1024


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = EVALUATION_THREADS
    training = backend.current(POOL)  # the job queue if BACKPROP_LAB_REDIS_URL is set
    training.attach()  # runs shared across --workers; SIGTERM stops them; see app/training/pool.py
    # What is alive once the app is up (its modules, routes, models: tens of thousands of
    # objects) lives as long as the server: out of the cyclic collector's sight, a full
    # collection walks only what requests made since. Else each one, a few a minute under
    # load, stopped the event loop for 30–170 ms, and every request waiting with it.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()  # an app started and stopped in a longer-lived process (the tests)
        # Training workers start with the first POST /api/train; they end with the app.
        await anyio.to_thread.run_sync(training.shutdown)


def create_app(serving: Serving | None = None) -> FastAPI:
    """The app; `serving` (hosts, timeouts, rate limit) defaults to the environment's."""
    serving = Serving.from_env() if serving is None else serving
    app = FastAPI(title="Backprop Lab", version="0.1.0", description=DESCRIPTION,
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    errors.install(app)
    app.include_router(router)
    app.include_router(lesson.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    app.mount("/docs-static", StaticFiles(directory=pages.swagger_dir()), name="docs-static")
    app.state.serving = serving
    # The last added is the outermost: security headers, Host, body deadline, size cap,
    # cache, then the rate limit, which a cached answer never reaches (app/api/ratelimit.py).
    if serving.rate_limit is not None:
        app.add_middleware(RateLimit, buckets=TokenBuckets(
            *serving.rate_limit, max_clients=serving.max_clients_tracked))
    app.add_middleware(ResponseCache)  # inside the size cap: it sees only bounded bodies
    # Outside the cache (which keys on the body alone, not on Accept-Encoding). Answers
    # under GZIP_MIN_BYTES go as they are: on a small answer compressing costs more server
    # time than it saves. Server-sent events are never compressed (they would be buffered).
    # Level 1: a 20 MB answer (micrograd's demo network) in 0.17 s where level 5 took 0.54,
    # for 25% more bytes (80 a gate instead of 66): the server's time is the scarce part.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=1)
    app.add_middleware(errors.BodyLimit, max_bytes=DEFAULT_LIMITS.max_body_bytes)
    app.add_middleware(BodyDeadline, seconds=serving.body_timeout)
    app.add_middleware(HostCheck, allowed=serving.allowed_hosts)
    app.add_middleware(pages.SecurityHeaders)
    return app


app = create_app()
