"""The server's training workers: a few long-lived processes, started when first needed.

Training is numpy in a loop: run in the server's process it would hold the GIL
and make every /api/graph request wait. So each run goes to a worker process
(app/training/worker.py, started with multiprocessing's "spawn", kept for the
next run), at most `size` runs at once; one more is refused (`Busy`, a 429).

The server's side of a run is a `Run`: `await run.next()` gives the worker's
messages in order ("start", then "progress"…, then "done" or "error").
A thread per worker reads its pipe and hands each message to the event loop
of the request that started the run, so nothing here blocks the loop. The
same thread frees the worker when the run's last message arrives, and is the
watchdog: a run that outlives its time limit by GRACE_SECONDS (a worker stuck
in one huge numpy call, or dead) has its process killed; a new one is started
for the next run.

`run.cancel()` (the cancel endpoint, a client that went away) writes the run's
number and the reason into the worker's stop flag; the worker looks at it every
20 ms, in every phase of the run (app/training/guard.py), stops, and answers
what it has, which frees the worker. `run.control()` (the control endpoint) writes
its pace, paused or not, and the single passes granted into the worker's control
numbers the same way (app/training/pacing.py). A waiting run says it is alive every
second, and the watchdog counts a run's time from the last thing its worker said.

Several server processes (`serve --workers N`) each have a pool; they share a
registry (app/training/registry.py), so a cancel that lands on another process
reaches the run (the owner's reader thread looks for cancel files), and the
status counts every process's runs. On SIGTERM or SIGINT every run stops with
"shutdown", so open event streams end with their results at once; workers end
when their server process is gone, however it ended (app/training/lifecycle.py).
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from app.errors import envelope
from app.training import limits as bounds
from app.training.lifecycle import on_shutdown_signals, watch_supervisor
from app.training.registry import POLL_SECONDS, Registry
from app.training.worker import STOP_CODES, encode, serve

GRACE_SECONDS = 5.0  # past its time limit, a run's worker is killed
MAX_PENDING = 16  # progress messages waiting for a slow client; older ones beyond are dropped
Message = tuple[Any, ...]


class Busy(Exception):
    """Every worker is training already (429)."""

    status = 429
    key = "train_busy"


class Closing(Busy):
    """The server is shutting down: no new runs (503)."""

    status = 503
    key = "train_shutdown"


@dataclass(eq=False)
class Worker:
    process: Any
    jobs: Connection
    results: Connection
    stop: Any  # two shared integers: the number of the job to stop, and why (STOP_CODES)
    control: Any  # four shared numbers: the job's number, pace, paused, passes granted
    run: Run | None = None
    alive: bool = True

    def stop_job(self, number: int, reason: str) -> None:
        self.stop[1] = STOP_CODES[reason]  # the reason first: the worker reads the number first
        self.stop[0] = number

    def pace_job(self, number: int, pace: float | None, paused: bool, granted: int) -> None:
        self.control[0] = 0  # (a look meanwhile sees no control: as fast as it can, briefly)
        self.control[1] = 0.0 if pace is None else pace
        self.control[2] = 1.0 if paused else 0.0
        self.control[3] = granted
        self.control[0] = number


@dataclass(eq=False)
class Run:
    """One training run as the server sees it: its messages in order, and a way to stop it."""

    run_id: str
    number: int
    worker: Worker
    loop: asyncio.AbstractEventLoop
    deadline: float
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    finished: bool = False
    on_finish: Callable[[Run], None] | None = None
    pace: float | None = None  # passes a second; None: as fast as it can
    paused: bool = False
    granted: int = 0  # single passes asked for while paused, in all

    async def next(self) -> Message:
        """The next message from the worker: ("start"|"progress"|"done", json) or
        ("error", status, json)."""
        return await self.queue.get()

    def cancel(self, reason: str = "cancelled") -> None:
        """Ask the worker to stop this run (it answers "done" with cancelled: true, or
        stopped: "shutdown")."""
        if not self.finished:
            self.worker.stop_job(self.number, reason)

    def control(self, pace: float | None = None, paused: bool | None = None,
                step: int = 0, *, keep_pace: bool = False) -> bool:
        """Change the run's pace (`keep_pace`: leave it), pause or resume it, grant `step`
        single passes; False if it has finished."""
        if self.finished:
            return False
        if not keep_pace:
            self.pace = None if pace is None else float(pace)
        if paused is not None:
            self.paused = paused
        self.granted += step
        self.worker.pace_job(self.number, self.pace, self.paused, self.granted)
        return True

    def post(self, message: Message) -> None:
        """From the reader thread: queue a message on the run's event loop."""
        try:
            self.loop.call_soon_threadsafe(self._put, message)
        except RuntimeError:  # that loop is closed: nobody is listening any more
            pass

    def _put(self, message: Message) -> None:
        if message[0] == "progress" and self.queue.qsize() >= MAX_PENDING:
            return  # a client that does not keep up skips progress, never the end
        self.queue.put_nowait(message)


class TrainingPool:
    """At most `size` worker processes, started one by one as runs need them."""

    def __init__(self, size: int = bounds.MAX_RUNS, time_limit: float | None = None) -> None:
        self.size = size
        # seconds of training a run may have: 60, or less with BACKPROP_LAB_TIME_LIMIT
        self.time_limit = bounds.time_limit() if time_limit is None else time_limit
        self.workers: list[Worker] = []
        self.runs: dict[str, Run] = {}
        self.registry = Registry(None)  # this process alone, until attach()
        self.closing = False
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        # spawn: a fresh interpreter (forking a threaded server is unsafe), and no
        # forkserver process to outlive the server
        self._context = multiprocessing.get_context("spawn")

    def attach(self) -> None:
        """The server starts serving (the app's lifespan): join the registry the server
        processes share, stop the runs first on SIGTERM/SIGINT, and shut down if the
        supervisor of `serve --workers N` is gone."""
        self.closing = False
        self.registry = Registry.from_env()
        self.registry.join()
        on_shutdown_signals(self.close)
        watch_supervisor()

    # -- runs ----------------------------------------------------------------------------

    def submit(self, job: dict[str, Any], stream: bool, client: str = "") -> Run:
        """Start a run on an idle worker (starting one if there is room); Busy if none.
        `job` may carry its starting `pace` and `paused`. (`client` counts on the job queue,
        app/training/queue.py; here the pool's size is the only limit.)

        Call from the event loop that will read the run's messages.
        """
        loop = asyncio.get_running_loop()
        if self.closing:
            raise Closing("the server is shutting down; try again in a moment")
        with self._lock:
            worker = next((w for w in self.workers if w.alive and w.run is None), None)
            if worker is None:
                self.workers = [w for w in self.workers if w.alive]
                if len(self.workers) >= self.size:
                    raise Busy(f"{self.size} networks are training already, as many as this "
                               "server trains at once; try again when one has finished")
                worker = self._start_worker()
            number = next(self._numbers)
            run = Run(secrets.token_hex(8), number, worker, loop,
                      time.monotonic() + self.time_limit + GRACE_SECONDS,
                      pace=job.get("pace"), paused=bool(job.get("paused")))
            worker.run = run
            self.runs[run.run_id] = run
            worker.pace_job(number, run.pace, run.paused, 0)
        self.registry.started(run.run_id)
        try:
            worker.jobs.send({**job, "number": number, "run_id": run.run_id, "stream": stream,
                              "time_limit": self.time_limit})
        except (OSError, ValueError):  # the worker died, or its pipe was closed
            self._kill(worker, run)
        return run

    def cancel(self, run_id: str) -> bool:
        """Stop a run by id, this process's or another's; False if there is no such run going."""
        with self._lock:
            run = self.runs.get(run_id)
        if run is None or run.finished:
            return self.registry.request_cancel(run_id)
        run.cancel()
        return True

    def control(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Pace, pause, resume or step a run by id, this process's or another's: the run's
        control after it ({"pace", "paused"}; unknown in another process: what was asked),
        or None if there is no such run going. `changes` holds `pace` (None: as fast as it
        can; absent: unchanged), `paused` and `step`."""
        with self._lock:
            run = self.runs.get(run_id)
        if run is None or run.finished:
            if not self.registry.request_control(run_id, changes):
                return None
            return {"pace": changes.get("pace"), "paused": changes.get("paused")}
        return self._apply(run, changes)

    def _apply(self, run: Run, changes: dict[str, Any]) -> dict[str, Any] | None:
        """A change of pace, under the lock: the routes' threads and the reader's may both
        write a run's control."""
        with self._lock:
            done = run.control(changes.get("pace"), changes.get("paused"),
                               int(changes.get("step") or 0), keep_pace="pace" not in changes)
            return {"pace": run.pace, "paused": run.paused} if done else None

    def close(self, reason: str = "shutdown") -> None:
        """Take no more runs and stop every run going (SIGTERM: their streams end now)."""
        self.closing = True
        with self._lock:
            runs = [w.run for w in self.workers if w.run is not None]
        for run in runs:
            run.cancel(reason)

    @property
    def busy(self) -> int:
        """Runs going now in this process."""
        with self._lock:
            return sum(1 for w in self.workers if w.alive and w.run is not None)

    def status(self) -> dict[str, int]:
        """Runs going and runs taken at once, over every server process sharing the registry."""
        running = self.registry.running()
        processes = self.registry.processes()
        return {"running": self.busy if running is None else running,
                "slots": self.size * processes, "processes": processes}

    def idle(self) -> bool:
        with self._lock:
            return all(w.run is None for w in self.workers)

    # -- workers -------------------------------------------------------------------------

    def _start_worker(self) -> Worker:
        ctx = self._context
        jobs_out, jobs_in = ctx.Pipe(duplex=False)  # (receiving end, sending end)
        results_out, results_in = ctx.Pipe(duplex=False)
        stop = ctx.RawArray("q", 2)
        control = ctx.RawArray("d", 4)
        process = ctx.Process(target=serve, args=(jobs_out, results_in, stop, os.getpid(),
                                                  control),
                              name="backprop-lab-training", daemon=True)
        process.start()
        jobs_out.close()
        results_in.close()
        worker = Worker(process, jobs_in, results_out, stop, control)
        self.workers.append(worker)
        threading.Thread(target=self._read, args=(worker,), name="training-reader",
                         daemon=True).start()
        return worker

    def _read(self, worker: Worker) -> None:
        """The worker's messages to their runs; the watchdog of its runs' deadlines; the
        eye on the registry for cancels of its runs asked for in other server processes.

        This thread is the only one that closes the worker's pipes, when it ends.
        """
        conn = worker.results
        looked = 0.0
        try:
            while worker.alive:
                if time.monotonic() - looked >= POLL_SECONDS:
                    looked = time.monotonic()
                    with self._lock:
                        run = worker.run
                    if run is not None and self.registry.cancel_requested(run.run_id):
                        run.cancel()  # asked for in another server process
                    if run is not None:
                        for changes in self.registry.controls_requested(run.run_id):
                            self._apply(run, changes)
                try:
                    if not conn.poll(POLL_SECONDS):
                        with self._lock:
                            run = worker.run
                        if run is not None and time.monotonic() > run.deadline:
                            self._kill(worker, run)
                        elif not worker.process.is_alive():
                            self._kill(worker, run)
                        continue
                    message = conn.recv()
                except (EOFError, OSError):
                    with self._lock:
                        run = worker.run
                    self._kill(worker, run)
                    return
                with self._lock:
                    run = worker.run
                    if message[0] in ("done", "error") and run is not None:
                        self._finish(worker, run)
                if run is not None:  # it said something: not stuck
                    run.deadline = time.monotonic() + self.time_limit + GRACE_SECONDS
                    if message[0] != "alive":
                        run.post(message)
        finally:
            worker.results.close()
            worker.jobs.close()

    def _finish(self, worker: Worker, run: Run) -> None:
        """Under the lock: the run is over, its worker free for the next."""
        run.finished = True
        worker.run = None
        self.runs.pop(run.run_id, None)
        self.registry.finished(run.run_id)

    def _kill(self, worker: Worker, run: Run | None) -> None:
        """End a worker that is stuck or dead; its run, if any, ends with an error."""
        with self._lock:
            worker.alive = False
            if run is not None and worker.run is run:
                self._finish(worker, run)
            else:
                run = None
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        if run is not None:
            run.post(("error", 503, internal_timeout()))

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop every run and every worker (the app's lifespan calls this at exit)."""
        with self._lock:
            workers = list(self.workers)
            self.workers = []
            for w in workers:
                if w.run is not None:
                    w.stop_job(w.run.number, "shutdown")
                w.alive = False
        for w in workers:
            try:
                w.jobs.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + timeout
        for w in workers:
            w.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=1)
        self.registry.leave()
        self.closing = False  # the pool can start again (the tests' servers share it)


def internal_timeout() -> bytes:
    """The envelope of a run whose worker had to be killed (503: try again)."""
    return encode(envelope("internal", "the training worker stopped answering (it went past "
                           "its time limit, or it crashed) and was replaced; please report it "
                           "with the request that caused it"))


POOL = TrainingPool()
