"""The response cache of POST /api/graph: same body, same bytes, bounded memory."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from app.api.cache import LRU, Answer, ResponseCache
from app.main import create_app


class Counting:
    """A stand-in app that answers with the body it got and counts its calls."""

    def __init__(self, status: int = 200, size: int = 0) -> None:
        self.calls = 0
        self.status = status
        self.size = size

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        message = await receive()
        body = message["body"] + b"x" * self.size
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


def call(app, body: bytes, path: str = "/api/graph", method: str = "POST") -> tuple[int, bytes]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path,
             "headers": [(b"content-type", b"application/json")]}
    # in a thread of its own: the browser tests' sync Playwright keeps a loop on this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_a_body_is_answered_from_memory_from_its_third_request_on() -> None:
    inner = Counting()
    cache = ResponseCache(inner)
    answers = [call(cache, b'{"source": "f = 1"}') for _ in range(5)]
    assert answers == [(200, b'{"source": "f = 1"}')] * 5
    assert inner.calls == 2  # the first sighting is only remembered; the second is kept
    assert cache.lru.hits == 3


def test_one_off_bodies_are_never_kept() -> None:
    cache = ResponseCache(Counting())
    for k in range(100):
        call(cache, f'{{"source": "f = {k}"}}'.encode())
    assert len(cache.lru) == 0
    assert cache.lru.size == 0


def test_the_set_of_bodies_seen_once_is_bounded() -> None:
    cache = ResponseCache(Counting(), max_seen=10)
    for k in range(50):
        call(cache, f"{k}".encode())
    assert len(cache.seen) == 10


def test_server_errors_and_oversized_answers_are_not_kept() -> None:
    failing = Counting(status=503)
    cache = ResponseCache(failing)
    for _ in range(4):
        assert call(cache, b"{}")[0] == 503
    assert failing.calls == 4
    big = Counting(size=2_000)
    cache = ResponseCache(big, max_entry=1_000)
    for _ in range(4):
        assert len(call(cache, b"{}")[1]) == 2_002
    assert big.calls == 4


def test_other_paths_and_methods_pass_through() -> None:
    inner = Counting()
    cache = ResponseCache(inner)
    for _ in range(3):
        call(cache, b"{}", path="/api/other")
        call(cache, b"{}", method="PUT")
    assert inner.calls == 6


def test_the_cache_is_bounded_by_bytes_least_recently_used_first_out() -> None:
    lru = LRU(max_bytes=1_000)
    for k in range(20):
        lru.put(bytes([k]), Answer(200, (), b"x" * 200))
    assert lru.size <= 1_000
    assert lru.get(bytes([19])) is not None
    assert lru.get(bytes([0])) is None
    assert len(lru) == 3
    lru.get(bytes([17]))  # used: outlives 18, which was not
    lru.put(b"new", Answer(200, (), b"y" * 200))
    assert lru.get(bytes([17])) is not None
    assert lru.get(bytes([18])) is None


def test_the_real_app_gives_identical_answers_and_errors_when_cached() -> None:
    client = TestClient(create_app())
    ok = {"source": "x = -2\ny = 5\nz = -4\nf = (x + y) * z\n"}
    bad = {"source": "f = (x + "}
    first_ok = [client.post("/api/graph", json=ok) for _ in range(4)]
    first_bad = [client.post("/api/graph", json=bad) for _ in range(4)]
    assert {r.status_code for r in first_ok} == {200}
    assert len({r.content for r in first_ok}) == 1
    assert json.loads(first_ok[-1].content)["nodes"][-1]["value"] == -12
    assert {r.status_code for r in first_bad} == {400}
    assert len({r.content for r in first_bad}) == 1
    assert all(r.headers["content-security-policy"] for r in first_ok + first_bad)
    assert first_ok[-1].headers["content-type"].startswith("application/json")
