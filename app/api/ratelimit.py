"""A per-client token bucket for the routes that cost the server real work.

Each client (an IP address; an IPv6 client by its /64, which one host usually holds
whole) has a bucket of `burst` tokens, refilled at `rate` tokens a second. A request to
an expensive route takes its cost from the bucket; with too few tokens it is answered 429
`rate_limited` with `Retry-After`, the whole seconds until the bucket holds enough. The
buckets live in memory, at most `max_clients` of them, the least recently seen dropped
first (a dropped bucket was idle longest, and an idle bucket is full anyway).

The middleware sits inside the response cache (app/api/cache.py): an answer the cache
already holds costs a dictionary lookup, so it costs no token either, and a class that
loads the same presets over and over never meets the limit. Behind a reverse proxy the
client is the address the proxy forwards (uvicorn's proxy headers, trusted from
FORWARDED_ALLOW_IPS); see SECURITY.md.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import StrictJSONResponse, error_response

# (method, path) → tokens taken. A training run costs ten: it holds a worker for seconds.
COSTS: dict[tuple[str, str], float] = {
    ("POST", "/api/graph"): 1.0,
    ("POST", "/api/network"): 1.0,
    ("POST", "/api/train"): 10.0,
    ("POST", "/api/lesson"): 5.0,  # several answers: as written, expanded, the nudge plots
}


@lru_cache(maxsize=4096)
def client_key(host: str | None) -> str:
    """Whom a request counts against: the IPv4 address, an IPv6 address's /64 (an
    IPv4-mapped address as IPv4), or the name as given (the test client's "testclient")."""
    if not host:
        return "-"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(slots=True)
class Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """The buckets of every client seen lately; `take` is the whole interface."""

    def __init__(self, rate: float, burst: float, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, cost: float = 1.0) -> float:
        """Take `cost` tokens from `key`'s bucket: 0.0 if they were there, else the seconds
        until they will be (nothing is taken then). A cost above the bucket's size costs
        the whole bucket."""
        cost = min(cost, self.burst)
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = Bucket(self.burst, now)
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / self.rate


def refusal(wait: float) -> StrictJSONResponse:
    """429 in the envelope, with Retry-After in whole seconds (at least 1)."""
    seconds = max(1, math.ceil(wait))
    return error_response(429, "rate_limited", f"too many requests from your address; try "
                          f"again in {seconds} s", key="rate_limited",
                          args={"retry_after": seconds}, headers={"retry-after": str(seconds)})


class RateLimit:
    """ASGI middleware: the expensive routes take tokens from their client's bucket."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets,
                 costs: dict[tuple[str, str], float] | None = None) -> None:
        self.app = app
        self.buckets = buckets
        self.costs = COSTS if costs is None else costs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cost = (self.costs.get((scope["method"], scope["path"]))
                if scope["type"] == "http" else None)
        if cost is not None:
            client = scope.get("client")
            wait = self.buckets.take(client_key(client[0] if client else None), cost)
            if wait > 0:
                await refusal(wait)(scope, receive, send)
                return
        await self.app(scope, receive, send)
