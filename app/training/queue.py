"""The API's side of training on a job queue: runs submitted to RQ, their messages relayed.

With BACKPROP_LAB_REDIS_URL set, each API process (`serve --workers N`, on as many
machines as there are) has a `QueuePool` in place of the in-process pool, with the same
interface for the routes: `submit` a run and read its messages with `await run.next()`,
`cancel` and `control` any run by id, whichever API process submitted it, and `status`.
The runs themselves go to `backprop-lab worker` processes (app/training/queue_worker.py)
through an RQ queue; what a run says and is told lives in its Redis keys
(app/training/channel.py).

One reader thread per API process reads the event streams of all of its runs at once
(XREAD) and hands each message to the event loop of the request that started the run,
as the in-process pool's reader threads do. Every LOOK_SECONDS it also looks at each run:

- still in the queue: after QUEUED_AFTER_SECONDS its client hears ("queued", {"run_id",
  "position"}), position 1 being the next to start, and again when the position changes
  (or every SAY_SECONDS). A run that a free worker takes at once never says it;
- taken by a worker: the worker's alive key must stay: without it (the worker was killed,
  or lost its machine) the run ends with a 503 error at once, and so does a run whose
  worker has said nothing for its time limit and GRACE_SECONDS;
- Redis unreachable for DOWN_SECONDS: every run of this process ends with a 503 error.

Refusals are the in-process pool's `Busy` (a 429 or 503 envelope, type busy): a client
with CLIENT_RUNS runs queued or going, a queue of QUEUE_LIMIT runs waiting, a Redis that
does not answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from app.errors import envelope
from app.training import channel
from app.training import limits as bounds
from app.training.lifecycle import on_shutdown_signals, watch_supervisor
from app.training.pool import GRACE_SECONDS, MAX_PENDING, Busy, Closing, Message
from app.training.registry import RUN_ID
from app.training.worker import encode, interrupted

if TYPE_CHECKING:
    from redis import Redis

LOOK_SECONDS = 0.25  # how often the reader looks at its runs' places in line and workers
QUEUED_AFTER_SECONDS = 0.25  # a run not taken by then says it waits
SAY_SECONDS = 2.0  # a waiting run says its place at least this often
DOWN_SECONDS = 3.0  # Redis unreachable this long: the runs of this process end
LEFT_SECONDS = channel.ALIVE_MS / 1000 + 2  # out of the queue, yet no worker says it has it
PRESENCE_SECONDS = 10  # an API process says it serves, for this long, renewed as it reads
PERFORM = "app.training.queue_worker.perform"
Entries = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]  # XREAD's answer


class QueueFull(Busy):
    """The queue holds as many runs as it may (429)."""

    key = "train_queue_full"


class ClientLimit(Busy):
    """This client has as many runs queued or going as one client may (429)."""

    key = "train_client_limit"


class QueueDown(Closing):
    """The Redis server does not answer (503)."""

    key = "train_queue_down"


def down() -> QueueDown:
    return QueueDown("the training queue (its Redis server) does not answer; training is "
                     "unavailable for now, everything else works; try again in a moment")


def lost(why: str) -> bytes:
    """The envelope of a run whose worker is gone (503: try again)."""
    return encode(envelope("internal", f"the training worker {why}; the run ended without "
                           "its result; try again", key="train_worker_lost"))


@dataclass(eq=False)
class QueuedRun:
    """One queued run as an API process sees it: its messages in order (the in-process
    `Run`'s interface: next, cancel, control, finished)."""

    run_id: str
    pool: QueuePool
    loop: asyncio.AbstractEventLoop
    client: str
    submitted: float
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    finished: bool = False
    last_id: bytes | str = "0-0"
    taken: bool = False  # a worker has it (its alive key, or a message, was seen)
    deadline: float = 0.0
    position: int | None = None
    said: float = 0.0
    left: float | None = None  # when it was seen out of the queue, no worker saying so

    @property
    def keys(self) -> channel.Keys:
        return channel.Keys(self.run_id)

    async def next(self) -> Message:
        """The next message: ("queued"|"start"|"progress"|"done", json) or ("error", status,
        json)."""
        return await self.queue.get()

    def cancel(self, reason: str = "cancelled") -> None:
        if not self.finished:
            with contextlib.suppress(Busy):
                self.pool.cancel(self.run_id, reason)

    def post(self, message: Message) -> None:
        """From the reader thread: queue a message on the run's event loop."""
        try:
            self.loop.call_soon_threadsafe(self._put, message)
        except RuntimeError:  # that loop is closed: nobody is listening any more
            pass

    def _put(self, message: Message) -> None:
        if message[0] in ("progress", "queued") and self.queue.qsize() >= MAX_PENDING:
            return  # a client that does not keep up skips progress, never the end
        self.queue.put_nowait(message)


class QueuePool:
    """Training runs through RQ on the Redis server at `url`."""

    def __init__(self, url: str, time_limit: float | None = None) -> None:
        self.url = url
        # seconds of training a run may have (60, or less with BACKPROP_LAB_TIME_LIMIT): it
        # goes to the worker with the run (app/training/worker.py `run_job` stops there)
        self.time_limit = bounds.time_limit() if time_limit is None else time_limit
        self.size = 0  # runs at once: the workers there are (status); 0 until asked
        self.runs: dict[str, QueuedRun] = {}
        self.closing = False
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._reader: threading.Thread | None = None
        self._redis: Redis | None = None

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            self._redis = channel.connect(self.url)
        return self._redis

    def _queue(self) -> Any:
        from rq import Queue

        return Queue(channel.QUEUE_NAME, connection=self.redis)

    def attach(self) -> None:
        """The server starts serving: stop this process's runs first on SIGTERM/SIGINT, shut
        down with the supervisor of `serve --workers N`."""
        self.closing = False
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        on_shutdown_signals(self.close)
        watch_supervisor()
        self._present()

    # -- runs ----------------------------------------------------------------------------

    def submit(self, job: dict[str, Any], stream: bool, client: str = "",
               loop: asyncio.AbstractEventLoop | None = None) -> QueuedRun:
        """Put a run in the queue; Busy (429) if the client or the queue has as many as it
        may, QueueDown (503) if Redis does not answer. `loop` reads the run's messages (by
        default the running loop; app/training/backend.py `submit` calls this in a thread,
        so a Redis slow to answer never holds the event loop)."""
        from redis.exceptions import RedisError

        loop = loop or asyncio.get_running_loop()
        if self.closing:
            raise Closing("the server is shutting down; try again in a moment")
        run_id = secrets.token_hex(8)
        keys = channel.Keys(run_id)
        mine = channel.client_key(client or "anonymous")
        try:
            self._forget_finished(mine)
            pipe = self.redis.pipeline()
            pipe.zadd(mine, {run_id: time.time()})
            pipe.expire(mine, channel.KEEP_SECONDS)
            pipe.zcard(mine)
            count = pipe.execute()[2]
            limit = channel.setting(channel.CLIENT_RUNS_ENV, channel.CLIENT_RUNS)
            if count > limit:
                self.redis.zrem(mine, run_id)
                raise ClientLimit(f"you have {limit} training runs waiting or going already, "
                                  "as many as one person may; cancel one or wait for it to end")
            queue = self._queue()
            waiting = channel.setting(channel.QUEUE_LIMIT_ENV, channel.QUEUE_LIMIT)
            if queue.count >= waiting:
                self.redis.zrem(mine, run_id)
                raise QueueFull(f"{waiting} training runs are waiting already, as many as the "
                                "queue holds; try again in a minute")
            pace = job.get("pace")
            pipe = self.redis.pipeline()
            pipe.hset(keys.control, mapping={
                "pace": repr(float(pace)) if pace else "0",
                "paused": "1" if job.get("paused") else "0", "granted": "0", "client": mine})
            pipe.expire(keys.control, channel.KEEP_SECONDS)
            pipe.execute()
            run = QueuedRun(run_id, self, loop, mine, time.monotonic())
            with self._lock:
                self.runs[run_id] = run
            self._start_reader()
            queue.enqueue_call(PERFORM, args=({**job, "run_id": run_id, "stream": stream,
                                               "time_limit": self.time_limit},),
                               job_id=run_id, timeout=job_timeout(), result_ttl=0,
                               failure_ttl=channel.AFTER_SECONDS, ttl=channel.KEEP_SECONDS)
        except RedisError as err:
            with self._lock:
                self.runs.pop(run_id, None)
            raise down() from err
        self._wake.set()
        return run

    def _forget_finished(self, mine: str) -> None:
        """A client's runs that ended (or whose keys expired) no longer count."""
        members = cast(list[bytes], self.redis.zrange(mine, 0, -1))
        if not members:
            return
        pipe = self.redis.pipeline()
        for member in members:
            pipe.hmget(channel.Keys(member.decode("ascii")).control, ["client", "finished"])
        ended = [m for m, (owner, finished) in zip(members, pipe.execute(), strict=True)
                 if owner is None or finished == b"1"]
        if ended:
            self.redis.zrem(mine, *ended)

    def cancel(self, run_id: str, reason: str = "cancelled") -> bool:
        """Stop a run, any API process's: a run in the queue leaves it and its stream ends
        at once; a run training stops within a look of its worker (BEAT_SECONDS). False if
        there is no such run going; QueueDown if Redis does not answer."""
        from redis.exceptions import RedisError

        if not RUN_ID.fullmatch(run_id):
            return False
        keys = channel.Keys(run_id)
        try:
            finished, claimed = self.redis.hmget(keys.control, ["finished", "claimed"])
            if not self.redis.exists(keys.control) or finished == b"1":
                return False
            self.redis.hset(keys.control, "stop", reason)
            if claimed is None and self.redis.lrem(self._queue().key, 0, run_id):
                pipe = self.redis.pipeline()  # never to be trained: its stream ends here
                pipe.xadd(keys.events, channel.pack(("error", *interrupted(reason))))
                pipe.hset(keys.control, "finished", "1")
                for key in (keys.control, keys.events):
                    pipe.expire(key, channel.AFTER_SECONDS)
                pipe.execute()
        except RedisError as err:
            raise down() from err
        return True

    def control(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Pace, pause, resume or step a run by id, any API process's: its control after
        it, or None if there is no such run going. QueueDown if Redis does not answer."""
        from redis.exceptions import RedisError

        if not RUN_ID.fullmatch(run_id):
            return None
        keys = channel.Keys(run_id)
        try:
            if not self.redis.exists(keys.control):
                return None
            if self.redis.hget(keys.control, "finished") == b"1":
                return None
            pipe = self.redis.pipeline()
            if "pace" in changes:
                pace = changes["pace"]
                pipe.hset(keys.control, "pace", repr(float(pace)) if pace else "0")
            if changes.get("paused") is not None:
                pipe.hset(keys.control, "paused", "1" if changes["paused"] else "0")
            if changes.get("step"):
                pipe.hincrby(keys.control, "granted", int(changes["step"]))
            pipe.hmget(keys.control, ["pace", "paused"])
            pace_now, paused_now = pipe.execute()[-1]
        except RedisError as err:
            raise down() from err
        pace_value = float(pace_now or 0)
        return {"pace": pace_value if pace_value > 0 else None, "paused": paused_now == b"1"}

    def close(self, reason: str = "shutdown") -> None:
        """Take no more runs and stop this process's runs (SIGTERM: their streams end)."""
        self.closing = True
        with self._lock:
            runs = list(self.runs.values())
        for run in runs:
            run.cancel(reason)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop this process's runs and its reader (the app's lifespan calls this at exit)."""
        self.close()
        deadline = time.monotonic() + timeout
        while self.runs and time.monotonic() < deadline:
            time.sleep(0.05)
        self._wake.set()
        with contextlib.suppress(Exception):
            self.redis.delete(channel.api_key(self.name))
        self.closing = False

    @property
    def busy(self) -> int:
        with self._lock:
            return len(self.runs)

    def idle(self) -> bool:
        return self.busy == 0

    def status(self) -> dict[str, int]:
        """Runs going and waiting, runs taken at once (one per worker), API processes: over
        every machine sharing the Redis server. QueueDown if it does not answer."""
        from redis.exceptions import RedisError
        from rq import Worker
        from rq.registry import StartedJobRegistry

        try:
            queue = self._queue()
            self.size = Worker.count(connection=self.redis, queue=queue)
            running = StartedJobRegistry(queue=queue).count
            processes = sum(1 for _ in self.redis.scan_iter(channel.api_key("*"), count=1000))
            return {"running": running, "slots": self.size, "processes": max(1, processes),
                    "queued": queue.count}
        except RedisError as err:
            raise down() from err

    # -- the reader ----------------------------------------------------------------------

    def _present(self) -> None:
        with contextlib.suppress(Exception):
            self.redis.set(channel.api_key(self.name), "1", ex=PRESENCE_SECONDS)

    def _start_reader(self) -> None:
        with self._lock:
            if self._reader is not None and self._reader.is_alive():
                return
            self._reader = threading.Thread(target=self._read, name="queue-reader",
                                            daemon=True)
            self._reader.start()

    def _read(self) -> None:
        """Every run's messages to its request; their places in line; their workers' life."""
        from redis.exceptions import RedisError

        reader = channel.connect(self.url)
        looked = presence = 0.0
        down_since: float | None = None
        while True:
            with self._lock:
                runs = list(self.runs.values())
            now = time.monotonic()
            if now - presence >= PRESENCE_SECONDS / 3:
                presence = now
                self._present()
            if not runs:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            try:
                self._relay(reader, runs, block=100)
                if time.monotonic() - looked >= LOOK_SECONDS:
                    looked = time.monotonic()
                    self._look(reader, runs)
                down_since = None
            except RedisError:
                now = time.monotonic()
                down_since = now if down_since is None else down_since
                if now - down_since >= DOWN_SECONDS:
                    for run in runs:
                        self._end(run, ("error", 503, lost("cannot be reached: the training "
                                                           "queue's Redis server is gone")))
                time.sleep(0.2)

    def _relay(self, reader: Redis, runs: list[QueuedRun], block: int | None) -> None:
        by_key = {run.keys.events: run for run in runs if not run.finished}
        if not by_key:
            return
        answer = cast(Entries, reader.xread({key: run.last_id for key, run in by_key.items()},
                                            count=100, block=block))
        for key, entries in answer or []:
            run = by_key[key.decode("ascii")]
            for entry_id, fields in entries:
                run.last_id = entry_id
                self._deliver(run, channel.unpack(fields))

    def _deliver(self, run: QueuedRun, message: Message) -> None:
        if run.finished:
            return
        run.taken = True
        run.deadline = time.monotonic() + self.time_limit + GRACE_SECONDS
        if message[0] == "alive":
            return
        if message[0] in ("done", "error"):
            self._finish(run)
        run.post(message)

    def _look(self, reader: Redis, runs: list[QueuedRun]) -> None:
        runs = [run for run in runs if not run.finished]
        queue_key = self._queue().key
        pipe = reader.pipeline()
        for run in runs:
            pipe.exists(run.keys.alive)
            pipe.lpos(queue_key, run.run_id)
        answers = pipe.execute()
        now = time.monotonic()
        for i, run in enumerate(runs):
            alive, position = answers[2 * i], answers[2 * i + 1]
            if alive and not run.taken:
                run.taken = True
                run.deadline = now + self.time_limit + GRACE_SECONDS
            if not run.taken:
                self._waiting(run, position, now)
            elif not alive or now > run.deadline:
                self._relay(reader, [run], block=None)  # its last words, if it said them
                if not run.finished:
                    why = ("stopped answering (it went past its time limit)" if alive else
                           "was stopped or lost (killed, or its machine went away)")
                    self._end(run, ("error", 503, lost(why)))

    def _waiting(self, run: QueuedRun, position: int | None, now: float) -> None:
        """A run not taken yet: say its place in line; end it if it left the queue and no
        worker says it has it."""
        if position is None:
            run.left = now if run.left is None else run.left
            if now - run.left >= LEFT_SECONDS:
                self._end(run, ("error", 503, lost("that took it was lost before it began")))
            return
        run.left = None
        if now - run.submitted < QUEUED_AFTER_SECONDS:
            return
        if position != run.position or now - run.said >= SAY_SECONDS:
            run.position, run.said = position, now
            run.post(("queued", encode({"run_id": run.run_id, "position": position + 1})))

    def _finish(self, run: QueuedRun) -> None:
        run.finished = True
        with self._lock:
            self.runs.pop(run.run_id, None)
        with contextlib.suppress(Exception):
            self.redis.zrem(run.client, run.run_id)

    def _end(self, run: QueuedRun, message: Message) -> None:
        """End a run from here (its worker gone, Redis gone): its client hears `message`, and
        a worker still at it is told to stop."""
        if run.finished:
            return
        self._finish(run)
        run.post(message)
        with contextlib.suppress(Exception):
            pipe = self.redis.pipeline()
            pipe.hset(run.keys.control, mapping={"stop": "cancelled", "finished": "1"})
            pipe.expire(run.keys.control, channel.AFTER_SECONDS)
            pipe.execute()


def job_timeout() -> int:
    """RQ's cap on a job: past the longest a watched run may go (its real limits are the
    run's own, in app/training/worker.py `run_job`)."""
    return int(bounds.WATCH_SECONDS + bounds.TIME_LIMIT_SECONDS + 60)
