"""Training on the job queue (issue 18): a real redis-server, real `backprop-lab worker` and
`backprop-lab serve` processes, talking through RQ.

Two API processes on two ports stand for two machines of a class's server; a cancel or a
change of pace sent to one reaches the run whose stream the other holds. `serve --workers 2`
is tested too: which of its two processes holds a connection is read from Linux's /proc,
as tests/test_serve_processes.py does. Nothing here times anything: "at once" is a bounded
wait for a state (a hang guard far below what a broken relay would take: a 60 s run, or
for ever).

redis-server is Debian's package (.ci/run installs it). Without it these tests are
skipped on a developer's machine, and fail under CI=true.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.training.example import SEED_004_RUN
from tests.helpers import assert_error, check_envelope, strict_json, wait_until_serving
from tests.test_serve_processes import command, descendants, holder, stat

ROOT = Path(__file__).resolve().parent.parent
SMALL = {**SEED_004_RUN, "passes": 300}
LONG = {**SEED_004_RUN, "passes": 100_000}  # stopped by the tests long before its end
SSE = {"accept": "text/event-stream"}
PROMPTLY = 10.0  # hang guard: a stream ends, a state is reached
STARTING = 60.0  # hang guard: a process answers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = PROMPTLY) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """Server-sent events as (name, JSON data)."""
    name = None
    for line in lines:
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:") and name is not None:
            yield name, strict_json(line[5:])


def as_client(n: int) -> dict[str, str]:
    """Headers of student n: uvicorn takes the client's address from a local proxy's
    X-Forwarded-For, so each has a per-client limit of its own."""
    return {"x-forwarded-for": f"10.1.{n // 250}.{n % 250 + 1}"}


class Redis:
    """A redis-server of our own on a free loopback port, no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="backprop-lab-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(self.answers, STARTING), "redis-server did not start"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def a_redis_server() -> Iterator[Redis]:
    if shutil.which("redis-server") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is missing: .ci/run installs Debian's redis-server")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = Redis()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[Redis]:
    yield from a_redis_server()


@pytest.fixture
def own_redis() -> Iterator[Redis]:
    """A redis-server for one test alone: its status counts that test's processes only."""
    yield from a_redis_server()


class Processes:
    """`backprop-lab worker` and `backprop-lab serve` processes, ended with the test."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def _env(self, url: str, extra: dict[str, str] | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_LAB_")}
        return {**env, "BACKPROP_LAB_REDIS_URL": url, "PYTHONPATH": str(ROOT), **(extra or {})}

    def worker(self, url: str) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "app.cli.main", "worker"],
                                   env=self._env(url, None), cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.started.append(process)
        return process

    def api(self, url: str, extra: dict[str, str] | None = None) -> str:
        return self.serve(url, extra)[0]

    def serve(self, url: str, extra: dict[str, str] | None = None,
              workers: int = 1) -> tuple[str, subprocess.Popen, int]:
        """`backprop-lab serve --workers N --redis URL`: its base URL, process and port."""
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port), "--quiet",
             "--rate-limit", "off", "--workers", str(workers), "--redis", url],
            env=self._env(url, extra), cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.started.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, process, STARTING)
        return base, process, port

    def close(self) -> None:
        """SIGTERM (a worker leaves RQ's register of workers), then SIGKILL for any left."""
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(20)
            if process.poll() is None:
                process.kill()
                process.wait(20)


@pytest.fixture
def processes() -> Iterator[Processes]:
    found = Processes()
    yield found
    found.close()


@pytest.fixture(scope="module")
def apis(redis_server: Redis) -> Iterator[tuple[str, str]]:
    """Two API processes sharing the queue: two machines of the class's server."""
    found = Processes()
    try:
        yield found.api(redis_server.url), found.api(redis_server.url)
    finally:
        found.close()


def workers_seen(base: str) -> int:
    return httpx.get(f"{base}/api/train/status").json()["slots"]


def start_workers(processes: Processes, url: str, base: str, n: int) -> list[subprocess.Popen]:
    """n more workers, once they are registered (a killed worker's record stays a while)."""
    before = workers_seen(base)
    started = [processes.worker(url) for _ in range(n)]
    assert wait_until(lambda: workers_seen(base) >= before + n, STARTING), \
        "the workers did not start"
    return started


@pytest.fixture
def queue_empty_after(apis: tuple[str, str]) -> Iterator[None]:
    """The test leaves no run waiting in the queue for the next test's workers."""
    yield
    assert wait_until(lambda: httpx.get(f"{apis[0]}/api/train/status").json()["queued"] == 0)


class Stream:
    """A run's event stream, read as it comes."""

    def __init__(self, base: str, body: dict[str, Any], headers: dict[str, str] | None = None,
                 client: httpx.Client | None = None):
        self.client = client or httpx.Client(timeout=httpx.Timeout(PROMPTLY, read=PROMPTLY))
        self.response = self.client.send(
            self.client.build_request("POST", f"{base}/api/train", json=body,
                                      headers={**SSE, **(headers or {})}), stream=True)
        assert self.response.status_code == 200, self.response.read()
        self.events = events(self.response.iter_lines())
        self.seen: list[tuple[str, Any]] = []

    def until(self, *kinds: str) -> tuple[str, Any]:
        for name, data in self.events:
            self.seen.append((name, data))
            if name in kinds or name in ("done", "error"):
                return name, data
        raise AssertionError(f"the stream ended without {kinds}: {self.seen}")

    def close(self) -> None:
        self.response.close()
        self.client.close()


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """A run's answer without what differs between any two runs: its id, its seconds."""
    return {k: v for k, v in body.items() if k not in ("run_id", "seconds")}


# ---------------------------------------------------------------- the stream


def test_a_queued_run_streams_and_answers_bit_for_bit_as_in_process(
        redis_server, apis, processes, queue_empty_after) -> None:
    from fastapi.testclient import TestClient

    from app.main import app

    start_workers(processes, redis_server.url, apis[0], 1)
    stream = Stream(apis[0], SMALL, as_client(1))
    try:
        name, started = stream.until("start")
        assert name == "start" and started["passes"] == 300
        name, done = stream.until("done")
    finally:
        stream.close()
    kinds = [n for n, _ in stream.seen]
    assert kinds[0] == "start" and kinds[-1] == "done" and "progress" in kinds, kinds
    assert done["passes_done"] == 300 and done["run_id"] == started["run_id"]
    queued_json = httpx.post(f"{apis[1]}/api/train", json=SMALL, headers=as_client(2),
                             timeout=STARTING)
    assert queued_json.status_code == 200, queued_json.text
    with TestClient(app) as client:  # no Redis in this process: the in-process pool
        local = client.post("/api/train", json=SMALL)
    assert local.status_code == 200, local.text
    # bit for bit: the same JSON text of every number, params, history, boundary, snapshots
    assert json.dumps(comparable(done), sort_keys=True) == \
        json.dumps(comparable(strict_json(local.text)), sort_keys=True)
    assert comparable(strict_json(queued_json.text)) == comparable(strict_json(local.text))


def test_waiting_runs_say_their_place_and_a_worker_started_later_takes_them(
        redis_server, apis, processes, queue_empty_after) -> None:
    streams = [Stream(apis[i % 2], SMALL, as_client(10 + i)) for i in range(3)]
    try:
        firsts = [s.until("queued", "start") for s in streams]
        assert [name for name, _ in firsts] == ["queued"] * 3, firsts
        assert sorted(data["position"] for _, data in firsts) == [1, 2, 3]
        status = httpx.get(f"{apis[1]}/api/train/status").json()
        assert status["queued"] == 3 and status["processes"] >= 2, status
        start_workers(processes, redis_server.url, apis[0], 1)
        answers = [s.until("done") for s in streams]
    finally:
        for s in streams:
            s.close()
    assert [name for name, _ in answers] == ["done"] * 3
    assert all(data["passes_done"] == 300 for _, data in answers)
    # each saw its place go down as the ones ahead of it went
    last = streams[2].seen
    places = [data["position"] for name, data in last if name == "queued"]
    assert places == sorted(places, reverse=True) and places[-1] >= 1


# ---------------------------------------------------------------- cancel, pace, leaving


def test_cancel_and_pace_from_another_api_process(redis_server, apis, processes,
                                                  queue_empty_after) -> None:
    start_workers(processes, redis_server.url, apis[0], 1)
    stream = Stream(apis[0], {**LONG, "paused": True}, as_client(20))
    try:
        _, started = stream.until("start")
        run_id = started["run_id"]
        stepped = httpx.post(f"{apis[1]}/api/train/{run_id}/control", json={"step": 3})
        assert stepped.status_code == 200 and stepped.json()["paused"] is True, stepped.text
        passes = []
        while len(passes) < 4:  # pass 0: the network before training
            name, data = stream.until("progress")
            assert name == "progress", (name, data)
            passes.append(data["pass"])
        assert passes == [0, 1, 2, 3]
        resumed = httpx.post(f"{apis[1]}/api/train/{run_id}/control",
                             json={"paused": False, "pace": None})
        assert resumed.json() == {"run_id": run_id, "pace": None, "paused": False}
        assert wait_until(lambda: stream.until("progress")[1]["pass"] > 100)
        cancel = httpx.post(f"{apis[1]}/api/train/{run_id}/cancel")
        assert cancel.status_code == 200 and cancel.json()["cancelled"] is True
        # the stream's read timeout (PROMPTLY) bounds the wait; bench/class.py measures it
        name, done = stream.until("done")
    finally:
        stream.close()
    assert name == "done" and done["cancelled"] is True and done["passes_done"] < 100_000
    gone = httpx.post(f"{apis[1]}/api/train/{run_id}/cancel")
    assert_error(gone, 404, "not_found")


def test_a_waiting_run_cancelled_elsewhere_and_a_client_leaving(redis_server, apis, processes,
                                                                queue_empty_after) -> None:
    start_workers(processes, redis_server.url, apis[0], 1)
    first = Stream(apis[0], LONG, as_client(30))
    waiting = Stream(apis[0], SMALL, as_client(31))
    try:
        first.until("progress")
        name, queued = waiting.until("queued")
        assert name == "queued" and queued["position"] == 1
        cancel = httpx.post(f"{apis[1]}/api/train/{queued['run_id']}/cancel")
        assert cancel.status_code == 200
        name, data = waiting.until("done")
        assert name == "error" and check_envelope(data)["type"] == "busy", data
        first.close()  # the student leaves: the run is cancelled, the worker free again
        # (a 100,000-pass run would hold it for its whole 60 s)
        status = lambda: httpx.get(f"{apis[1]}/api/train/status").json()  # noqa: E731
        assert wait_until(lambda: status()["running"] == 0), status()
        after = Stream(apis[1], SMALL, as_client(32))
        name, _ = after.until("done")
        after.close()
        assert name == "done"
    finally:
        first.close()
        waiting.close()


def test_limits_per_client_and_of_the_queue(redis_server, processes) -> None:
    api = processes.api(redis_server.url, {"BACKPROP_LAB_CLIENT_RUNS": "1",
                                           "BACKPROP_LAB_QUEUE_LIMIT": "2"})
    streams = [Stream(api, SMALL, as_client(40))]
    try:
        streams[0].until("queued")  # no worker: it waits
        again = httpx.post(f"{api}/api/train", json=SMALL, headers={**SSE, **as_client(40)})
        error = assert_error(again, 429, "busy")
        assert error["key"] == "train_client_limit"
        streams.append(Stream(api, SMALL, as_client(41)))
        streams[1].until("queued")
        full = httpx.post(f"{api}/api/train", json=SMALL, headers={**SSE, **as_client(42)})
        assert assert_error(full, 429, "busy")["key"] == "train_queue_full"
    finally:
        for s in streams:
            s.close()  # leaving: their runs leave the queue
    assert wait_until(lambda: httpx.get(f"{api}/api/train/status").json()["queued"] == 0)


# ---------------------------------------------------------------- faults


def test_a_killed_worker_ends_its_run_with_an_error_and_a_new_one_takes_the_queue(
        redis_server, apis, processes, queue_empty_after) -> None:
    [worker] = start_workers(processes, redis_server.url, apis[0], 1)
    stream = Stream(apis[0], LONG, as_client(50))
    waiting = Stream(apis[1], SMALL, as_client(51))
    try:
        stream.until("progress")
        assert waiting.until("queued")[0] == "queued"
        worker.send_signal(signal.SIGKILL)
        name, data = stream.until("done")  # within the read timeout: it does not hang
        assert name == "error" and check_envelope(data)["key"] == "train_worker_lost", data
        processes.worker(redis_server.url)  # a restarted worker picks up the waiting run
        name, done = waiting.until("done")
        assert name == "done" and done["passes_done"] == 300
    finally:
        stream.close()
        waiting.close()


def test_a_worker_told_to_stop_ends_its_run_with_what_it_has(redis_server, apis, processes,
                                                               queue_empty_after) -> None:
    [worker] = start_workers(processes, redis_server.url, apis[0], 1)
    stream = Stream(apis[0], LONG, as_client(55))
    try:
        stream.until("progress")
        worker.send_signal(signal.SIGTERM)  # a machine being shut down
        name, done = stream.until("done")
    finally:
        stream.close()
    assert name == "done" and done["stopped"] == "shutdown", done
    assert 0 < done["passes_done"] < 100_000 and done["params"]
    assert worker.wait(PROMPTLY) == 0  # and then the worker ends


def test_redis_gone_refuses_runs_with_503_while_graphs_answer(processes) -> None:
    if shutil.which("redis-server") is None and os.environ.get("CI") != "true":
        pytest.skip("redis-server is not installed")
    redis = Redis()
    redis.start()
    try:
        api = processes.api(redis.url)
        processes.worker(redis.url)
        assert wait_until(lambda: workers_seen(api) >= 1, STARTING)
        stream = Stream(api, LONG, as_client(60))
        stream.until("progress")
        redis.stop()
        name, data = stream.until("done")  # the run going ends, it does not hang
        stream.close()
        assert name == "error" and check_envelope(data)["type"] == "internal", data
        refused = httpx.post(f"{api}/api/train", json=SMALL, headers=as_client(61))
        assert assert_error(refused, 503, "busy")["key"] == "train_queue_down"
        refused = httpx.post(f"{api}/api/train", json=SMALL, headers={**SSE, **as_client(62)})
        assert_error(refused, 503, "busy")
        assert_error(httpx.get(f"{api}/api/train/status"), 503, "busy")
        graph = httpx.post(f"{api}/api/graph", json={"source": "f = (x + y) * z",
                                                     "values": {"x": -2, "y": 5, "z": -4}})
        assert graph.status_code == 200 and strict_json(graph.text)["output"]
        redis.start()  # back (empty): the worker finds it again, and training works again
        assert wait_until(lambda: httpx.get(f"{api}/api/train/status").status_code == 200
                          and workers_seen(api) >= 1, STARTING)
        again = Stream(api, SMALL, as_client(63))
        name, done = again.until("done")
        again.close()
        assert name == "done" and done["passes_done"] == 300
    finally:
        redis.close()


# ---------------------------------------------------------------- serve --workers N, the cap


def api_processes(server: subprocess.Popen) -> list[int]:
    """The processes of `serve --workers N` that answer requests: uvicorn's workers."""
    return sorted(p for p in descendants(server.pid) if stat(p) and stat(p)[1] == server.pid
                  and "spawn_main" in command(p))


def client_held_by(base: str, port: int, pid: int, apis: list[int]) -> httpx.Client:
    """A client whose keep-alive connection server process `pid` holds."""
    for _ in range(200):
        client = httpx.Client(timeout=httpx.Timeout(PROMPTLY, read=PROMPTLY))
        response = client.get(f"{base}/healthz")
        if holder(port, local_port(response), apis) == pid:
            return client
        client.close()
    raise AssertionError(f"no connection landed on process {pid}")


def local_port(response: httpx.Response) -> int:
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


def redis_keys(server: Redis, pattern: str) -> list[bytes]:
    """The keys of `server` that match `pattern`, read with the redis client."""
    from redis import Redis as Client

    with contextlib.closing(Client.from_url(server.url)) as client:
        return list(client.scan_iter(pattern))


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"),
                    reason="reads which process holds a connection from Linux's /proc")
def test_serve_workers_runs_api_processes_that_all_submit_to_the_queue(own_redis,
                                                                      processes) -> None:
    """`backprop-lab serve --workers 2 --redis URL`: two API processes; runs whose streams
    each of them holds all wait in the one queue (with no worker, nothing trains them), and
    one worker started afterwards trains every one of them to the same answer."""
    base, server, port = processes.serve(own_redis.url, workers=2)
    apis = wait_until(lambda: len(api_processes(server)) == 2 and api_processes(server),
                      STARTING)
    assert apis and len(apis) == 2, apis
    streams = []
    try:
        for i in range(4):
            pid = apis[i % 2]
            stream = Stream(base, SMALL, as_client(70 + i),
                            client=client_held_by(base, port, pid, apis))
            assert holder(port, local_port(stream.response), apis) == pid  # its stream's
            streams.append(stream)
        firsts = [s.until("queued", "start") for s in streams]
        assert [name for name, _ in firsts] == ["queued"] * 4, firsts
        assert sorted(data["position"] for _, data in firsts) == [1, 2, 3, 4]
        # both say, in Redis, that they serve the queue; either counts the runs of both
        present = {int(key.rsplit(b":", 1)[1]) for key in
                   redis_keys(own_redis, "backprop-lab:api:*")}
        assert present == set(apis), (present, apis)
        status = httpx.get(f"{base}/api/train/status").json()
        assert (status["processes"], status["queued"], status["running"]) == (2, 4, 0), status
        start_workers(processes, own_redis.url, base, 1)
        answers = [s.until("done") for s in streams]
    finally:
        for s in streams:
            s.close()
    assert [name for name, _ in answers] == ["done"] * 4, answers
    assert all(data["passes_done"] == 300 for _, data in answers)
    texts = {json.dumps(comparable(data), sort_keys=True) for _, data in answers}
    assert len(texts) == 1  # the same request, the same answer, whichever process it came by


def test_the_time_limit_stops_a_queued_run_with_what_it_has(redis_server, processes) -> None:
    """BACKPROP_LAB_TIME_LIMIT (seconds, lower than 60 only) on the API process: a queued
    100,000-pass run — about 13 s of training here, uncapped — ends with "stopped":
    "time_limit" and the parameters of the passes it did, bit for bit those of an
    in-process run of exactly that many passes. (No time is asserted: the cap's effect
    shows in the answer; the client's timeout is a hang guard.)"""
    from fastapi.testclient import TestClient

    from app.main import app

    api = processes.api(redis_server.url, {"BACKPROP_LAB_TIME_LIMIT": "2"})
    assert httpx.get(f"{api}/api/train/status").json()["limits"]["seconds"] == 2
    start_workers(processes, redis_server.url, api, 1)
    answer = httpx.post(f"{api}/api/train", json=LONG, headers=as_client(80), timeout=STARTING)
    assert answer.status_code == 200, answer.text
    body = strict_json(answer.text)
    assert body["stopped"] == "time_limit" and body["cancelled"] is False, body["stopped"]
    assert 0 < body["passes_done"] < 100_000
    assert body["history"]["passes"][-1] == body["passes_done"]
    assert set(body["params"]) == {"W1", "b1", "W2", "b2"}
    with TestClient(app) as client:  # no Redis in this process: the in-process pool
        local = client.post("/api/train", json={**LONG, "passes": body["passes_done"]})
    assert local.status_code == 200, local.text
    assert strict_json(local.text)["params"] == body["params"]


# ---------------------------------------------------------------- deployment


def test_compose_runs_the_api_and_workers_on_one_queue() -> None:
    """compose.yaml, read without Docker: its commands are ones backprop-lab takes, and the
    API and the workers name the one Redis service."""
    import yaml

    from app.cli.main import build_parser

    services = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]
    assert {"redis", "api", "worker"} <= set(services)
    api = build_parser().parse_args(services["api"]["command"][1:])
    assert api.command == "serve" and api.host == "0.0.0.0" and api.workers >= 2
    worker = build_parser().parse_args(services["worker"]["command"][1:])
    assert worker.command == "worker"
    urls = {services[name]["environment"]["BACKPROP_LAB_REDIS_URL"] for name in ("api", "worker")}
    assert urls == {"redis://redis:6379/0"}
    assert services["api"]["build"]["args"]["EXTRAS"] == "queue"
    assert services["worker"]["image"] == services["api"]["image"]
