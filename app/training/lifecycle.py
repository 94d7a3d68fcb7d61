"""How the server's processes end together, whichever way the server ends.

- A training worker ends when the server process that started it is gone, even
  killed with SIGKILL (it never got to say goodbye): `watch_parent` sees that the
  worker's parent has changed (it was re-parented) and ends it. With the workers
  gone, multiprocessing's resource tracker, which lives as long as any process
  holds its pipe, ends too.
- Under `backprop-lab serve --workers N`, uvicorn runs N server processes under a
  supervisor; if the supervisor is killed, each server process shuts down as for a
  SIGTERM (`watch_supervisor`).
- On SIGTERM or SIGINT the server stops its training runs at once
  (`on_shutdown_signals`), so their event streams end with their results and
  uvicorn's graceful shutdown, which waits for open responses, takes a moment, not
  the rest of a 60 s run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable

PARENT_POLL_SECONDS = 0.2  # how often an orphan looks at its parent
SUPERVISOR_ENV = "BACKPROP_LAB_SUPERVISOR"  # the pid of `serve --workers N`'s supervisor
SHUTDOWN_GRACE_SECONDS = 10.0  # an orphaned server process that has not ended by then exits


def watch_parent(parent: int, on_gone: Callable[[], None],
                 poll: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """Call `on_gone()` from a daemon thread once this process's parent is not `parent`."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        on_gone()

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread


def exit_now() -> None:
    """End this process at once (a worker whose server is gone has nothing to save)."""
    os._exit(0)


def watch_supervisor() -> bool:
    """Under a supervisor named by SUPERVISOR_ENV: shut down (as for SIGTERM) when it is
    gone, and exit if that has not ended the process within SHUTDOWN_GRACE_SECONDS.
    False if this process has no such supervisor."""
    try:
        supervisor = int(os.environ.get(SUPERVISOR_ENV, ""))
    except ValueError:
        return False
    if supervisor != os.getppid():
        return False

    def gone() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(SHUTDOWN_GRACE_SECONDS)
        os._exit(1)

    watch_parent(supervisor, gone)
    return True


def on_shutdown_signals(callback: Callable[[], None]) -> bool:
    """Run `callback` first when SIGTERM or SIGINT arrives, then the handler already there
    (uvicorn's, which starts the graceful shutdown). The callback runs in a thread of its
    own, so a signal that lands while the main thread holds a lock cannot deadlock it.
    False where handlers cannot be set (not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)

        def handler(sig: int, frame: object, previous: object = previous) -> None:
            threading.Thread(target=callback, name="shutdown-runs", daemon=True).start()
            if callable(previous):
                previous(sig, frame)
            elif previous == signal.SIG_DFL:
                signal.signal(sig, signal.SIG_DFL)
                with contextlib.suppress(OSError):
                    os.kill(os.getpid(), sig)

        signal.signal(signum, handler)
    return True
