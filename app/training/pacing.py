"""How fast a run goes: as fast as it can, at a pace a person can watch, or one pass at a time.

A run's pace can change while it runs: the server writes the run's control into a few
shared numbers (app/training/pool.py), and the trainer asks its `Pacer` before every
pass whether, and when, the next pass may go:

- pace None (or above MAX_PACE): at once — the pacer then looks at the control only
  every CHECK_SECONDS, and costs nothing in between;
- a pace of p passes a second: the next pass waits until 1/p seconds after the last;
- paused: the next pass waits for a step (each step the server grants is one pass) or
  for a resume.

Waiting is not training: the run's time limit counts the time spent on passes, and the
trainer moves its deadline on by the time waited. A paused run that nobody steps or
resumes for IDLE_SECONDS stops ("idle"), and a watched run stops after WATCH_SECONDS in
all ("time_limit"), so a forgotten page does not hold a training worker for ever. While
it waits, the pacer calls `alive()` every second (the worker tells the server it is not
stuck) and asks the guard whether to stop; when a wait turns out to be a pause (for a step
or a resume, not for the pace's next tick) it calls `on_rest()` once, where the trainer
shows the pass it rests at.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.training import limits as bounds
from app.training.guard import CHECK_SECONDS, Guard, Stop

NAP_SECONDS = 0.01  # how long a waiting run sleeps between looks at its control
ALIVE_SECONDS = 1.0  # how often a waiting run says it is alive


@dataclass(frozen=True)
class Control:
    """What the server asks of a run: its pace (None: as fast as it can), whether it is
    paused, and how many single passes it has granted so far in all."""

    pace: float | None = None
    paused: bool = False
    granted: int = 0

    @property
    def fast(self) -> bool:
        return not self.paused and (self.pace is None or self.pace > bounds.MAX_PACE)

    @property
    def watched(self) -> bool:
        """Slow enough to send every pass to the page."""
        return self.paused or (self.pace is not None and self.pace <= bounds.EVERY_PASS_PACE)


class Pacer:
    """Paces a run by `read()`, the server's latest Control."""

    def __init__(self, read: Callable[[], Control], alive: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.perf_counter,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.read = read
        self.alive = alive
        self.clock = clock
        self.sleep = sleep
        self.control = read()
        self.used = self.control.granted  # steps granted before the run began are not owed
        self.last = -math.inf  # when the last pass began
        self.began = clock()
        self._next_look = -math.inf
        self.waited = 0.0  # seconds spent waiting, in all
        self.on_rest: Callable[[], None] | None = None  # set by the trainer's run

    @property
    def watched(self) -> bool:
        return self.control.watched

    def look(self, now: float) -> Control:
        """The server's latest control (read at most every CHECK_SECONDS while fast)."""
        if now >= self._next_look or not self.control.fast:
            self.control = self.read()
            self._next_look = now + CHECK_SECONDS
        return self.control

    def before_pass(self, guard: Guard) -> float:
        """Wait until the next pass may go; the seconds waited. Raises Stop when the run must
        stop while it waits (the guard's flag, the idle or the watching limit)."""
        now = self.clock()
        control = self.look(now)
        if control.fast:
            self.last = now
            return 0.0
        start = now
        idle_since = now
        said = now
        rested = False
        while True:
            if now - self.began >= bounds.WATCH_SECONDS:
                raise Stop("time_limit")
            if control.paused:
                if control.granted > self.used:
                    self.used += 1
                    break
                if not rested and self.on_rest is not None:
                    rested = True
                    self.on_rest()
                if now - idle_since >= bounds.IDLE_SECONDS:
                    raise Stop("idle")
            elif control.pace is None or control.pace > bounds.MAX_PACE:
                break
            else:
                due = self.last + 1.0 / control.pace
                idle_since = now
                if now >= due:
                    break
            reason = guard.reason(now) if guard.should_stop is not None else None
            if reason is not None and reason != "time_limit":
                raise Stop(reason)
            if self.alive is not None and now - said >= ALIVE_SECONDS:
                said = now
                self.alive()
            nap = NAP_SECONDS
            if not control.paused and control.pace is not None:
                nap = min(NAP_SECONDS, max(0.0, self.last + 1.0 / control.pace - now))
            self.sleep(nap)
            now = self.clock()
            control = self.control = self.read()
        self.last = now
        waited = now - start
        self.waited += waited
        return waited
