"""When a training run must stop: its cancel flag and its deadline, asked inside every long step.

A run has phases that can each take long: compiling the program (constants folded,
the first forward pass), a pass of a big program (a chain of 316 × 316 matmuls takes
a second), and the decision boundary (a 64 × 64 grid through the network, in chunks
the size of the data: 1,024 forward passes for 4 points). A `Guard` is what they ask
between their steps: `check()` looks at the clock at most every CHECK_SECONDS and
then at the flag and the deadline, and raises `Stop` with the reason. The code that
started the phase catches it and answers what it has.
"""

from __future__ import annotations

import time
from collections.abc import Callable

CHECK_SECONDS = 0.02  # how often a guard looks at the cancel flag and the deadline

# What a run's should_stop() may answer: a reason, or True for "cancelled", or nothing.
ShouldStop = Callable[[], "str | bool | None"]


class Stop(Exception):  # noqa: N818 (a signal to unwind, not an error)
    """A long step was interrupted: `reason` is cancelled, shutdown or time_limit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Guard:
    """A cancel flag and a deadline (on `clock`), asked cheaply from inside loops."""

    def __init__(self, should_stop: ShouldStop | None = None, deadline: float | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.should_stop = should_stop
        self.deadline = deadline
        self.clock = clock
        self._next = float("-inf")

    def reason(self, now: float | None = None) -> str | None:
        """Why to stop now (asks the flag and the clock at once), or None."""
        if self.should_stop is not None:
            said = self.should_stop()
            if said:
                return said if isinstance(said, str) else "cancelled"
        if self.deadline is not None:
            if now is None:
                now = self.clock()
            if now >= self.deadline:
                return "time_limit"
        return None

    def check(self) -> None:
        """Raise Stop if the run must stop; the flag is asked at most every CHECK_SECONDS."""
        now = self.clock()
        if now < self._next:
            return
        self._next = now + CHECK_SECONDS
        reason = self.reason(now)
        if reason is not None:
            raise Stop(reason)

    def left(self) -> float:
        """Seconds to the deadline (infinite without one)."""
        return float("inf") if self.deadline is None else self.deadline - self.clock()
