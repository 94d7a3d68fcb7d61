"""A training worker on the queue: `backprop-lab worker`, on any machine that reaches Redis.

It is an RQ SimpleWorker (the run goes in the worker's own process: numpy is loaded
once, and a SIGKILL of the worker is the end of its run, which the API sees within
ALIVE_MS). Each job is one POST /api/train, and `perform` trains it with the very
function the in-process worker calls (app/training/worker.py `run_job`), so the result
is the same, bit for bit. Only the plumbing differs: `run_job` writes its messages to a
`StreamOut` (the run's Redis stream) instead of a pipe, and reads its stop flag and its
pace from lists that a `Watch` thread fills from the run's control hash every
BEAT_SECONDS, the same thread that says the worker is alive.

SIGTERM or SIGINT stops the run going with "shutdown" (its stream ends with what it has,
as in-process) and then the worker, after the job, as RQ does.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from app.training import channel
from app.training.worker import NICENESS, STOP_CODES, internal, run_job

if TYPE_CHECKING:
    from redis import Redis

NUMBER = 1  # the one job a worker's stop and control lists ever name
RECONNECT_SECONDS = 1.0  # with Redis gone, a worker tries again this often


class StreamOut:
    """Where `run_job` sends its messages: the run's Redis stream (a pipe's `send`)."""

    def __init__(self, redis: Redis, keys: channel.Keys) -> None:
        self.redis = redis
        self.keys = keys

    def send(self, message: tuple[Any, ...]) -> None:
        """Append the message; the last one ("done", "error") marks the run finished in the
        same transaction, so whoever reads it finds the run over (a cancel then is a 404)."""
        pipe = self.redis.pipeline(transaction=True)
        if message[0] in ("done", "error"):
            pipe.hset(self.keys.control, "finished", "1")
        pipe.xadd(self.keys.events, channel.pack(message), maxlen=channel.EVENTS_KEPT,
                  approximate=True)
        pipe.execute()


class Watch:
    """A thread that copies the run's control hash into `stop` and `control` (the shapes
    run_job reads: app/training/worker.py) and keeps the run's alive key fresh."""

    def __init__(self, redis: Redis, keys: channel.Keys) -> None:
        self.redis = redis
        self.keys = keys
        self.stop: list[float] = [0, 0]
        self.control: list[float] = [0, 0.0, 0.0, 0]
        self.shutdown = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="run-watch", daemon=True)

    def start(self) -> None:
        self.look()  # the run's starting pace, before it reads it
        self._thread.start()

    def end(self) -> None:
        self._done.set()
        self._thread.join(timeout=2 * channel.SOCKET_SECONDS)

    def look(self) -> None:
        pipe = self.redis.pipeline()
        pipe.hgetall(self.keys.control)
        pipe.set(self.keys.alive, os.getpid(), px=channel.ALIVE_MS)
        fields = pipe.execute()[0]
        reason = "shutdown" if self.shutdown else fields.get(b"stop", b"").decode("ascii")
        if reason:
            self.stop[1] = STOP_CODES.get(reason, STOP_CODES["cancelled"])
            self.stop[0] = NUMBER  # the reason first: run_job reads the number first
        self.control[1] = float(fields.get(b"pace") or 0.0)
        self.control[2] = 1.0 if fields.get(b"paused") == b"1" else 0.0
        self.control[3] = int(fields.get(b"granted") or 0)
        self.control[0] = NUMBER

    def _watch(self) -> None:
        from redis.exceptions import RedisError

        while not self._done.wait(channel.BEAT_SECONDS):
            try:
                self.look()
            except RedisError:
                pass  # Redis is away: the run goes on; its messages will fail to send


CURRENT: list[Watch] = []  # the run this worker trains now, for its SIGTERM handler


def perform(job: dict[str, Any]) -> None:
    """One queued run (RQ's job function): train it and stream its messages.

    A run whose control hash is gone (expired: it waited longer than KEEP_SECONDS) or
    taken by another worker already (RQ handing a job out twice) is not trained again."""
    from rq import get_current_job

    current = get_current_job()
    assert current is not None, "perform runs inside an RQ worker"
    redis = current.connection
    keys = channel.Keys(job["run_id"])
    if not redis.exists(keys.control):
        return
    if not redis.hsetnx(keys.control, "claimed", f"{socket.gethostname()}:{os.getpid()}"):
        return
    watch = Watch(redis, keys)
    out = StreamOut(redis, keys)
    watch.start()
    CURRENT.append(watch)
    try:
        run_job({**job, "number": NUMBER}, out, watch.stop, watch.control)
    except Exception:  # a bug: say so (a Redis gone too: then nobody hears it)
        try:
            out.send(("error", 500, internal()))
        except Exception:  # noqa: BLE001 (Redis is gone: the API sees the run go silent)
            pass
    finally:
        CURRENT.remove(watch)
        watch.end()
        try:
            pipe = redis.pipeline()
            pipe.hset(keys.control, "finished", "1")
            for key in (keys.control, keys.events):
                pipe.expire(key, channel.AFTER_SECONDS)
            pipe.execute()
        except Exception:  # noqa: BLE001 (the keys expire anyway)
            pass


def work(url: str, name: str | None = None, burst: bool = False) -> None:
    """Be a training worker until SIGTERM/SIGINT (`burst`: until the queue is empty). With
    Redis gone, RQ's loop ends: the worker waits for it to come back and goes on."""
    from redis.exceptions import RedisError
    from rq import Queue, SimpleWorker
    from rq.exceptions import StopRequested

    stopping: list[bool] = []

    class Worker(SimpleWorker):
        def request_stop(self, signum: Any, frame: Any) -> None:
            stopping.append(True)
            for watch in list(CURRENT):
                watch.shutdown = True
                watch.stop[1] = STOP_CODES["shutdown"]
                watch.stop[0] = NUMBER
            super().request_stop(signum, frame)

        def unsubscribe(self) -> None:
            """RQ would join its pubsub thread, which looks up once a minute; the thread is
            a daemon and the connection closes with the process, so a worker told to stop
            ends at once."""

    try:
        os.nice(NICENESS)
    except OSError:
        pass
    np.seterr(all="ignore")  # as the in-process worker: no warnings for NaN, same numbers
    redis = channel.connect(url, blocking=True)
    queue = Queue(channel.QUEUE_NAME, connection=redis)
    while True:
        try:
            worker = Worker([queue], connection=redis, name=name)
            worker.work(burst=burst, logging_level="WARNING", with_scheduler=False)
        except (RedisError, StopRequested):
            pass
        if burst or stopping:
            return
        try:
            time.sleep(RECONNECT_SECONDS)
        except StopRequested:  # SIGTERM while Redis is away (RQ's handler raises it)
            return
