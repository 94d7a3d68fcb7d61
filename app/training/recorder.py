"""The flight recorder: a run's parameters and optimiser state, kept every so many passes.

A snapshot is taken at pass 0, every s-th pass and at the last pass the run makes, s =
⌈passes / (MAX_SNAPSHOTS − 1)⌉, and at every pass a person watches (a paced or paused
run, app/training/pacing.py). Whenever that would make more than MAX_SNAPSHOTS, every
other snapshot goes (the last stays) and s doubles, so a run keeps at most about 200
across its length whatever its pace. Fewer are kept where 200 snapshots of a big
network would hold more than MAX_SNAPSHOT_NUMBERS numbers (none at all where two would).

Each holds the pass, the printed loss there, every parameter, and the optimiser's state
before the next step (momentum's v, Adam's m and v; nothing for plain descent): enough
to draw the network at that pass and to step through the next one exactly (the page's
"step through this pass").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.training import limits as bounds


class Recorder:
    """Snapshots of one run, at most `limit` of them."""

    def __init__(self, passes: int, numbers: int) -> None:
        """`numbers`: what one snapshot holds (the parameters and their state)."""
        self.limit = min(bounds.MAX_SNAPSHOTS, bounds.MAX_SNAPSHOT_NUMBERS // max(1, numbers))
        self.stride = max(1, -(-passes // max(1, self.limit - 1))) if self.limit >= 2 else 0
        self.snapshots: list[dict[str, Any]] = []
        self._sent = -1  # the pass of the last snapshot handed out in a progress event

    @property
    def on(self) -> bool:
        return self.stride > 0

    def due(self, k: int, watched: bool = False) -> bool:
        """Whether pass k is to be kept: every stride-th, and every watched one."""
        return self.stride > 0 and (watched or k % self.stride == 0) and not (
            self.snapshots and self.snapshots[-1]["pass"] == k)

    def take(self, k: int, loss: float, params: dict[str, np.ndarray],
             state: dict[str, dict[str, np.ndarray]]) -> None:
        if not self.on or (self.snapshots and self.snapshots[-1]["pass"] == k):
            return
        self.snapshots.append({"pass": k, "loss": loss, "params": params, "state": state})
        if len(self.snapshots) > self.limit:  # every other one goes, the last stays
            last = len(self.snapshots) - 1
            self.snapshots = [s for i, s in enumerate(self.snapshots) if i % 2 == 0 or i == last]
            self.stride *= 2

    def fresh(self) -> list[dict[str, Any]]:
        """The snapshots taken since the last call (for a progress event)."""
        out = [s for s in self.snapshots if s["pass"] > self._sent]
        if out:
            self._sent = out[-1]["pass"]
        return out
