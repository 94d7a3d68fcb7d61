"""Load test: many concurrent clients against a real `backprop-lab serve` on loopback.

Starts the server as a subprocess (`python -m app serve`) on a free port of
127.0.0.1, waits for /healthz, then runs CLIENTS concurrent async clients for
SECONDS with a realistic mix of requests:

- preset:  every preset of GET /api/examples, as the page sends it (most requests);
- edit:    the same presets with changed `values`, or one number of the source changed,
           new numbers every request (never a cached answer), only where any number
           is valid (found at the start: a class label or a window size is left alone);
- teach:   the teaching tools: `"check": true`, `"code": true`, and
           `"sweep": {"input": ...}` on the presets with a scalar input and output;
- error:   syntax errors, unknown functions, missing values, arity and shape
           mistakes (400) and bodies that do not fit the schema (422).

Every request knows the status (and error type) it should get; an error is
any other status, any 5xx, a body that is not strictly valid JSON (bare NaN
or Infinity included), a 200 without nodes, a 4xx outside the error envelope,
or a transport error. Prints throughput, p50/p99 latency overall, per kind
and for the plain preset requests, the error count, and the server's resident
memory (VmRSS) before, during and after the load. Stops the server at the end.

  python -m bench.load                          # 50 clients, 60 s
  python -m bench.load --clients 10 --seconds 5
  python -m bench.load --train 2                # and 2 training runs going all along

With `--train K`, K more clients keep a training run going for the whole load:
each sends seed 004's run (POST /api/train, 20,000 passes, JSON) and the next
when it is answered; at the end a run still going is abandoned (its connection
closed, which cancels it). The report adds the runs finished and their
statuses beside the /api/graph figures: training goes to worker processes, so
the preset p99 should stay where it is without training.

Traffic goes only to 127.0.0.1; every loop is bounded in time and count.
Goal: zero errors, flat memory, p99 of the preset requests under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
GOAL_P99_MS = 100.0
MAX_REQUESTS_PER_SECOND_PER_CLIENT = 1_000  # a hard bound on each client's loop
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


@dataclass(frozen=True, slots=True)
class Request:
    kind: str  # preset, edit, teach or error: what the report groups by
    name: str  # which preset or which mistake
    body: Any  # a JSON-able body, or bytes sent as they are
    status: int = 200
    error_type: str | None = None  # for a 4xx: the envelope's type
    fresh: Callable[[random.Random], Any] | None = None  # a new body for every request

    def payload(self, rng: random.Random) -> bytes:
        body = self.body if self.fresh is None else self.fresh(rng)
        return body if isinstance(body, bytes) else json.dumps(body).encode()


@dataclass(slots=True)
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    presets: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # first error of each kind
    train: list[tuple[int, float, str]] = field(default_factory=list)  # status, s, outcome

    def fail(self, req: Request, what: str) -> None:
        key = f"{req.kind}/{req.name}: {what}"
        self.errors[key] += 1
        self.examples.setdefault(key, repr(req.body)[:300])


# ---------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def family(pid: int) -> list[int]:
    """The process and its descendants: with --workers, uvicorn's workers are children."""
    parents: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parents[int(stat.read_text().rsplit(")", 1)[1].split()[1])].append(
                int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def rss_kib(pid: int) -> int:
    """Resident memory of the server and its workers, VmRSS of /proc/<pid>/status, in KiB."""
    total = 0
    for p in family(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    if not total:
        raise RuntimeError(f"no VmRSS for pid {pid}")
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its workers so far (/proc/<pid>/stat)."""
    ticks = 0
    for p in family(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    """The machine's 1-minute load average: other work competing for the same cores."""
    return Path("/proc/loadavg").read_text().split()[0]


def start_server(port: int, log: IO[bytes], workers: int = 1,
                 quiet: bool = False) -> subprocess.Popen[bytes]:
    """`python -m app serve`; its log (an access line per request) goes to `log`, a file,
    never a pipe that nobody reads, which would block the server.

    The clients all come from 127.0.0.1, one address standing for a class of machines:
    `--rate-limit 1000000/1000000` lifts the per-client limit (the limiter stays in the
    path, so its cost is measured)."""
    return subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", HOST, "--port", str(port),
         "--workers", str(workers), "--rate-limit", "1000000/1000000",
         *(["--quiet"] if quiet else [])],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(proc: subprocess.Popen[bytes], base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# ---------------------------------------------------------------------------- the mix


def perturb(value: Any, rng: random.Random) -> Any:
    """Another value of the same shape: each number scaled and shifted a little."""
    if isinstance(value, list):
        return [perturb(v, rng) for v in value]
    if isinstance(value, int | float):
        return round(value * rng.uniform(0.5, 1.5) + rng.uniform(-1, 1), 3)
    return value


def preset_body(example: dict[str, Any]) -> dict[str, Any]:
    """What the page sends for a preset: its source, and `expand` where it comes expanded."""
    body: dict[str, Any] = {"source": example["source"], "values": {}}
    if example.get("expand"):
        body["expand"] = example["expand"]
    return body


def edit_values(body: dict[str, Any], defaults: dict[str, Any], free: list[str]
                ) -> Callable[[random.Random], dict[str, Any]]:
    """A learner moving the inputs: new values every time, so never a cached answer.

    Only the `free` inputs move, those that take any number (class labels do not)."""
    def make(rng: random.Random) -> dict[str, Any]:
        return {**body, "values": {name: perturb(v, rng) if name in free else v
                                   for name, v in defaults.items()}}
    return make


def edit_source(body: dict[str, Any], free: list[re.Match[str]]
                ) -> Callable[[random.Random], dict[str, Any]]:
    """A learner typing: one number of the program changed, differently every time.

    Only the `free` numbers change, those that can be any number (not a window size,
    an axis or a class label)."""
    def make(rng: random.Random) -> dict[str, Any]:
        m = free[rng.randrange(len(free))]
        new = repr(round(float(m.group()) + rng.choice([-1, 1]) * rng.uniform(0.1, 2), 6))
        return {**body, "source": body["source"][:m.start()] + new + body["source"][m.end():]}
    return make


def accepts(client: httpx.Client, body: dict[str, Any]) -> bool:
    return client.post("/api/graph", json=body).status_code == 200


def free_inputs(client: httpx.Client, body: dict[str, Any], defaults: dict[str, Any],
                rng: random.Random) -> list[str]:
    """The inputs that a few random nudges of their own leave a valid program."""
    return [name for name in defaults
            if all(accepts(client, {**body, "values": {name: perturb(defaults[name], rng)}})
                   for _ in range(3))]


def free_numbers(client: httpx.Client, body: dict[str, Any],
                 rng: random.Random) -> list[re.Match[str]]:
    """The numbers of the source that a few random changes of their own leave valid."""
    out = []
    for m in NUMBER.finditer(body["source"]):
        one = edit_source(body, [m])
        if all(accepts(client, one(rng)) for _ in range(3)):
            out.append(m)
    return out


def build_mix(client: httpx.Client, rng: random.Random, amplify: float = 0.0,
              largest: float = 0.0, edits_only: bool = False
              ) -> list[tuple[float, list[Request]]]:
    """(weight, requests) groups; each request of a group is equally likely."""
    examples = client.get("/api/examples").json()["examples"]
    presets, edits, teach = [], [], []
    for ex in examples:
        body = preset_body(ex)
        presets.append(Request("preset", ex["id"], body))
        answer = client.post("/api/graph", json=body).json()
        nodes = {n["id"]: n for n in answer["nodes"]}
        defaults = {n["name"]: n["value"] for n in answer["nodes"] if n["op"] == "input"}
        edits.append(Request("edit", f"{ex['id']}/values", body, fresh=edit_values(
            body, defaults, free_inputs(client, body, defaults, rng))))
        edits.append(Request("edit", f"{ex['id']}/source", body,
                             fresh=edit_source(body, free_numbers(client, body, rng))))
        teach.append(Request("teach", f"{ex['id']}/check", {**body, "check": True}))
        teach.append(Request("teach", f"{ex['id']}/code", {**body, "code": True}))
        scalar_inputs = [n["name"] for n in answer["nodes"]
                         if n["op"] == "input" and n["shape"] == []]
        if scalar_inputs and nodes[answer["output"]]["shape"] == []:
            for name in scalar_inputs[:2]:
                teach.append(Request("teach", f"{ex['id']}/sweep-{name}",
                                     {**body, "sweep": {"input": name}}))
    errors = [
        Request("error", "syntax", {"source": "x = 1\nf = (x + "}, 400, "syntax"),
        Request("error", "syntax-preset", {"source": examples[0]["source"] + "g = q *\n"},
                400, "syntax"),
        Request("error", "unknown-function", {"source": "f = foo(x)", "values": {"x": 1}},
                400, "unknown_function"),
        Request("error", "missing-value", {"source": "f = (x + y) * z", "values": {"x": 1}},
                400, "missing_value"),
        Request("error", "arity", {"source": "f = sigmoid(x, 2)", "values": {"x": 1}},
                400, "arity"),
        Request("error", "shape", {"source": "f = W @ x",
                                   "values": {"W": [[1, 2]], "x": [1, 2, 3]}}, 400, "shape"),
        Request("error", "422-source-type", {"source": 1}, 422, "request"),
        Request("error", "422-no-source", {"values": {"x": 1}}, 422, "request"),
        Request("error", "422-extra-field", {"source": "f = 1", "bogus": True}, 422, "request"),
        Request("error", "422-check-type", {"source": "f = 1", "check": "yes"}, 422, "request"),
        Request("error", "422-not-json", b'{"source": "f = 1"', 422, "request"),
    ]
    if edits_only:  # every request new: nothing from the response cache
        return [(1.0, edits)]
    mix = [(0.60, presets), (0.15, edits), (0.15, teach), (0.10, errors)]
    if amplify:
        mix.append((amplify, amplifiers()))
    if largest:
        mix.append((largest, [largest_answer()]))
    return mix


# Issue 19's programs: a few KB that once asked for answers of hundreds of megabytes, now
# refused before any work.
def amplifiers() -> list[Request]:
    a = [round(0.001 * k, 3) for k in range(316)]
    head = "W = reshape(a, 316, 1) * reshape(a, 1, 316)\n"
    chain = head + "A1 = W * W\n" + "".join(f"A{k} = A{k - 1} * W\n" for k in range(2, 19))
    products = head + "M1 = W @ W\n" + "".join(f"M{k} = M{k - 1} @ W\n" for k in range(2, 9))
    sigmoids = "x = reshape(a, 1, -1) * reshape(a, -1, 1)\nf = sum(" + "sigmoid(" * 15 + "x" \
        + ")" * 15 + ")"
    refused = [(chain + "f = sum(A18)", "eighteen products"), (products + "f = sum(M8)",
               "8 matrix products"), (sigmoids, "15 nested sigmoids")]

    def fresh(source: str) -> Callable[[random.Random], dict[str, Any]]:
        def make(rng: random.Random) -> dict[str, Any]:  # new numbers: never from the cache
            return {"source": source, "values": {"a": [round(rng.uniform(-1, 1), 3)
                                                       for _ in a]}}
        return make
    return [Request("amplify", name, None, 400, "too_large", fresh=fresh(src))
            for src, name in refused]


# The largest answer still allowed: three 316×316 tensors and their gradients, about 950,000
# numbers, ~5 MB of JSON, with new numbers every time so never cached.
def largest_answer() -> Request:
    source = ("W = reshape(a, 316, 1) * reshape(a, 1, 316)\nA1 = W * W\nf = sum(A1)")

    def fresh(rng: random.Random) -> dict[str, Any]:
        return {"source": source, "values": {"a": [round(rng.uniform(-1, 1), 3)
                                                   for _ in range(316)]}}
    return Request("largest", "largest allowed answer", None, fresh=fresh)


def pick(mix: list[tuple[float, list[Request]]], rng: random.Random) -> Request:
    group = rng.choices([g for _, g in mix], weights=[w for w, _ in mix])[0]
    return group[rng.randrange(len(group))]


# ---------------------------------------------------------------------------- the clients


def refuse_constant(token: str) -> Any:
    raise ValueError(f"invalid JSON token {token}")


def judge(req: Request, status: int, content: bytes, tally: Tally) -> None:
    if status >= 500:
        tally.fail(req, f"status {status}")
        return
    try:
        # orjson is strict JSON too (a bare NaN or Infinity is an error) and ten times
        # faster: the clients share one event loop, and parsing 5 MB answers with json
        # would delay every other client's measurement.
        body = orjson.loads(content) if len(content) > 100_000 else json.loads(
            content, parse_constant=refuse_constant)
    except ValueError as exc:
        tally.fail(req, f"invalid JSON ({exc})")
        return
    if status != req.status:
        tally.fail(req, f"status {status}, expected {req.status}")
    elif req.status == 200:
        if not (isinstance(body, dict) and body.get("nodes")):
            tally.fail(req, "a 200 without nodes")
    else:
        error = body.get("error") if isinstance(body, dict) else None
        if not (isinstance(error, dict) and {"type", "message", "line", "column"} <= set(error)):
            tally.fail(req, "a 4xx outside the error envelope")
        elif error["type"] != req.error_type:
            tally.fail(req, f"error type {error['type']}, expected {req.error_type}")


class TransportError(Exception):
    """The connection failed or the answer was not HTTP/1.1 as expected."""


class Connection:
    """One keep-alive HTTP/1.1 connection, as one browser tab holds.

    A few dozen lines over asyncio streams instead of httpx: httpx spends about
    a millisecond of CPU per request, which on a 2-core machine made the clients,
    not the server, the bottleneck (the server sat at a quarter of a core while
    the clients queued their own requests). This costs tens of microseconds.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        try:
            return await self._post(path, body)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError) as exc:
            await self.close()
            raise TransportError(type(exc).__name__) from exc

    async def _post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = dict((k.strip().lower(), v.strip())
                       for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line))
        if "content-length" in headers:
            content = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
            content = b"".join(parts)
        else:
            raise ValueError("an answer without a length")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, content


async def requests(connection: Connection, mix: list[tuple[float, list[Request]]], seed: int,
                   deadline: float, max_requests: int, think: float, tally: Tally) -> None:
    rng = random.Random(seed)
    for k in range(max_requests):
        if think:  # users arrive spread over one think time, then pause between requests
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think if k else rng.uniform(0, think))
        if time.perf_counter() >= deadline:
            return
        req = pick(mix, rng)
        payload = req.payload(rng)
        start = time.perf_counter()
        try:
            status, content = await connection.post("/api/graph", payload)
        except TransportError as exc:
            tally.fail(req, f"transport error {exc}")
            continue
        took = time.perf_counter() - start
        tally.latencies[req.kind].append(took)
        if req.kind == "preset":
            tally.presets[req.name].append(took)
        judge(req, status, content, tally)


async def training(connection: Connection, deadline: float, tally: Tally) -> None:
    """Keep one training run going until the deadline; abandon the last one there."""
    from app.training.example import SEED_004_RUN

    body = json.dumps(SEED_004_RUN).encode()
    while (remaining := deadline - time.perf_counter()) > 0:
        start = time.perf_counter()
        try:
            status, content = await asyncio.wait_for(connection.post("/api/train", body),
                                                     timeout=remaining)
        except TimeoutError:
            await connection.close()  # the client leaves: the server cancels the run
            tally.train.append((0, time.perf_counter() - start, "abandoned at the end"))
            return
        except TransportError as exc:
            tally.train.append((0, time.perf_counter() - start, f"transport error {exc}"))
            await asyncio.sleep(0.1)
            continue
        took = time.perf_counter() - start
        try:
            answer = json.loads(content)
        except ValueError:
            answer = {}
        if status == 200:
            outcome = (f"{answer.get('passes_done', 0):,} passes, accuracy "
                       f"{answer.get('accuracy')}, {answer.get('stopped') or 'complete'}")
        else:
            outcome = f"{answer.get('error', {}).get('type')}"
        tally.train.append((status, took, outcome))


async def sample_rss(pid: int, deadline: float, every: float, out: list[tuple[float, int]],
                     t0: float) -> None:
    while time.perf_counter() < deadline:
        await asyncio.sleep(min(every, max(0.0, deadline - time.perf_counter())))
        with contextlib.suppress(OSError, RuntimeError):
            out.append((time.perf_counter() - t0, rss_kib(pid)))


async def load(base: str, pid: int, mix: list[tuple[float, list[Request]]], clients: int,
               seconds: float, think: float, seed: int, train: int = 0
               ) -> tuple[Tally, float, list[tuple[float, int]]]:
    tally = Tally()
    rss: list[tuple[float, int]] = []
    max_requests = int(seconds * MAX_REQUESTS_PER_SECOND_PER_CLIENT) + 1
    host, port = base.removeprefix("http://").rsplit(":", 1)
    users = [Connection(host, int(port)) for _ in range(clients)]  # one per user, kept alive
    trainers = [Connection(host, int(port)) for _ in range(train)]
    try:
        t0 = time.perf_counter()
        deadline = t0 + seconds
        tasks = [requests(user, mix, seed * 1_000 + k, deadline, max_requests, think, tally)
                 for k, user in enumerate(users)]
        tasks.extend(training(trainer, deadline, tally) for trainer in trainers)
        tasks.append(sample_rss(pid, deadline, max(1.0, seconds / 12), rss, t0))
        await asyncio.gather(*tasks)
        return tally, time.perf_counter() - t0, rss
    finally:
        for user in users + trainers:
            await user.close()


# ---------------------------------------------------------------------------- the report


def percentile(xs: list[float], q: float) -> float:
    ordered = sorted(xs)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def row(label: str, xs: list[float], elapsed: float, width: int = 10) -> str:
    if not xs:
        return f"{label:<{width}} {0:>8}"
    ms = [x * 1e3 for x in xs]
    return (f"{label:<{width}} {len(xs):>8,} {len(xs) / elapsed:>8.1f} {percentile(ms, 50):>9.1f}"
            f" {percentile(ms, 99):>9.1f} {statistics.fmean(ms):>9.1f} {max(ms):>9.1f}")


@dataclass(slots=True)
class Outcome:
    mix: list[tuple[float, list[Request]]]
    tally: Tally
    elapsed: float
    rss_start: int  # KiB, once the server answers and the mix is built
    rss_end: int
    rss_during: list[tuple[float, int]]
    cpu: float  # seconds of CPU the server used during the load
    client_cpu: float  # and this process, the clients
    load: tuple[str, str]  # the machine's load average before and after
    alive: bool  # the server process was still running when the load ended


def run(proc: subprocess.Popen[bytes], base: str, args: argparse.Namespace) -> Outcome:
    wait_ready(proc, base)
    with httpx.Client(base_url=base, timeout=30.0) as client:
        mix = build_mix(client, random.Random(args.seed), args.amplify, args.largest,
                        args.edits_only)
    rss_start, cpu_start, load_start = rss_kib(proc.pid), cpu_seconds(proc.pid), loadavg()
    client_start = time.process_time()
    tally, elapsed, rss = asyncio.run(
        load(base, proc.pid, mix, args.clients, args.seconds, args.think, args.seed,
             args.train))
    return Outcome(mix, tally, elapsed, rss_start, rss_kib(proc.pid), rss,
                   cpu_seconds(proc.pid) - cpu_start, time.process_time() - client_start,
                   (load_start, loadavg()), proc.poll() is None)


def report(out: Outcome, args: argparse.Namespace, pid: int, port: int) -> None:
    tally, elapsed = out.tally, out.elapsed
    everything = [x for xs in tally.latencies.values() for x in xs]
    transport = sum(n for k, n in tally.errors.items() if "transport error" in k)
    total = len(everything) + transport
    kinds = (("edit",) if args.edits_only else
             ("preset", "edit", "teach", "error") + (("amplify",) if args.amplify else ())
             + (("largest",) if args.largest else ()))
    sizes = {kind: len(group) for (_, group), kind in zip(out.mix, kinds, strict=True)}
    think = f", {args.think * 1e3:.0f} ms think time" if args.think else ", no think time"
    print(f"Backprop Lab under load: {args.clients} clients{think}, {elapsed:.1f} s on"
          f" {HOST}:{port} (server pid {pid}, {os.cpu_count()} cores)")
    print("mix: " + ", ".join(f"{w:.0%} {k}" for (w, _), k in zip(out.mix, kinds, strict=True))
          + "; distinct requests: " + ", ".join(f"{k} {v}" for k, v in sizes.items()))
    print()
    print(f"{'kind':<10} {'requests':>8} {'req/s':>8} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9}"
          f" {'max ms':>9}")
    print(row("all", everything, elapsed))
    for kind in kinds:
        print(row(kind, tally.latencies.get(kind, []), elapsed))
    print()
    print("plain preset requests, by preset:")
    for name, xs in tally.presets.items():
        print(row(name, xs, elapsed, width=26))
    print()
    n_errors = sum(tally.errors.values())
    print(f"throughput: {total / elapsed:.1f} requests/s ({total:,} requests)")
    print(f"errors: {n_errors}" + ("" if n_errors else " (no 5xx, no invalid JSON, no transport "
                                   "error, every status and error type as expected)"))
    for key, count in tally.errors.most_common(20):
        print(f"  {count:>6} × {key}\n           e.g. {tally.examples[key]}")
    series = ", ".join(f"{t:.0f}s {kib / 1024:.1f}" for t, kib in out.rss_during)
    print(f"server RSS: start {out.rss_start / 1024:.1f} MiB, end {out.rss_end / 1024:.1f} MiB"
          f" ({(out.rss_end - out.rss_start) / 1024:+.1f} MiB); during (MiB): {series}")
    print(f"server CPU: {out.cpu:.1f} s in {elapsed:.1f} s ({out.cpu / elapsed:.0%} of one core),"
          f" {out.cpu / max(1, total) * 1e3:.2f} ms per request; the clients"
          f" {out.client_cpu:.1f} s; machine load average {out.load[0]} before,"
          f" {out.load[1]} after")
    print(f"server still alive at the end: {out.alive}")
    if args.train:
        finished = [t for t in tally.train if t[0] == 200]
        print(f"training alongside: {args.train} runs going all along (seed 004's, 20,000 "
              f"passes each): {len(finished)} answered 200 in "
              + (f"{statistics.fmean(t[1] for t in finished):.1f} s on average"
                 if finished else "—")
              + "; outcomes: " + ", ".join(f"{n} × {o} ({s or 'none'})" for (s, o), n in
                                           Counter((t[0], t[2]) for t in tally.train).items()))
    judged = "edit" if args.edits_only else "preset"
    latencies = [x * 1e3 for x in tally.latencies.get(judged, [])]
    if latencies:
        p99 = percentile(latencies, 99)
        verdict = "meets" if p99 < GOAL_P99_MS else f"misses by {p99 - GOAL_P99_MS:.1f} ms"
        print(f"{judged} p99 {p99:.1f} ms: {verdict} the goal of {GOAL_P99_MS:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to load (60)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause of a client between its requests, in seconds (0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the mix")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes: backprop-lab serve --workers (1)")
    parser.add_argument("--quiet", action="store_true",
                        help="run the server without its access log (backprop-lab serve --quiet)")
    parser.add_argument("--train", type=int, default=0, metavar="K",
                        help="keep K training runs going during the load (0; at most 2)")
    parser.add_argument("--amplify", type=float, default=0.0, metavar="SHARE",
                        help="add this share of issue 19's answer-amplifying programs (0; "
                        "e.g. 0.02)")
    parser.add_argument("--edits-only", action="store_true",
                        help="every request an edit with new numbers: none answered from the "
                        "response cache")
    parser.add_argument("--largest", type=float, default=0.0, metavar="SHARE",
                        help="add this share of the largest answer allowed, ~5 MB each, never "
                        "cached (0; e.g. 0.005)")
    args = parser.parse_args()
    if not (0 <= args.amplify <= 0.5 and 0 <= args.largest <= 0.5):
        parser.error("--amplify and --largest are shares between 0 and 0.5")
    if args.clients < 1 or not 0 < args.seconds <= 3_600 or not 0 <= args.think <= 60:
        parser.error("--clients must be at least 1, --seconds in (0, 3600], --think in [0, 60]")
    if not 0 <= args.train <= 2:
        parser.error("--train is 0, 1 or 2 (the server trains at most 2 networks at once)")

    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = start_server(port, log, args.workers, args.quiet)
        try:
            outcome = run(proc, f"http://{HOST}:{port}", args)
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read()[-4000:].decode("utf-8", "replace"))
            raise
        finally:
            stop_server(proc)
    report(outcome, args, proc.pid, port)


if __name__ == "__main__":
    main()
