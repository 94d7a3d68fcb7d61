"""Where a queued training run lives in Redis, for the API processes and the workers alike.

With a Redis server (BACKPROP_LAB_REDIS_URL, or `--redis URL`) training runs go to an RQ
queue (app/training/queue.py submits, app/training/queue_worker.py trains) instead of
the server's own worker processes. RQ carries the job; everything a run says and is told
while it goes lives in three keys of its own:

    backprop-lab:run:<id>:events   a Redis stream: the worker's messages in order, each
                                   {kind, status, body} as the in-process worker sends
                                   them ("start", "progress", "alive", "done", "error")
    backprop-lab:run:<id>:control  a hash: stop (a reason), pace, paused, granted (single
                                   passes asked for in all), claimed (the worker that took
                                   it), finished; written by any API process
    backprop-lab:run:<id>:alive    set by the worker every BEAT_SECONDS with a TTL of
                                   ALIVE_MS: gone, the worker is gone (SIGKILL, a lost
                                   machine) and the run's stream ends with an error

and a client's runs not yet finished are the sorted set backprop-lab:client:<key>.
Every key expires on its own, so a crashed process leaves nothing behind for long.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis import Redis

REDIS_URL_ENV = "BACKPROP_LAB_REDIS_URL"
QUEUE_LIMIT_ENV = "BACKPROP_LAB_QUEUE_LIMIT"  # runs waiting at most, over every API process
CLIENT_RUNS_ENV = "BACKPROP_LAB_CLIENT_RUNS"  # runs one client may have queued or going
QUEUE_NAME = "backprop-lab-train"
PREFIX = "backprop-lab"
QUEUE_LIMIT = 500
CLIENT_RUNS = 2
BEAT_SECONDS = 0.5  # how often a worker says that it is alive, and reads its run's control
ALIVE_MS = 3_000  # … and how long that lasts: a worker silent this long is gone
KEEP_SECONDS = 2 * 3_600  # a run's keys outlive the longest wait and run, then expire
AFTER_SECONDS = 120  # a finished run's keys are kept this long (a late reader, a cancel)
EVENTS_KEPT = 200  # the stream of a run keeps about this many messages (progress drops first)
SOCKET_SECONDS = 2.0  # a Redis that does not answer within this is down


@dataclass(frozen=True)
class Keys:
    """The Redis keys of one run."""

    run_id: str

    @property
    def events(self) -> str:
        return f"{PREFIX}:run:{self.run_id}:events"

    @property
    def control(self) -> str:
        return f"{PREFIX}:run:{self.run_id}:control"

    @property
    def alive(self) -> str:
        return f"{PREFIX}:run:{self.run_id}:alive"


def client_key(client: str) -> str:
    return f"{PREFIX}:client:{client}"


def api_key(name: str) -> str:
    """An API process's presence (for the status's count of processes)."""
    return f"{PREFIX}:api:{name}"


def redis_url() -> str | None:
    """The Redis server runs go through, or None: the in-process pool."""
    return os.environ.get(REDIS_URL_ENV) or None


def setting(name: str, default: int) -> int:
    """A whole-number setting from the environment (the default if unset or not a number)."""
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value >= 0 else default


def connect(url: str, blocking: bool = False) -> Redis:
    """A client of the Redis server at `url` that gives up on a dead server quickly
    (`blocking`: one whose commands may wait as long as they ask, as RQ's worker waits for
    its next job)."""
    from redis import Redis

    return Redis.from_url(url, socket_timeout=None if blocking else SOCKET_SECONDS,
                          socket_connect_timeout=SOCKET_SECONDS, health_check_interval=10)


def pack(message: tuple[Any, ...]) -> dict[Any, Any]:
    """A worker message as a stream entry: ("error", status, body) or (kind, body) or
    (kind,)."""
    kind = message[0]
    if kind == "error":
        return {"kind": kind, "status": int(message[1]), "body": message[2]}
    return {"kind": kind, "status": 0, "body": message[1] if len(message) > 1 else b""}


def unpack(fields: dict[bytes, bytes]) -> tuple[Any, ...]:
    """A stream entry back as the message the in-process pool hands its runs."""
    kind = fields[b"kind"].decode("ascii")
    if kind == "error":
        return ("error", int(fields[b"status"]), fields[b"body"])
    if kind == "alive":
        return ("alive",)
    return (kind, fields[b"body"])
