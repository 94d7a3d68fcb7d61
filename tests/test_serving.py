"""Serving on a network: timeouts, connection caps, back-pressure, allowed hosts, rate limits.

The connection-level guards live in the protocol `backprop-lab serve` installs, so those
tests start the real command in a subprocess on a free loopback port (as tests/test_cli.py
does) and talk to it over raw sockets. Nothing here asserts a time: a timeout of a second
or two is configured, and a test waits up to many times that ("closed within the hang
guard") for the state it expects. The rest uses in-process apps and units.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.backpressure import Paced, Pending
from app.api.connections import BodyDeadline
from app.api.hosts import AllowedHosts, host_name, relative
from app.api.ratelimit import TokenBuckets, client_key
from app.api.serving import LOOPBACK_HOSTS, Serving, add_arguments, from_args, parse_rate
from app.main import create_app
from app.training.example import SEED_004_RUN
from tests.helpers import assert_error, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
GUARD = 30.0  # the hang guard: far beyond every configured timeout


# ------------------------------------------------------------------------ a real server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(*flags: str) -> Iterator[int]:
    """`python -m app serve --port P FLAGS`, with none of this session's BACKPROP_LAB_*
    variables (tests/__init__.py): the served defaults, changed only by FLAGS."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_LAB_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--quiet", *flags],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", server, GUARD)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=GUARD)


def read_until_closed(sock: socket.socket, guard: float = GUARD) -> bytes:
    """Everything the server sends until it closes the connection (a reset counts as
    closed); fails if it is still open after `guard` seconds."""
    data = b""
    deadline = time.monotonic() + guard
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        except TimeoutError:
            raise AssertionError(f"still open after {guard} s; got {data[:200]!r}") from None
        if not chunk:
            return data
        data += chunk


def trickle_until_closed(sock: socket.socket, byte: bytes, guard: float = GUARD) -> bytes:
    """Send one byte every 0.2 s until the server answers and closes."""
    data = b""
    deadline = time.monotonic() + guard
    while time.monotonic() < deadline:
        try:
            sock.sendall(byte)
        except (BrokenPipeError, ConnectionResetError):
            break
        sock.settimeout(0.2)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    else:
        raise AssertionError(f"still open after {guard} s of trickling")
    try:
        return data + read_until_closed(sock, 5)
    except AssertionError:
        return data


def parse_http(data: bytes) -> SimpleNamespace:
    """A raw HTTP/1.1 answer as the little assert_error needs."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip()
               for k, _, v in (line.partition(":") for line in lines[1:])}
    return SimpleNamespace(status_code=int(lines[0].split()[1]), headers=headers,
                           text=body.decode())


def request(port: int, target: str = "/healthz", host: str | None = None,
            method: str = "GET") -> SimpleNamespace:
    with closing(connect(port)) as sock:
        sock.sendall(f"{method} {target} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\n"
                     "Connection: close\r\n\r\n".encode())
        return parse_http(read_until_closed(sock))


@pytest.fixture(scope="module")
def short() -> Iterator[int]:
    """A server with timeouts of a second or two, and one more allowed host."""
    with served("--header-timeout", "1", "--body-timeout", "2", "--keep-alive-timeout", "1",
                "--allowed-host", "lab.example") as port:
        yield port


def test_idle_connections_are_closed(short: int) -> None:
    sockets = [connect(short) for _ in range(50)]
    try:
        for sock in sockets:
            assert read_until_closed(sock) == b""  # nothing sent, nothing answered: closed
    finally:
        for sock in sockets:
            sock.close()


def test_an_idle_keep_alive_connection_is_closed(short: int) -> None:
    with closing(connect(short)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b'{"status":"ok"}')


def test_the_next_request_on_a_connection_has_the_same_deadline(short: int) -> None:
    with closing(connect(short)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(GUARD)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        answer = parse_http(trickle_until_closed(sock, b"a"))
    assert_error(answer, 408, "timeout")


def test_trickled_headers_get_408_and_are_closed(short: int) -> None:
    with closing(connect(short)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        answer = parse_http(trickle_until_closed(sock, b"a"))
    assert_error(answer, 408, "timeout")


def test_a_trickled_body_gets_408_and_is_closed(short: int) -> None:
    with closing(connect(short)) as sock:
        sock.sendall(b"POST /api/graph HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        answer = parse_http(trickle_until_closed(sock, b" "))
    assert_error(answer, 408, "timeout")
    assert answer.headers["connection"] == "close"


def test_a_body_left_unread_after_an_early_answer_is_cut_off(short: int) -> None:
    with closing(connect(short)) as sock:
        sock.sendall(b"POST /api/graph HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{")
        data = trickle_until_closed(sock, b" ")
    assert_error(parse_http(data), 413, "too_large")


def test_a_malformed_or_huge_head_is_a_400_envelope(short: int) -> None:
    """h11 buffers at most 16 KiB of a head it has not parsed yet."""
    for head in (b"NONSENSE\r\n\r\n",
                 b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20_000):
        with closing(connect(short)) as sock:
            sock.sendall(head)
            assert_error(parse_http(read_until_closed(sock)), 400, "request")


def test_the_served_app_answers_only_its_hosts(short: int) -> None:
    assert request(short, host=f"localhost:{short}").status_code == 200
    assert request(short, host="lab.example").status_code == 200  # --allowed-host
    error = assert_error(request(short, host="evil.example"), 400, "host")
    assert error["args"]["host"] == "evil.example"
    redirect = request(short, "/docs/", host=f"127.0.0.1:{short}")
    assert redirect.status_code == 307 and redirect.headers["location"] == "/docs"


def test_a_client_over_its_connection_cap_gets_429() -> None:
    with served("--max-connections-per-client", "4", "--header-timeout", "60") as port:
        held = [connect(port) for _ in range(4)]
        try:
            time.sleep(0.5)  # the server has counted them (the answer below waits anyway)
            with closing(connect(port)) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                answer = parse_http(read_until_closed(sock))
            assert_error(answer, 429, "too_many_connections")
            assert answer.headers["retry-after"] == "1"
            with closing(connect(port)) as silent:  # over the cap and silent: closed soon
                assert read_until_closed(silent, 15) == b""
            held.pop().close()
            deadline = time.monotonic() + GUARD
            while request(port).status_code != 200:  # the freed place is counted back
                assert time.monotonic() < deadline
                time.sleep(0.2)
        finally:
            for sock in held:
                sock.close()


def test_a_server_over_its_connection_cap_answers_503() -> None:
    with served("--max-connections", "4", "--header-timeout", "60") as port:
        held = [connect(port) for _ in range(4)]
        try:
            time.sleep(0.5)
            with closing(connect(port)) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                answer = parse_http(read_until_closed(sock))
            assert_error(answer, 503, "busy")
            assert answer.headers["retry-after"] == "1"
        finally:
            for sock in held:
                sock.close()


def test_a_stream_client_that_never_reads_is_let_go() -> None:
    """The run keeps sending (a progress event every 100 passes); the client reads
    nothing. The server's writer waits (back-pressure), the connection is dropped after
    the send timeout and the run is cancelled: `done` is never written to it."""
    body = json.dumps({**SEED_004_RUN, "passes": 100_000, "progress_every": 1}).encode()
    with served("--send-timeout", "2") as port:
        with closing(connect(port)) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(b"POST /api/train HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Accept: text/event-stream\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status = f"http://127.0.0.1:{port}/api/train/status"
            deadline = time.monotonic() + 90
            started = False
            while True:  # without reading a byte of the stream
                running = httpx.get(status, timeout=5).json()["running"]
                started = started or running == 1
                if started and running == 0:
                    break
                assert time.monotonic() < deadline, "the run was never let go"
                time.sleep(0.2)
            data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200") or data == b""
    assert b"event: done" not in data


def test_behind_a_proxy_the_rate_limit_counts_forwarded_clients() -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1: each forwarded client has its own
    bucket (here 2 tokens, refilled once in 1,000 s)."""
    with served("--rate-limit", "0.001/2") as port:
        def compute(client: str, k: int) -> int:
            return httpx.post(f"http://127.0.0.1:{port}/api/graph",
                              json={"source": f"f = {k}"},
                              headers={"x-forwarded-for": client}, timeout=GUARD).status_code
        assert [compute("203.0.113.1", k) for k in range(3)] == [200, 200, 429]
        assert [compute("203.0.113.2", k) for k in range(3, 6)] == [200, 200, 429]


# ------------------------------------------------------------------------ hosts, in process


def app_client(host: str = "localhost:8000", **settings: Any) -> TestClient:
    return TestClient(create_app(Serving(**settings)), base_url=f"http://{host}")


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:5", "[::1]:8000",
                                  "[::1]", "LOCALHOST.", "[0:0:0:0:0:0:0:1]:80"])
def test_loopback_names_are_allowed_by_default(host: str) -> None:
    assert app_client(host).get("/healthz").status_code == 200


@pytest.mark.parametrize("host", ["testserver", "evil.example", "evil.example:8000",
                                  "localhost.evil.example", "127.0.0.2", "[::2]:80",
                                  "localhost:80:80", "localhost:abc", "[::1", ""])
def test_other_hosts_are_refused_in_the_envelope(host: str) -> None:
    client = app_client()
    response = client.get("/healthz", headers={"host": host})
    assert_error(response, 400, "host")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert_error(client.post("/api/graph", json={"source": "f = 1"}, headers={"host": host}),
                 400, "host")


def test_redirects_never_carry_the_host() -> None:
    for client, host in ((app_client(), "localhost:8000"),
                         (app_client(allowed_hosts=("*",)), "evil.example")):
        response = client.get("/docs/", headers={"host": host}, follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == "/docs"


def test_host_parsing_and_matching() -> None:
    assert host_name("Example.ORG.:8000") == "example.org"
    assert host_name("[::1]:8000") == host_name("[0::1]") == "::1"
    assert host_name("::1") is None and host_name("a:b") is None and host_name("[::1]x") is None
    allowed = AllowedHosts(["*.example.org", "lab.local", "[::1]"])
    assert "a.example.org" in allowed and "example.org" not in allowed
    assert "lab.local" in allowed and "::1" in allowed and "localhost" not in allowed
    assert relative(b"http://h:1/docs?x=1", "h:1") == b"/docs?x=1"
    assert relative(b"http://h:1//evil.example/", "h:1") == b"/evil.example/"
    assert relative(b"https://elsewhere.example/", "h:1") == b"https://elsewhere.example/"


def serve_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_serve_flags_and_environment() -> None:
    assert from_args(serve_args(), env={}).allowed_hosts == LOOPBACK_HOSTS
    assert from_args(serve_args("--host", "0.0.0.0"), env={}).allowed_hosts == LOOPBACK_HOSTS
    assert from_args(serve_args("--host", "::"), env={}).allowed_hosts == LOOPBACK_HOSTS
    named = from_args(serve_args("--host", "192.168.1.5", "--allowed-host", "Lab.Example",
                                 "--allowed-host", "[fe80::1]"),
                      env={"BACKPROP_LAB_ALLOWED_HOSTS": "proxy.example, other.example"})
    assert named.allowed_hosts == LOOPBACK_HOSTS + (
        "proxy.example", "other.example", "192.168.1.5", "lab.example", "fe80::1")
    env = {"BACKPROP_LAB_RATE_LIMIT": "5/50", "BACKPROP_LAB_HEADER_TIMEOUT": "3"}
    assert from_args(serve_args(), env=env).rate_limit == (5.0, 50.0)
    assert from_args(serve_args("--rate-limit", "off"), env=env).rate_limit is None
    assert from_args(serve_args("--header-timeout", "2"), env=env).header_timeout == 2.0
    assert from_args(serve_args(), env=env).header_timeout == 3.0
    with pytest.raises(ValueError, match="BACKPROP_LAB_BODY_TIMEOUT"):
        Serving.from_env({"BACKPROP_LAB_BODY_TIMEOUT": "-1"})
    with pytest.raises(SystemExit):
        serve_args("--rate-limit", "lots")
    settings = from_args(serve_args("--host", "lab.local", "--rate-limit", "2/20"), env={})
    written: dict[str, str] = {}
    settings.to_env(written)
    assert Serving.from_env(written) == settings
    assert parse_rate("0") is None and parse_rate("3") == (3.0, 30.0)


def test_the_app_reads_its_settings_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("BACKPROP_LAB_ALLOWED_HOSTS", "lab.example")
    monkeypatch.setenv("BACKPROP_LAB_RATE_LIMIT", "0.001/1")
    client = TestClient(create_app(), base_url="http://lab.example")
    assert client.post("/api/graph", json={"source": "f = 1"}).status_code == 200
    assert_error(client.post("/api/graph", json={"source": "f = 2"}), 429, "rate_limited")
    assert_error(client.get("/healthz", headers={"host": "testserver"}), 400, "host")


def test_serve_hands_uvicorn_the_guards(monkeypatch, capsys) -> None:
    import uvicorn

    from app.cli.main import main

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    monkeypatch.setattr(os, "environ", {})
    assert main(["serve", "--host", "0.0.0.0", "--header-timeout", "3"]) == 0
    assert "--allowed-host" in capsys.readouterr().err  # every interface, loopback names
    options = calls[0]
    assert options["http"] == "app.api.connections:GuardedH11Protocol"
    assert options["ws"] == "none" and options["timeout_keep_alive"] == 5
    assert options["h11_max_incomplete_event_size"] == 16 * 1024
    assert Serving.from_env(os.environ).header_timeout == 3.0  # for the app and workers
    assert main(["serve", "--host", "lab.local"]) == 0
    assert "--allowed-host" not in capsys.readouterr().err
    assert "lab.local" in Serving.from_env(os.environ).allowed_hosts
    os.environ["BACKPROP_LAB_BODY_TIMEOUT"] = "soon"
    assert main(["serve"]) == 2
    assert "BACKPROP_LAB_BODY_TIMEOUT" in capsys.readouterr().err


def test_the_defaults_are_the_documented_ones() -> None:
    d = Serving()
    assert d.allowed_hosts == ("localhost", "127.0.0.1", "::1")
    assert (d.header_timeout, d.body_timeout, d.send_timeout, d.keep_alive_timeout) == (
        10, 30, 30, 5)
    assert (d.max_connections_per_client, d.rate_limit, d.max_clients_tracked) == (
        256, (30, 300), 10_000)
    assert d.max_connections <= 2048
    # the README and the limits page it links to
    readme = "\n".join((ROOT / name).read_text(encoding="utf-8")
                       for name in ("README.md", "docs/limits.md"))
    security = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    flags = [a.option_strings[0] for a in parser._actions if a.option_strings[0] != "-h"]
    assert len(flags) == 8
    for flag in flags:
        assert f"`{flag}" in readme and f"`{flag}" in security, flag
        variable = "BACKPROP_LAB_" + flag[2:].upper().replace("-", "_")
        if flag == "--allowed-host":
            variable += "S"
        assert f"`{variable}`" in security, variable
    for type_ in ("host", "timeout", "rate_limited", "too_many_connections", "busy"):
        assert f"`{type_}`" in readme and f"`{type_}`" in security, type_


# ------------------------------------------------------------------------ the rate limit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refills_at_its_rate_up_to_its_size() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=5.0, clock=clock)
    assert [buckets.take("a") for _ in range(5)] == [0.0] * 5
    assert buckets.take("a") == pytest.approx(0.5)  # one token at 2 a second
    assert buckets.take("b") == 0.0  # another client has its own bucket
    clock.now += 1.0
    assert [buckets.take("a") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a") > 0
    clock.now += 1_000
    assert buckets.take("a", cost=10) == 0.0  # a cost over the bucket's size empties it
    assert buckets.take("a") == pytest.approx(0.5)


def test_tracked_clients_are_bounded() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1.0, max_clients=100, clock=Clock())
    for k in range(10_000):
        buckets.take(f"10.0.{k // 256}.{k % 256}")
    assert len(buckets) == 100


def test_clients_are_addresses_and_ipv6_networks() -> None:
    assert client_key("203.0.113.7") == "203.0.113.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_key("testclient") == "testclient" and client_key(None) == "-"


def test_expensive_routes_are_rate_limited_and_cached_answers_are_not() -> None:
    client = app_client(rate_limit=(0.001, 3.0))  # 3 tokens, then one every 1,000 s
    assert client.post("/api/graph", json={"source": "f = 1"}).status_code == 200
    assert client.post("/api/graph", json={"source": "f = 1"}).status_code == 200  # kept now
    assert client.post("/api/graph", json={"source": "f = 2"}).status_code == 200
    refused = client.post("/api/graph", json={"source": "f = 3"})
    error = assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["retry-after"]) == error["args"]["retry_after"] >= 1
    assert refused.headers["content-security-policy"]  # the usual headers too
    for _ in range(20):  # the cached answer costs nothing
        assert client.post("/api/graph", json={"source": "f = 1"}).status_code == 200
    assert_error(client.post("/api/network", json={"sizes": [2, 2]}), 429, "rate_limited")
    assert_error(client.post("/api/train", json=SEED_004_RUN), 429, "rate_limited")
    assert_error(client.post("/api/graph", json={"source": "f = 3"}), 429, "rate_limited")
    assert client.get("/api/ops").status_code == 200  # cheap routes are not limited


def test_a_training_run_costs_ten() -> None:
    client = app_client(rate_limit=(0.001, 12.0))
    for k in range(3):
        assert client.post("/api/graph", json={"source": f"f = {k}"}).status_code == 200
    assert_error(client.post("/api/train", json=SEED_004_RUN), 429, "rate_limited")  # 9 < 10


def test_no_rate_limit_when_off() -> None:
    client = app_client(rate_limit=None)
    for k in range(50):
        assert client.post("/api/graph", json={"source": f"f = {k}"}).status_code == 200


# ------------------------------------------------------------------------ units


def run_async(coroutine: Any) -> Any:
    # in a thread of its own: the browser tests' sync Playwright keeps a loop on this one
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_slow_reader_holds_a_few_progress_events_and_every_end() -> None:
    async def scenario() -> tuple[list[int], list[tuple[Any, ...]], int]:
        pending = Pending(max_progress=4)
        pending.put(("start", b"s"))
        sizes = []
        for k in range(10_000):  # the worker keeps going, nobody writes
            pending.put(("progress", k))
            sizes.append(len(pending))
        pending.put(("done", b"d"))
        pending.put(("error", 503, b"e"))
        out = [await pending.get() for _ in range(len(pending))]
        return sizes, out, pending.dropped

    sizes, out, dropped = run_async(scenario())
    assert max(sizes) == 5 and dropped == 10_000 - 4
    assert out == [("start", b"s"), *[("progress", k) for k in range(9_996, 10_000)],
                   ("done", b"d"), ("error", 503, b"e")]


def test_paced_reads_the_run_while_the_writer_waits() -> None:
    class FakeRun:
        def __init__(self) -> None:
            self.queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

        async def next(self) -> tuple[Any, ...]:
            return await self.queue.get()

    async def scenario() -> tuple[int, int, list[tuple[Any, ...]]]:
        run = FakeRun()
        paced = Paced(run)
        for k in range(1, 1001):
            run.queue.put_nowait(("progress", k))
        run.queue.put_nowait(("error", 503, b"e"))
        for _ in range(50):  # the writer is stuck in a send: the reader drains the run
            await asyncio.sleep(0)
        held, left = len(paced.pending), run.queue.qsize()
        out = [await paced.next() for _ in range(held)]
        paced.close()
        return held, left, out

    held, left, out = run_async(scenario())
    assert (held, left) == (5, 0)
    assert out == [("progress", k) for k in range(997, 1001)] + [("error", 503, b"e")]


class FakeTransport:
    """The server side of a real loopback TCP connection, as asyncio would hand it over."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.written = b""
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"socket": self.sock, "peername": self.sock.getpeername(),
                "sockname": self.sock.getsockname()}.get(name, default)

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def test_a_stream_can_cap_its_kernel_send_buffer() -> None:
    """The protocol offers each request a way to cap its socket's send buffer; a training
    stream uses it, so back-pressure reaches the app after ~64 KiB, not megabytes."""
    import uvicorn
    from uvicorn.server import ServerState

    from app.api.connections import SEND_BUFFER, GuardedH11Protocol, limit_send_buffer

    seen: list[dict[str, Any]] = []

    async def app(scope, receive, send) -> None:
        seen.append(scope)

    async def scenario() -> tuple[int, int, str]:
        with socket.create_server(("127.0.0.1", 0)) as listener, \
                socket.create_connection(listener.getsockname()):
            server_side, _ = listener.accept()
            with server_side:
                before = server_side.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
                config = uvicorn.Config(app, log_level="warning")
                protocol = GuardedH11Protocol(config=config, server_state=ServerState(),
                                              app_state={})
                protocol.connection_made(FakeTransport(server_side))  # type: ignore[arg-type]
                kind = protocol.deadline_kind  # waiting for a head
                protocol.data_received(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                await asyncio.sleep(0.05)
                assert protocol.deadline_kind == ""  # the app has the request now
                assert SEND_BUFFER in seen[0]["extensions"]
                limit_send_buffer(seen[0], 64 * 1024)
                after = server_side.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
                protocol.connection_lost(None)
                assert not protocol.guard.open  # counted out again
                return before, after, kind

    before, after, kind = run_async(scenario())
    assert kind == "head"
    assert after <= 2 * 64 * 1024 < before  # Linux doubles the figure it is given
    limit_send_buffer({"type": "http"})  # elsewhere (the test client): nothing to do


def test_body_deadline_answers_408_in_the_envelope() -> None:
    async def slow_app(scope, receive, send) -> None:
        while (await receive()).get("more_body"):
            pass
        raise AssertionError("the body cannot have ended")

    async def scenario() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        parts = iter([{"type": "http.request", "body": b"{", "more_body": True}])

        async def receive() -> dict[str, Any]:
            part = next(parts, None)
            if part is None:
                await asyncio.sleep(3600)  # the rest never comes
            return part

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/api/graph",
                 "headers": [(b"content-length", b"100")]}
        await asyncio.wait_for(BodyDeadline(slow_app, 0.05)(scope, receive, send), GUARD)
        return sent

    sent = run_async(scenario())
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]
    response = SimpleNamespace(status_code=408, text=sent[1]["body"].decode(),
                               headers=dict((k.decode(), v.decode())
                                            for k, v in sent[0]["headers"]))
    assert_error(response, 408, "timeout")
