"""A training worker: a process of its own that runs one training run at a time.

The server starts a few of these (app/training/pool.py) with multiprocessing's
"spawn" and keeps them. Each waits for a job on its pipe, trains, and sends
back messages already encoded as JSON, so the server only forwards bytes:

    ("start", json)            compiled: {"run_id", "data", "passes", "progress_every", …}
    ("progress", json)         {"pass", "loss", "accuracy", "params", "boundary", "history", …}
    ("done", json)             the whole answer of POST /api/train
    ("error", status, json)    the error envelope, before or while training
    ("alive",)                 a paused or slowly paced run, waiting: it is not stuck

Progress is sent only to a client that streams. Stopping is two shared
integers: the server writes a job's number and the reason there (cancelled,
or shutdown), and the job, which looks at them every CHECK_SECONDS in every
phase — compiling, passes, the decision boundary (app/training/guard.py) —
stops and answers what it has. Pacing is four shared numbers the same way: the
job's number, its pace (0: as fast as it can), paused or not, and the single
passes granted so far (app/training/pacing.py). A job is stopped at its time limit the same
way, so its answer comes within a fraction of a second of the limit, not
from the server's watchdog. The worker runs at a lower CPU priority than the
server, so a busy worker leaves the server's requests their CPU, and it ends
as soon as the server process that started it is gone (app/training/lifecycle.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Protocol

import numpy as np

from app.errors import LabError, envelope
from app.jsonify import deep, dumps
from app.training import limits as bounds
from app.training.data import AUTO, DataSpec
from app.training.guard import Guard, Stop
from app.training.lifecycle import exit_now, watch_parent
from app.training.pacing import Control, Pacer
from app.training.trainer import Training, TrainSpec

NICENESS = 19  # added to the worker's nice value: the server's requests go first
STOP_CODES = {"cancelled": 1, "shutdown": 2}  # the reasons, as the stop flag holds them
STOP_REASONS = {code: reason for reason, code in STOP_CODES.items()}


def spec_from(job: dict[str, Any]) -> TrainSpec:
    """A TrainSpec from a job's plain dict (what crosses the pipe): the fields of
    POST /api/train, `dataset` "auto" where the request left it out."""
    raw = job.get("dataset", "auto")
    data: DataSpec | None
    if raw == "auto":
        data = AUTO
    elif raw is None:
        data = None
    else:
        data = DataSpec(name=raw.get("name") or "moons", n=raw.get("n", 200),
                        noise=raw.get("noise"), seed=raw.get("seed", 0),
                        points=raw.get("points"), labels=raw.get("labels"),
                        targets=raw.get("targets"), csv=raw.get("csv"), x=raw.get("x"),
                        y=raw.get("y"))
    optimizer = job.get("optimizer") or {}
    trainable = job.get("trainable")
    return TrainSpec(
        source=job["source"], data=data,
        lr=job.get("lr", 0.01), l2=job.get("l2", 0.0), mode=job.get("mode", "seed004"),
        init=job.get("init"), init_seed=job.get("init_seed", 0),
        passes=job.get("passes", 20_000), params=job.get("params"),
        progress_every=job.get("progress_every"),
        trainable=None if trainable is None else tuple(trainable),
        optimizer=optimizer.get("name", "sgd"),
        hyper={k: v for k, v in optimizer.items() if k != "name" and v is not None})


def control_reader(control: Any, number: int) -> Callable[[], Control]:
    """The job's pacing, as the server last wrote it into the shared numbers."""
    def read() -> Control:
        if control[0] != number:
            return Control()
        pace = control[1]
        return Control(pace if pace > 0 else None, bool(control[2]), int(control[3]))
    return read


def encode(body: Any) -> bytes:
    return dumps(deep(body)).encode("utf-8")


def error(err: LabError) -> bytes:
    """A LabError's envelope, encoded."""
    return encode(err.envelope())


def internal() -> bytes:
    return encode(envelope("internal", "an internal error while training; please report it "
                           "with the request that caused it"))


def interrupted(reason: str) -> tuple[int, bytes]:
    """The answer of a run stopped before it could start training."""
    if reason == "time_limit":
        err = LabError("too_large", "compiling this program took longer than a training run "
                       "may take; make it smaller", key="train_compile_time")
        return err.status, error(err)
    err = LabError("busy", "the run was stopped before it started (cancelled, or the server "
                   "is shutting down); try again in a moment", key="train_shutdown", status=503)
    return err.status, error(err)


class Outbox(Protocol):
    """Where a run's messages go: the worker's pipe, or a Redis stream
    (app/training/queue_worker.py)."""

    def send(self, obj: Any) -> None: ...


def run_job(job: dict[str, Any], out: Outbox, stop: Any, control: Any = None) -> None:
    """One run, from compiling the program to the final answer; every outcome is a message."""
    number, run_id = job["number"], job["run_id"]
    stream = job.get("stream", False)
    time_limit = job.get("time_limit", bounds.TIME_LIMIT_SECONDS)
    started = time.perf_counter()

    def should_stop() -> str | None:
        return STOP_REASONS.get(stop[1], "cancelled") if stop[0] == number else None

    try:
        training = Training(spec_from(job), stop=Guard(should_stop, started + time_limit).check)
    except LabError as err:
        out.send(("error", err.status, error(err)))
        return
    except Stop as stopped:
        out.send(("error", *interrupted(stopped.reason)))
        return
    data = training.data()
    spec = training.spec
    out.send(("start", encode({"run_id": run_id, "data": data if stream else None,
                               "passes": spec.passes, "progress_every": spec.progress_every,
                               "trainable": [u.name for u in training.updates],
                               "optimizer": {"name": training.entry.name, **training.hyper}})))

    def progress(event: dict[str, Any]) -> None:
        event["run_id"] = run_id
        out.send(("progress", encode(event)))

    initial = Control(job.get("pace"), bool(job.get("paused")))
    read = control_reader(control, number) if control is not None else (lambda: initial)
    pacer = Pacer(read, alive=lambda: out.send(("alive",)))
    remaining = time_limit - (time.perf_counter() - started)
    result = training.run(on_progress=progress if stream else None, should_stop=should_stop,
                          time_limit=max(0.0, remaining), pacer=pacer)
    result["run_id"] = run_id
    out.send(("done", encode(result)))


def serve(jobs: Connection, out: Connection, stop: Any, parent: int | None = None,
          control: Any = None) -> None:
    """The worker's life: jobs in, messages out, until it is sent None, its pipe closes, or
    its server process (`parent`) is gone."""
    if parent is not None:
        watch_parent(parent, exit_now)
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    np.seterr(all="ignore")
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            run_job(job, out, stop, control)
        except (BrokenPipeError, EOFError, OSError):
            return  # the server is gone
        except Exception:  # a bug: say so, and stay alive for the next job
            try:
                out.send(("error", 500, internal()))
            except OSError:
                return
