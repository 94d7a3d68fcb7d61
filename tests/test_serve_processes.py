"""`backprop-lab serve` as real processes (issue 19): with `--workers 2` a cancel and the
status work whichever process a request lands on, and nothing outlives the server,
whether it gets SIGTERM with streams open or is killed with SIGKILL.

Linux only: processes, and which server process holds a connection, are read from
/proc (standard library; no psutil). Nothing here times anything: every "at once" is a
bounded wait for a state (a read timeout, a wait for processes to be gone), far below
what the old behaviour took (the rest of a run: up to a minute, or forever).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from app.training.example import SEED_004_RUN
from tests.slow_programs import deep_classifier

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/net/tcp"),
                                reason="reads processes and connections from Linux's /proc")

LONG = {**SEED_004_RUN, "passes": 100_000}
SSE = {"accept": "text/event-stream"}
STARTING = 60.0  # hang guard: the server answers
PROMPTLY = 10.0  # hang guard: streams end, processes are gone


def wait_until(predicate: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    name = None
    for line in lines:
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:") and name is not None:
            yield name, json.loads(line[5:])


# ---------------------------------------------------------------- /proc

def stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None if there is none."""
    fields = _stat(pid)
    return None if fields is None else (fields[0], int(fields[1]))


def cpu_seconds(pid: int) -> float:
    """User and system time the process has used."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # from the state on


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent to reap it is gone)."""
    state = stat(pid)
    return state is not None and state[0] not in ("Z", "X")


def command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            state = stat(int(name))
            if state is not None:
                children.setdefault(state[1], []).append(int(name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def holder(server_port: int, client_port: int, candidates: list[int]) -> int | None:
    """The process holding the server's end of the connection from `client_port`."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, remote = fields[1], fields[2]
            if (int(local.rsplit(":", 1)[1], 16) == server_port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port):
                inode = fields[9]
    if inode is None:
        return None
    for pid in candidates:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                pass
    return None


# ---------------------------------------------------------------- the server

class Server:
    """`python -m app serve --workers N` on a free port."""

    def __init__(self, workers: int) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(self.port), "--quiet",
             "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.seen: set[int] = set()
        assert wait_until(self._ready, STARTING), "the server did not start"

    def _ready(self) -> bool:
        try:
            status = httpx.get(f"{self.base}/api/train/status", timeout=2).json()
        except (httpx.TransportError, ValueError):
            return False
        return status.get("processes") == self.workers and len(self.api()) == self.workers

    def family(self) -> list[int]:
        found = descendants(self.proc.pid)
        self.seen.update(found)
        return found

    def api(self) -> list[int]:
        """The processes that answer requests: the server, or uvicorn's worker processes."""
        if self.workers == 1:
            return [self.proc.pid]
        return [p for p in self.family() if stat(p) and stat(p)[1] == self.proc.pid
                and "spawn_main" in command(p)]

    def trainers(self) -> list[int]:
        """The training workers: started by the processes that answer requests."""
        apis = set(self.api())
        return [p for p in self.family() if stat(p) and stat(p)[1] in apis
                and "spawn_main" in command(p)]

    def client_on(self, pid: int, tries: int = 200) -> httpx.Client:
        """A client whose keep-alive connection is held by server process `pid`."""
        for _ in range(tries):
            client = httpx.Client(base_url=self.base, timeout=httpx.Timeout(60, read=PROMPTLY))
            response = client.get("/healthz")
            port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
            if holder(self.port, port, self.api()) == pid:
                return client
            client.close()
        raise AssertionError(f"no connection landed on process {pid}")

    def close(self) -> None:
        """SIGTERM (the server cleans up after itself), then SIGKILL whatever is left."""
        family = set(self.family()) | self.seen
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(PROMPTLY)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        for pid in family:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def launch() -> Iterator[Callable[[int], Server]]:
    servers: list[Server] = []

    def start(workers: int) -> Server:
        servers.append(Server(workers))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def in_background(work: Callable[[], Any]) -> None:
    def run() -> None:
        try:
            work()
        except httpx.HTTPError:  # the server went away: what the test is about
            pass
    threading.Thread(target=run, daemon=True).start()


# ---------------------------------------------------------------- the tests

def test_cancel_and_status_reach_every_process(launch) -> None:
    """A run on one process is cancelled through the other: 200, and its stream ends with
    done; the status counts the run from both processes."""
    server = launch(2)
    apis = server.api()
    assert len(apis) == 2
    streams = {pid: server.client_on(pid) for pid in apis}
    asks = {pid: server.client_on(pid) for pid in apis}
    try:
        for owner in apis:
            other = next(pid for pid in apis if pid != owner)
            with streams[owner].stream("POST", "/api/train", json=LONG,
                                       headers=SSE) as response:
                stream = events(response.iter_lines())
                name, start = next(stream)
                assert name == "start"
                for pid, client in asks.items():
                    status = client.get("/api/train/status").json()
                    assert (status["running"], status["slots"], status["processes"]) \
                        == (1, 4, 2), (pid, status)
                cancelled = asks[other].post(f"/api/train/{start['run_id']}/cancel")
                assert cancelled.status_code == 200, cancelled.text
                rest = list(stream)
            assert rest[-1][0] == "done" and rest[-1][1]["stopped"] == "cancelled"
            for client in asks.values():  # over, everywhere
                gone = client.post(f"/api/train/{start['run_id']}/cancel")
                assert gone.status_code == 404
                assert client.get("/api/train/status").json()["running"] == 0
    finally:
        for client in [*streams.values(), *asks.values()]:
            client.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_leaves_no_process_behind(launch, workers: int) -> None:
    """Killed mid-run, the server takes its training workers, uvicorn's worker processes
    and multiprocessing's resource tracker with it."""
    server = launch(workers)
    for _ in range(2):  # two runs that would train for a minute, answering only at the end
        in_background(lambda: httpx.post(f"{server.base}/api/train", json=deep_classifier(),
                                         timeout=120))
    assert wait_until(lambda: httpx.get(f"{server.base}/api/train/status").json()["running"]
                      == 2, STARTING)
    # past compiling (~1 s of CPU): training, with nothing to send until the end
    assert wait_until(lambda: len(server.trainers()) == 2 and all(
        cpu_seconds(p) >= 2.0 for p in server.trainers()), STARTING)
    family = server.family()
    assert any("resource_tracker" in command(p) for p in family), family
    spawned = [p for p in family if "spawn_main" in command(p)]
    assert len(spawned) == 2 + (workers if workers > 1 else 0), spawned  # trainers (+ api)
    server.proc.kill()
    server.proc.wait(PROMPTLY)
    left = wait_until(lambda: not [p for p in family if alive(p)], PROMPTLY)
    assert left, [(p, command(p)) for p in family if alive(p)]


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_ends_open_streams_and_the_server(launch, workers: int) -> None:
    """The stream of a run that would go on for a minute ends with its results ("done",
    stopped "shutdown"), and the server and all its processes end."""
    server = launch(workers)
    with httpx.Client(base_url=server.base, timeout=httpx.Timeout(60, read=PROMPTLY)) as http:
        with http.stream("POST", "/api/train", json=deep_classifier(),
                         headers=SSE) as response:
            stream = events(response.iter_lines())
            assert next(stream)[0] == "start"
            family = server.family()
            server.proc.send_signal(signal.SIGTERM)
            rest = list(stream)
    name, done = rest[-1]
    assert name == "done", rest[-1]
    assert done["stopped"] == "shutdown" and not done["cancelled"]
    assert done["history"]["passes"][-1] == done["passes_done"]
    server.proc.wait(PROMPTLY)
    assert wait_until(lambda: not [p for p in family if alive(p)], PROMPTLY), \
        [(p, command(p)) for p in family if alive(p)]
