"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of `repeats` runs, in seconds, each after a garbage collection.

    What is alive before a run is frozen out of the collector's sight during it: otherwise
    a run that makes many cyclic objects (micrograd's `Value`s) pays for walking whatever
    the benchmark itself keeps alive (the other side's graphs), up to 2.5× its own time.
    """
    times = []
    for _ in range(repeats):
        gc.collect()
        gc.freeze()
        try:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        finally:
            gc.unfreeze()
    return min(times)
