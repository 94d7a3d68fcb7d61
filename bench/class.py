"""A class on this machine: 100 students editing while 50 of them train, on the job queue.

Starts a redis-server of its own on a free loopback port, WORKERS `backprop-lab worker`
processes and `backprop-lab serve --workers API --redis URL`, then runs STUDENTS async
clients for as long as the training takes:

- every student edits: POST /api/graph with a program text never sent before (a new
  number, a new name, a new shape of expression each time), then thinks THINK seconds;
- TRAINERS of them press Train at a random moment within the first RAMP seconds: seed
  004's network for PASSES passes, streamed as the page streams it (server-sent events);
  CANCELLERS of those press Cancel 0.3 s after their run started training.

Each student has an address of its own (X-Forwarded-For, trusted from loopback), so the
per-client limit is one student's. At the end every run must have finished or been
cancelled, none lost (no error event, no stream that ended without its end); the report
gives the /api/graph latency while training goes (p50, p99), each run's wait in the queue
(from pressing Train to its "start") and time training, and the arithmetic for N machines.

  python -m bench.class                         # 100 students, 50 runs, 2 API, 2 workers
  python -m bench.class --students 20 --trainers 10 --passes 2000

Needs Debian's redis-server and the [queue] extra (RQ). Traffic goes only to 127.0.0.1;
every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.training.example import SEED_004_RUN

ROOT = Path(__file__).resolve().parent.parent
HANG_SECONDS = 600.0  # a run's stream that has not ended by then is lost
WARM_SECONDS = 5.0  # the class edits alone this long first: /api/graph's peer figures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.1)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@dataclass
class Run:
    student: int
    pressed: float = 0.0
    started: float | None = None
    ended: float | None = None
    end: str = "lost"  # done, cancelled, error, lost
    places: list[int] = field(default_factory=list)
    passes_done: int = 0
    detail: str = ""
    cancelled: float | None = None  # when Cancel was pressed (and answered 200)


@dataclass
class Tally:
    graph: list[float] = field(default_factory=list)  # seconds, while training goes
    before: list[float] = field(default_factory=list)  # seconds, the class editing alone
    graph_errors: int = 0
    refused: int = 0  # 429s of POST /api/train (none expected at these numbers)
    runs: list[Run] = field(default_factory=list)


def program(rng: random.Random, n: int) -> dict[str, Any]:
    """A program no student sent before: its shape, names and numbers vary."""
    a, b = rng.uniform(-5, 5), rng.uniform(-5, 5)
    name = f"v{n}"
    shapes = [
        f"{name} = x + {a:.6f}\nf = {name} * z",
        f"{name} = sigmoid(x * {a:.6f} + y)\nf = {name} * {b:.6f}",
        f"q = (x + y) * z\n{name} = tanh(q + {a:.6f})\nf = {name} ^ 2 + {b:.6f}",
        f"h = relu(x * {a:.6f}) + exp(y / 7)\n{name} = h * z - {b:.6f}\nf = {name}",
    ]
    return {"source": rng.choice(shapes), "values": {"x": rng.uniform(-3, 3),
                                                      "y": rng.uniform(-3, 3), "z": 1.5}}


async def edit(client: httpx.AsyncClient, student: int, stop: asyncio.Event, think: float,
               training: asyncio.Event, tally: Tally) -> None:
    rng = random.Random(student)
    n = 0
    while not stop.is_set():
        n += 1
        body = program(rng, student * 1_000_000 + n)
        began = time.perf_counter()
        try:
            response = await client.post("/api/graph", json=body)
            ok = response.status_code == 200 and "nodes" in response.json()
        except (httpx.HTTPError, ValueError):
            ok = False
        took = time.perf_counter() - began
        if training.is_set():
            tally.graph.append(took)
        elif not tally.runs:
            tally.before.append(took)
        tally.graph_errors += not ok
        await asyncio.sleep(rng.uniform(0.5, 1.5) * think)


def sse(lines: list[str]) -> tuple[str, Any] | None:
    name = next((line[6:].strip() for line in lines if line.startswith("event:")), None)
    data = [line[5:] for line in lines if line.startswith("data:")]
    return (name, json.loads("".join(data))) if name and data else None


async def train(client: httpx.AsyncClient, run: Run, passes: int, delay: float,
                cancel_after: float | None, tally: Tally) -> None:
    await asyncio.sleep(delay)
    run.pressed = time.monotonic()
    run_id: str | None = None
    canceller: asyncio.Task[Any] | None = None

    async def cancel_later() -> None:
        assert cancel_after is not None
        await asyncio.sleep(cancel_after)
        if run_id is not None:
            pressed = time.monotonic()
            if (await client.post(f"/api/train/{run_id}/cancel")).status_code == 200:
                run.cancelled = pressed

    body = {**SEED_004_RUN, "passes": passes}
    try:
        async with asyncio.timeout(HANG_SECONDS), client.stream(
                "POST", "/api/train", json=body,
                headers={"accept": "text/event-stream"}) as response:
            if response.status_code != 200:
                run.end, run.detail = "refused", (await response.aread()).decode()[:200]
                tally.refused += 1
                return
            block: list[str] = []
            async for line in response.aiter_lines():
                if line:
                    block.append(line)
                    continue
                message, block = sse(block), []
                if message is None:
                    continue
                name, data = message
                if run_id is None and isinstance(data, dict) and "run_id" in data:
                    run_id = data["run_id"]
                if name == "queued":
                    run.places.append(data["position"])
                elif name == "start":
                    run.started = time.monotonic()
                    if cancel_after is not None:  # a running run: its worker must stop it
                        canceller = asyncio.ensure_future(cancel_later())
                elif name == "done":
                    run.ended = time.monotonic()
                    run.passes_done = data["passes_done"]
                    run.end = "cancelled" if data.get("cancelled") else "done"
                    return
                elif name == "error":
                    run.ended = time.monotonic()
                    key = data["error"].get("key")
                    # cancelled while compiling: the envelope of a run stopped before it
                    # started training (the in-process answer too)
                    run.end = "cancelled" if cancel_after is not None and \
                        key == "train_shutdown" else "error"
                    run.detail = json.dumps(data)[:200]
                    return
    except (TimeoutError, httpx.HTTPError) as err:
        run.detail = repr(err)
    finally:
        if canceller is not None:
            canceller.cancel()


async def lesson(base: str, args: argparse.Namespace) -> tuple[Tally, float]:
    tally = Tally()
    stop, training = asyncio.Event(), asyncio.Event()
    rng = random.Random(0)
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    clients = [httpx.AsyncClient(base_url=base, timeout=HANG_SECONDS, limits=limits,
                                 headers={"x-forwarded-for": f"10.2.{i // 250}.{i % 250 + 1}"})
               for i in range(args.students)]
    trainers = rng.sample(range(args.students), args.trainers)
    cancellers = set(trainers[:args.cancellers])
    editors = [asyncio.ensure_future(edit(clients[i], i, stop, args.think, training, tally))
               for i in range(args.students)]
    await asyncio.sleep(WARM_SECONDS)  # the class is editing alone; then Train is pressed
    training.set()
    began = time.monotonic()
    tally.runs = [Run(i) for i in trainers]
    await asyncio.gather(*(
        train(clients[run.student], run, args.passes, rng.uniform(0, args.ramp),
              0.3 if run.student in cancellers else None, tally) for run in tally.runs))
    took = time.monotonic() - began
    training.clear()
    stop.set()
    await asyncio.gather(*editors)
    for client in clients:
        await client.aclose()
    return tally, took


def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return math.nan
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)]


def loadavg() -> str:
    """This machine's 1-minute load average (other work on it shows here)."""
    try:
        return Path("/proc/loadavg").read_text(encoding="ascii").split()[0]
    except OSError:
        return "?"


def report(tally: Tally, took: float, args: argparse.Namespace, load: str) -> bool:
    runs = tally.runs
    ends = {kind: sum(1 for r in runs if r.end == kind)
            for kind in ("done", "cancelled", "error", "refused", "lost")}
    waits = [r.started - r.pressed for r in runs if r.started is not None]
    training = [r.ended - r.started for r in runs
                if r.end == "done" and r.started is not None and r.ended is not None]
    print(f"class: {args.students} students editing, {args.trainers} pressing Train "
          f"({args.passes:,} passes, {args.cancellers} cancelling) within {args.ramp:.0f} s; "
          f"{args.api} API processes, {args.workers} workers, one redis-server; load "
          f"average {load} before, {loadavg()} after")
    print(f"runs: {ends['done']} done, {ends['cancelled']} cancelled, {ends['error']} errors, "
          f"{ends['refused']} refused, {ends['lost']} lost; all over in {took:.1f} s")
    for r in runs:
        if r.end in ("error", "lost", "refused"):
            print(f"  student {r.student}: {r.end} {r.detail}")
    if waits:
        print(f"queue wait (Train pressed → start): min {min(waits):.1f} s, median "
              f"{statistics.median(waits):.1f} s, p90 {percentile(waits, 90):.1f} s, "
              f"max {max(waits):.1f} s; a waiting run said its place "
              f"{sum(len(r.places) for r in runs)} times, the longest line "
              f"{max((max(r.places) for r in runs if r.places), default=0)}")
    stops = [r.ended - r.cancelled for r in runs
             if r.end == "cancelled" and r.cancelled is not None and r.ended is not None]
    if stops:
        print(f"cancel (pressed → stream ended): median {statistics.median(stops):.2f} s, "
              f"max {max(stops):.2f} s over {len(stops)} runs")
    if training:
        per_run = statistics.median(training)
        print(f"training: median {per_run:.2f} s a run of {args.passes:,} passes "
              f"(min {min(training):.2f}, max {max(training):.2f})")
    for label, graph in (("editing alone", tally.before), ("while training", tally.graph)):
        print(f"/api/graph {label}: {len(graph)} requests, p50 "
              f"{1000 * percentile(graph, 50):.0f} ms, p99 "
              f"{1000 * percentile(graph, 99):.0f} ms")
    print(f"/api/graph errors: {tally.graph_errors}")
    if training:
        per_worker = per_run
        print(f"arithmetic: a run holds a worker about {per_worker:.2f} s here, so {args.workers} "
              f"workers train about {args.workers / per_worker:.1f} runs a second; a class of "
              f"S students pressing Train at once waits at most about ⌈S / (N·W)⌉ × "
              f"{per_worker:.2f} s on N machines of W workers: 300 students on 1 machine "
              f"(W = {args.workers}) {math.ceil(300 / args.workers) * per_worker:.0f} s, on 5 "
              f"{math.ceil(300 / (5 * args.workers)) * per_worker:.0f} s, on 10 "
              f"{math.ceil(300 / (10 * args.workers)) * per_worker:.0f} s "
              f"(workers on a machine: one per core)")
    return ends["error"] + ends["lost"] + ends["refused"] == 0 and tally.graph_errors == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--trainers", type=int, default=50)
    parser.add_argument("--cancellers", type=int, default=5)
    parser.add_argument("--passes", type=int, default=5_000)
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds Train is pressed in")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between edits")
    parser.add_argument("--api", type=int, default=2, help="API processes")
    parser.add_argument("--workers", type=int, default=2, help="training workers")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        print("bench.class needs Debian's redis-server (apt-get install redis-server)",
              file=sys.stderr)
        return 2
    folder = tempfile.mkdtemp(prefix="backprop-lab-class-")
    redis_port, api_port = free_port(), free_port()
    url = f"redis://127.0.0.1:{redis_port}/0"
    base = f"http://127.0.0.1:{api_port}"
    started: list[subprocess.Popen[bytes]] = []
    log = open(Path(folder) / "processes.log", "wb")  # noqa: SIM115 (closed below)
    try:
        started.append(subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", folder], stdout=log, stderr=log))
        cli = [sys.executable, "-m", "app.cli.main"]
        for _ in range(args.workers):
            started.append(subprocess.Popen([*cli, "worker", "--redis", url], cwd=ROOT,
                                            stdout=log, stderr=log))
        started.append(subprocess.Popen(
            [*cli, "serve", "--port", str(api_port), "--workers", str(args.api), "--quiet",
             "--rate-limit", "off", "--redis", url], cwd=ROOT, stdout=log, stderr=log))
        wait_for(lambda: answers(f"{base}/healthz"), 60, "the API answering")
        wait_for(lambda: httpx.get(f"{base}/api/train/status").json()["slots"] >= args.workers,
                 60, "the workers starting")
        load = loadavg()
        tally, took = asyncio.run(lesson(base, args))
        status = httpx.get(f"{base}/api/train/status").json()
        ok = report(tally, took, args, load)
        print(f"after: {status['running']} running, {status['queued']} queued")
        return 0 if ok and status["queued"] == 0 else 1
    finally:
        for process in reversed(started):
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        for process in started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(20)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
