"""The training runs of every server process, where all of them can see them.

`backprop-lab serve --workers N` runs N server processes, each with its own
training pool. A cancel request, or the status, can land on any of them, so the
processes share a directory (made by `shared_runs`, named to them in RUN_DIR_ENV):

    proc-<pid>          one per server process, while it serves
    run-<run id>        one per run going, holding the pid of the process that owns it
    cancel-<run id>     a request to stop that run, from whichever process got it
    control-<run id>-<n>  a change of its pace (JSON: pace, paused, step), in order of n

The owner's pool looks for its runs' cancel and control files every POLL_SECONDS
and applies them. A process that died without cleaning up (SIGKILL) leaves files behind that
name a pid no longer alive: they are not counted, and are removed when seen.
Run ids are checked to be ours (16 hex digits) before they become file names.
Without the directory (one server process, or the tests' in-process server) the
registry is this process's pool alone.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.training.lifecycle import SUPERVISOR_ENV

RUN_DIR_ENV = "BACKPROP_LAB_RUN_DIR"
POLL_SECONDS = 0.1  # how often an owner looks for cancel files of its runs
RUN_ID = re.compile(r"[0-9a-f]{16}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: alive
        return True
    return True


class Registry:
    """The shared directory of runs and processes; inert without one."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path else None
        self.pid = os.getpid()
        self._count = itertools.count()

    @classmethod
    def from_env(cls) -> Registry:
        return cls(os.environ.get(RUN_DIR_ENV) or None)

    @property
    def shared(self) -> bool:
        return self.path is not None and self.path.is_dir()

    @property
    def _dir(self) -> Path:
        """The shared directory: used only where `shared` holds."""
        assert self.path is not None
        return self.path

    # -- this process --------------------------------------------------------------------

    def join(self) -> None:
        """Say that this process serves (its pid may have changed since import: a fork)."""
        self.pid = os.getpid()
        if self.shared:
            self._write(f"proc-{self.pid}", str(self.pid))

    def leave(self) -> None:
        """This process stops serving: its own files go, and the directory with the last
        process if the supervisor that would have removed it is gone (killed)."""
        if not self.shared:
            return
        for entry in self._entries("run-"):
            if self._owner(entry) == self.pid:
                self._remove(entry.name)
                self._forget(entry.name[4:])
        self._remove(f"proc-{self.pid}")
        try:
            supervisor = int(os.environ.get(SUPERVISOR_ENV, ""))
        except ValueError:
            return
        if not alive(supervisor) and not any(True for _ in self._live("proc-")):
            shutil.rmtree(self._dir, ignore_errors=True)

    def started(self, run_id: str) -> None:
        if self.shared:
            self._write(f"run-{run_id}", str(self.pid))

    def finished(self, run_id: str) -> None:
        if self.shared:
            self._remove(f"run-{run_id}")
            self._forget(run_id)

    def cancel_requested(self, run_id: str) -> bool:
        return self.shared and (self._dir / f"cancel-{run_id}").exists()

    def controls_requested(self, run_id: str) -> list[dict[str, Any]]:
        """The changes of pace asked for this run in other processes, oldest first; each
        is handed out once."""
        if not self.shared:
            return []
        prefix = f"control-{run_id}-"
        found = []
        for entry in self._entries(prefix):
            try:
                order = (int(entry.name[len(prefix):].split("-")[0]), entry.name)
                found.append((order, json.loads(entry.read_text(encoding="ascii"))))
            except (OSError, ValueError):
                pass
            self._remove(entry.name)
        return [changes for _, changes in sorted(found, key=lambda item: item[0])
                if isinstance(changes, dict)]

    # -- any process ----------------------------------------------------------------------

    def request_cancel(self, run_id: str) -> bool:
        """Ask the owner of another process's run to stop it; False if no such run is going."""
        if not (self.shared and RUN_ID.fullmatch(run_id)):
            return False
        owner = self._owner(self._dir / f"run-{run_id}")
        if owner is None or not alive(owner):
            return False
        self._write(f"cancel-{run_id}", str(self.pid))
        return True

    def request_control(self, run_id: str, changes: dict[str, Any]) -> bool:
        """Ask the owner of another process's run to change its pace; False if no such run
        is going."""
        if not (self.shared and RUN_ID.fullmatch(run_id)):
            return False
        owner = self._owner(self._dir / f"run-{run_id}")
        if owner is None or not alive(owner):
            return False
        stamp = f"{time.time_ns():020d}-{self.pid}-{next(self._count)}"
        self._write(f"control-{run_id}-{stamp}", json.dumps(changes))
        return True

    def running(self) -> int | None:
        """Runs going in every process (None without a shared directory)."""
        if not self.shared:
            return None
        return sum(1 for _ in self._live("run-"))

    def processes(self) -> int:
        """Server processes serving now (1 without a shared directory)."""
        if not self.shared:
            return 1
        return max(1, sum(1 for _ in self._live("proc-")))

    # -- files -----------------------------------------------------------------------------

    def _live(self, prefix: str) -> Iterator[Path]:
        """Entries whose pid is alive; the others (a process killed) are removed."""
        for entry in self._entries(prefix):
            owner = self._owner(entry)
            if owner is not None and alive(owner):
                yield entry
            elif owner is not None:
                self._remove(entry.name)
                if prefix == "run-":
                    self._forget(entry.name[4:])

    def _entries(self, prefix: str) -> list[Path]:
        try:
            return [p for p in self._dir.iterdir() if p.name.startswith(prefix)]
        except OSError:
            return []

    @staticmethod
    def _owner(path: Path) -> int | None:
        try:
            return int(path.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None

    def _write(self, name: str, text: str) -> None:
        """Write a file whole (a reader never sees half of it)."""
        target = self._dir / name
        temporary = self._dir / f".{name}.{self.pid}"
        with contextlib.suppress(OSError):
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(text)
            os.replace(temporary, target)

    def _forget(self, run_id: str) -> None:
        """A finished run's requests go."""
        self._remove(f"cancel-{run_id}")
        for entry in self._entries(f"control-{run_id}-"):
            self._remove(entry.name)

    def _remove(self, name: str) -> None:
        with contextlib.suppress(OSError):
            (self._dir / name).unlink()


@contextlib.contextmanager
def shared_runs(processes: int) -> Iterator[str | None]:
    """For `serve --workers N` with N > 1: a private directory for the registry and this
    process's pid as the supervisor, both in the environment the server processes inherit;
    removed when the server ends."""
    if processes <= 1:
        yield None
        return
    path = tempfile.mkdtemp(prefix="backprop-lab-runs-")  # mode 0700, a name nobody guesses
    saved = {key: os.environ.get(key) for key in (RUN_DIR_ENV, SUPERVISOR_ENV)}
    os.environ[RUN_DIR_ENV] = path
    os.environ[SUPERVISOR_ENV] = str(os.getpid())
    try:
        yield path
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(path, ignore_errors=True)
