"""The bounds of one training run, in one place: the API schema, the CLI and the trainer read them.

A run's work is passes × the cost of a pass, and a pass is bounded by the
program limits of app/limits.py and the data size here; the time limit caps
whatever is left. The learning rate and the L2 strength are finite and
inside ranges where training means something (a learning rate of 1e9 only
makes NaN faster).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

MAX_PASSES = 100_000
MIN_POINTS = 4
MAX_POINTS = 2_000
MAX_NOISE = 1.0
MAX_LR = 10.0  # exclusive lower bound 0
MAX_L2 = 10.0
MAX_SEED = 2**32 - 1  # numpy's RandomState takes seeds 0 … 2³² − 1
TIME_LIMIT_SECONDS = 60.0  # per run, wall clock; the run stops and answers what it has
TIME_LIMIT_ENV = "BACKPROP_LAB_TIME_LIMIT"  # a server's lower cap, in seconds (time_limit())
MAX_RUNS = 2  # training runs at once, one worker process each
HISTORY_POINTS = 1_000  # the loss history keeps about this many points, first and last included
PROGRESS_SECONDS = 0.1  # a progress event this often, unless progress_every says otherwise
MAX_PROGRESS_EVENTS = 1_000  # progress_every is raised to passes / 1,000 if lower
BOUNDARY_SIZE = 64  # the decision boundary's grid is 64 × 64 cells
PROGRESS_MAX_PARAMS = 10_000  # progress events carry the parameters up to this many numbers
MAX_FEATURES = 16  # numbers in one given point (a CSV line's coordinates)
MAX_CLASSES = 10  # class labels 0 … 9 in given points
MAX_CSV_CHARS = 100_000  # the CSV text of given points
MAX_SNAPSHOTS = 200  # the flight recorder: parameters kept every ⌈passes/200⌉ passes, and the last
MAX_SNAPSHOT_NUMBERS = 200_000  # … holding at most this many numbers (fewer snapshots if need be)
NEURON_UNITS = 16  # the hidden units drawn as maps over the input plane, at most
NEURON_SIZE = 32  # each map is 32 × 32 cells (every other cell of the boundary's grid)
EVERY_PASS_PACE = 50.0  # at this pace (passes a second) or slower, a progress event every pass
MAX_PACE = 10_000.0  # a pace above this is as fast as possible
IDLE_SECONDS = 300.0  # a paused run nobody steps or resumes for this long stops ("idle")
WATCH_SECONDS = 1_800.0  # a watched run (paced or paused) stops after this long in all


def time_limit_of(text: str) -> float:
    """A cap on each run's training as BACKPROP_LAB_TIME_LIMIT gives it: seconds above 0 and
    at most TIME_LIMIT_SECONDS. The variable lowers the cap, never raises it (the watchdogs
    and the job queue's own timeout are sized for TIME_LIMIT_SECONDS). ValueError else."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= TIME_LIMIT_SECONDS):
        raise ValueError(f"{TIME_LIMIT_ENV} is a number of seconds above 0 and at most "
                         f"{TIME_LIMIT_SECONDS:g}, not {text!r}")
    return value


def time_limit(environ: Mapping[str, str] = os.environ) -> float:
    """The cap a server puts on each run's training: BACKPROP_LAB_TIME_LIMIT's seconds, else
    TIME_LIMIT_SECONDS (also for a value time_limit_of refuses: `backprop-lab serve` will not
    start with one, and a server started some other way keeps the usual cap). Read by the
    in-process pool and by each API process of the job queue, which hands it to the worker
    with the run."""
    text = environ.get(TIME_LIMIT_ENV, "").strip()
    if not text:
        return TIME_LIMIT_SECONDS
    try:
        return time_limit_of(text)
    except ValueError:
        return TIME_LIMIT_SECONDS
