"""The training loop: a program's output is the loss, gradient descent on its parameters.

The program reads the data as the inputs `X` (n × 2 points) and, for a
classifier, `y` (n class labels); any default they have in the program is
replaced by the data set. Every other input is a parameter. Parameters start
either from the program's own values (`init="program"`) or from seed 004's
scheme (`init="seed004"`): one `RandomState(init_seed)` draws, in program
order, `randn(*shape) / sqrt(shape[0])` for every weight matrix (a parameter
with two or more axes) and biases (fewer axes) start at zero — for seed 004's
2-3-2 network exactly its `np.random.seed(0); W1 = np.random.randn(2, 3) /
np.sqrt(2); …`. Values in `params` replace the starting value of those
parameters.

Two update rules (`mode`), L2 on the weight matrices only, as the seed:

- "seed004", what seed 004's code does: the program's output is the *mean*
  data loss, but the seed's gradient is that of the *summed* loss (its
  `delta3` is not divided by N) plus λW, so each step is
  W ← W − lr·(N·∇mean + λW) and b ← b − lr·N·∇mean, while the loss it prints
  is mean + λ/(2N)·Σ‖W‖².
- "mean", the consistent form: loss = mean + λ/2·Σ‖W‖², and each step goes
  down its gradient, W ← W − lr·(∇mean + λW), b ← b − lr·∇mean.

The history holds the loss after 0, s, 2s, … updates and after the last one
(s = ⌈passes / 1,000⌉), so at most about 1,000 points, first and last kept.
A classifier (a program with a cross_entropy gate) also gets its accuracy,
the argmax of that gate's scores against the labels, and the decision
boundary: the predicted class and its probability on a 64 × 64 grid over the
data's bounding box plus 0.5.

Every long phase can be stopped (app/training/guard.py): compiling, a pass
(checked between its steps once passes take SLOW_PASS_SECONDS or more; a pass
stopped half-way is undone, so the answer is always the parameters after
whole passes with their loss), and the decision boundary (checked between
chunks, and given up at once when its first chunk shows it cannot finish in
its time: null, the page keeps the last one).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engine.bind import bind, to_array
from app.engine.shapes import infer_shapes
from app.errors import LabError
from app.graph import build
from app.lang import parse
from app.limits import DEFAULT_LIMITS, Limits
from app.ops.nn import softmax
from app.training import datasets
from app.training import limits as bounds
from app.training.guard import CHECK_SECONDS, Guard, ShouldStop, Stop
from app.training.tape import Check, Tape

MODES = ("seed004", "mean")
INITS = ("seed004", "program")
DATA_NAMES = ("X", "y")
STOPPED = ("cancelled", "shutdown", "time_limit", "diverged")
SLOW_PASS_SECONDS = 0.2  # passes this long are checked between steps, not only between passes
FINISH_SECONDS = 0.5  # after a stop, the final decision boundary's time; else it is null
PROGRESS_BOUNDARY_SECONDS = 1.0  # a progress event's boundary that would take longer is null


@dataclass(frozen=True)
class DataSpec:
    """Which data set, how many points, how much noise (None: the data set's usual), the seed."""

    name: str = "moons"
    n: int = 200
    noise: float | None = None
    seed: int = 0


@dataclass(frozen=True)
class TrainSpec:
    """Everything a run depends on: the same spec always trains to the same numbers."""

    source: str
    data: DataSpec = field(default_factory=DataSpec)
    lr: float = 0.01
    l2: float = 0.0
    mode: str = "seed004"
    init: str = "seed004"
    init_seed: int = 0
    passes: int = 20_000
    params: dict[str, Any] | None = None
    progress_every: int | None = None


def check(spec: TrainSpec) -> None:
    """The bounds of app/training/limits.py; a LabError (400 `value`/`too_large`) naming the field.

    The API's schema refuses the same things with a 422 before a request gets here;
    this is for the CLI and for code that builds a spec itself.
    """
    def fail(type_: str, where: str, summary: str) -> LabError:
        return LabError(type_, summary, key="train_bound", info={"where": where})

    d = spec.data
    if d.name not in datasets.DATASETS:
        raise fail("value", "dataset.name", f"no data set called {d.name!r}; there are "
                   + ", ".join(datasets.DATASETS))
    if not bounds.MIN_POINTS <= d.n <= bounds.MAX_POINTS:
        raise fail("too_large", "dataset.n", f"a data set has {bounds.MIN_POINTS} to "
                   f"{bounds.MAX_POINTS:,} points, not {d.n:,}")
    if d.noise is not None and not 0 <= d.noise <= bounds.MAX_NOISE:
        raise fail("value", "dataset.noise", f"the noise is between 0 and {bounds.MAX_NOISE:g}")
    for where, seed in (("dataset.seed", d.seed), ("init_seed", spec.init_seed)):
        if not 0 <= seed <= bounds.MAX_SEED:
            raise fail("value", where, f"a seed is a whole number from 0 to {bounds.MAX_SEED:,}")
    if not (math.isfinite(spec.lr) and 0 < spec.lr <= bounds.MAX_LR):
        raise fail("value", "lr", f"the learning rate is a number above 0 and at most "
                   f"{bounds.MAX_LR:g}")
    if not (math.isfinite(spec.l2) and 0 <= spec.l2 <= bounds.MAX_L2):
        raise fail("value", "l2", f"the L2 strength is a number from 0 to {bounds.MAX_L2:g}")
    if not 1 <= spec.passes <= bounds.MAX_PASSES:
        raise fail("too_large", "passes", f"a run makes 1 to {bounds.MAX_PASSES:,} passes, not "
                   f"{spec.passes:,}")
    if spec.mode not in MODES:
        raise fail("value", "mode", f"the mode is one of {', '.join(MODES)}")
    if spec.init not in INITS:
        raise fail("value", "init", f"init is one of {', '.join(INITS)}")
    if spec.progress_every is not None and spec.progress_every < 1:
        raise fail("value", "progress_every", "progress_every is a whole number of passes, 1 "
                   "or more")


def history_stride(passes: int) -> int:
    """Record every s-th pass: s = ⌈passes / HISTORY_POINTS⌉."""
    return max(1, -(-passes // bounds.HISTORY_POINTS))


@dataclass
class Update:
    """One parameter: its node, its array (updated in place), weight matrix or not."""

    name: str
    node: int
    value: np.ndarray
    weight: bool


class Training:
    """One network being trained: the compiled tape, the data, the parameters and the rule."""

    def __init__(self, spec: TrainSpec, limits: Limits = DEFAULT_LIMITS,
                 stop: Check = None) -> None:
        """Compile `spec`; `stop` is called between the steps of the compiled work (a guard's
        check) and may raise to stop it."""
        check(spec)
        self.spec = spec
        d = spec.data
        self.X, self.y = datasets.make(d.name, d.n, d.noise, d.seed)
        self.classes = datasets.DATASETS[d.name].classes
        graph = build(parse(spec.source, limits), limits)
        self.graph = graph
        ids = graph.input_ids
        if "X" not in ids:
            raise LabError("value", "training reads the data as the input X (and the labels as "
                           "y): this program has no input called X", key="train_no_x")
        names = [name for name in ids if name not in DATA_NAMES]
        if not names:
            raise LabError("value", "this program has nothing to train: every input but X and y "
                           "is a parameter, and there is none", key="train_no_params")
        values = self._initial(graph, names, limits)
        values["X"] = self.X.tolist()
        if "y" in ids:
            values["y"] = self.y.tolist()
        bound, _ = bind(graph, values, limits)
        shapes = infer_shapes(graph, bound, limits)
        out_shape = shapes[graph.output]
        if out_shape != ():
            raise LabError("shape", "training makes the program's output (its last line) "
                           f"smaller, so it must be one number, a loss; it has shape {out_shape}",
                           graph.nodes[graph.output].at, key="train_output_shape",
                           info={"shape": list(out_shape)}, source=graph.source)
        if "y" in ids:
            bound[ids["y"]] = self.y  # labels as integers: what class_index wants
        data_ids = [ids[name] for name in DATA_NAMES if name in ids]
        param_ids = [ids[name] for name in names]
        with np.errstate(all="ignore"):
            self.tape = Tape.compile(graph, shapes, bound, param_ids, data_ids, check=stop)
        self.x_node = ids["X"]
        self.updates = [Update(name, ids[name], self.tape.values[ids[name]],
                               np.ndim(self.tape.values[ids[name]]) >= 2) for name in names]
        self.scores, self.labels = self._classifier()
        self.n = len(self.X)
        self._scale = float(self.n) if spec.mode == "seed004" else 1.0
        self._boundary_at = self._boundary_cost = self._boundary_estimate = 0.0
        self._guard: Guard | None = None  # the run's, while it runs
        self._drawn: tuple[int, dict[str, Any] | None] = (-1, None)  # progress's last boundary

    # -- set up ------------------------------------------------------------------------

    def _initial(self, graph: Any, names: list[str], limits: Limits) -> dict[str, Any]:
        """The parameters' starting values: the program's, or seed 004's scheme; then `params`."""
        spec = self.spec
        given = dict(spec.params or {})
        unknown = [name for name in given if name not in names]
        if unknown:
            raise LabError("value", f"'{unknown[0]}' in params is not a parameter of this "
                           "program (its parameters: " + ", ".join(names) + ")",
                           key="train_unknown_param", info={"name": unknown[0]})
        values: dict[str, Any] = {}
        if spec.init == "seed004":
            rng = np.random.RandomState(spec.init_seed)
            ids = graph.input_ids
            for name in names:
                node = graph.nodes[ids[name]]
                if name in given:
                    shape = to_array(given[name], f"the value of '{name}'", limits).shape
                elif node.default is not None:
                    shape = node.default.shape
                else:
                    continue  # no shape to draw for: bind says it is missing
                if len(shape) >= 2:
                    values[name] = (rng.randn(*shape) / np.sqrt(shape[0])).tolist()
                else:
                    values[name] = np.zeros(shape).tolist()
        values.update(given)
        return values

    def _classifier(self) -> tuple[int | None, int | None]:
        """The scores and labels nodes of the program's cross_entropy gate, if it has one."""
        graph = self.graph
        for o in range(len(graph) - 1, -1, -1):
            if graph.ops[o] == "cross_entropy" and self.tape.values[o] is not None:
                scores, labels = graph.inputs[o]
                return scores, labels
        return None, None

    # -- the loop ----------------------------------------------------------------------

    def step(self) -> None:
        """One pass: forward, backward, and the update of every parameter."""
        self.tape.forward()
        self.tape.backward()
        self._update()

    def _update(self, fresh: bool = False) -> None:
        """p ← p − lr·(s·∇ + λp) for weight matrices, p ← p − lr·(s·∇) for the rest, with
        s = N (seed004: the summed loss's gradient) or 1 (mean).

        Written in the seed's order of operations (its `dW += reg * W; W += -eps * dW`):
        seed 004's run amplifies differences in the last bit a hundred-billion-fold
        between passes 1,000 and 2,000 before it settles, so the order decides whether
        the two runs end in the same place. In place, or with `fresh` into new arrays
        (the same bits), so that the old ones can be put back.
        """
        lr, l2, scale = self.spec.lr, self.spec.l2, self._scale
        grads = self.tape.grads
        values = self.tape.values
        for u in self.updates:
            g = grads[u.node]
            if g is None:  # a parameter the loss does not depend on
                continue
            if scale != 1.0:
                g = scale * g
            step = lr * (g + l2 * u.value) if u.weight and l2 else lr * g
            if fresh:
                u.value = values[u.node] = np.subtract(u.value, step, out=np.empty_like(u.value))
            else:
                u.value -= step

    def regularisation(self) -> float:
        """The L2 term of the printed loss: λ/(2N)·Σ‖W‖² (seed004) or λ/2·Σ‖W‖² (mean)."""
        l2 = self.spec.l2
        if not l2:
            return 0.0
        total = sum(float(np.sum(np.square(u.value))) for u in self.updates if u.weight)
        scale = 2.0 * self.n if self.spec.mode == "seed004" else 2.0
        return l2 / scale * total

    def loss(self) -> float:
        """The printed loss at the current parameters (runs the forward pass)."""
        with np.errstate(all="ignore"):
            return float(self.tape.forward()) + self.regularisation()

    def accuracy(self) -> float | None:
        """The share of points whose highest score is their label, after the last forward pass."""
        if self.scores is None or self.labels is None:  # both or neither (_classifier)
            return None
        scores = np.asarray(self.tape.values[self.scores])
        labels = np.asarray(self.tape.values[self.labels])
        if scores.ndim == 0 or scores.shape[:-1] != labels.shape:
            return None
        return float(np.mean(np.argmax(scores, axis=-1) == labels))

    def parameters(self) -> dict[str, np.ndarray]:
        """Copies of the current parameters, by name."""
        return {u.name: np.array(u.value) for u in self.updates}

    def boundary(self, size: int = bounds.BOUNDARY_SIZE,
                 guard: Guard | None = None) -> dict[str, Any] | None:
        """The classifier's prediction over the data's bounding box + 0.5, on size × size cells.

        `grid[r][c]` is the class predicted at the centre of cell (r, c), x growing with
        c from x0 to x1 and y with r from y0 to y1 (row 0 at the bottom); `confidence`
        the softmax probability of that class. None for a program that is not a classifier
        (or whose scores need the labels), and None when `guard` stops it: its flag, or
        its deadline, which the first chunk shows will come before the last.
        """
        if self.scores is None or self.X.shape[1] != 2:
            return None
        x0, y0 = (self.X.min(axis=0) - 0.5).tolist()
        x1, y1 = (self.X.max(axis=0) + 0.5).tolist()
        xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
        ys = y0 + (np.arange(size) + 0.5) * (y1 - y0) / size
        gx, gy = np.meshgrid(xs, ys)
        points = np.c_[gx.ravel(), gy.ravel()]
        try:
            scores = self._predict(points, guard)
        except (LabError, ValueError, IndexError, Stop):
            return None
        if scores is None:
            return None
        with np.errstate(all="ignore"):
            probs = softmax(scores)
        classes = np.argmax(scores, axis=-1)
        confidence = np.round(np.max(probs, axis=-1), 3)
        return {"x0": x0, "x1": x1, "y0": y0, "y1": y1, "size": size,
                "grid": classes.reshape(size, size).tolist(),
                "confidence": confidence.reshape(size, size)}

    def _predict(self, points: np.ndarray, guard: Guard | None = None) -> np.ndarray | None:
        """The scores at other points, in chunks the size of the data (the shapes trained on).

        With a guard: checked between chunks (and between the steps of a chunk when a
        forward pass is long), and given up (Stop) as soon as the time the first chunk
        took says the rest would not fit before the guard's deadline.
        """
        n = self.n
        node = self.scores
        assert node is not None  # only a classifier predicts (boundary)
        chunks = -(-len(points) // n)
        inner = guard.check if guard is not None and self._slow() else None
        began = guard.clock() if guard is not None else 0.0
        out = []
        with np.errstate(all="ignore"):
            for start in range(0, len(points), n):
                chunk = points[start:start + n]
                rows = len(chunk)
                if rows < n:  # pad the last chunk: every shape as in training
                    chunk = np.concatenate([chunk, np.repeat(chunk[:1], n - rows, axis=0)])
                scores = np.asarray(self.tape.evaluate(node, {self.x_node: chunk}, inner))
                if scores.ndim != 2 or len(scores) != n:
                    return None
                out.append(scores[:rows])
                if guard is not None:
                    if len(out) == 1:
                        self._boundary_estimate = (guard.clock() - began) * chunks
                        if self._boundary_estimate > guard.left() + (guard.clock() - began):
                            raise Stop("time_limit")
                    guard.check()
        return np.concatenate(out)

    def _slow(self) -> bool:
        """Whether a pass is long enough to be checked between its steps."""
        return 3 * self.tape.forward_seconds >= SLOW_PASS_SECONDS

    def run(self, on_progress: Callable[[dict[str, Any]], None] | None = None,
            should_stop: ShouldStop | None = None,
            time_limit: float | None = None,
            clock: Callable[[], float] = time.perf_counter) -> dict[str, Any]:
        """Train for spec.passes passes, or until stopped; the result (numpy values inside).

        `on_progress(event)` gets a progress event every spec.progress_every passes
        (at least passes / 1,000), or every PROGRESS_SECONDS without it; `should_stop()`
        (True, or a reason: "cancelled", "shutdown") is asked every CHECK_SECONDS, inside
        long passes and long boundaries too; past `time_limit` seconds the run stops. A
        stopped run still answers: its history, parameters and accuracy where it got to,
        the boundary if it can be drawn within FINISH_SECONDS.
        """
        spec = self.spec
        passes = spec.passes
        stride = history_stride(passes)
        every = None
        if spec.progress_every is not None:
            every = max(spec.progress_every, -(-passes // bounds.MAX_PROGRESS_EVENTS))
        hist_passes: list[int] = []
        hist_loss: list[float] = []
        sent = 0  # history points already sent in progress events
        tape = self.tape
        values, output = tape.values, self.graph.output
        forward, backward, update = tape.forward, tape.backward, self._update
        regularisation = self.regularisation
        start = clock()
        guard = Guard(should_stop, None if time_limit is None else start + time_limit, clock)
        self._guard = guard
        self._drawn = (-1, None)
        slow = self._slow()
        stepwise = guard.check if slow else None  # long passes: checked step by step
        next_check = start + CHECK_SECONDS
        next_progress = start + bounds.PROGRESS_SECONDS
        stopped: str | None = None
        due = False
        k = 0
        now = start
        with np.errstate(all="ignore"):
            before = list(values)
            try:
                out = forward(stepwise)
            except Stop as stop:  # back to the values before it, whole
                values[:] = before
                out, stopped = values[output], stop.reason
            while True:
                last = k == passes or stopped is not None
                if (k % stride == 0 or last) and (not hist_passes or hist_passes[-1] != k):
                    loss = float(out) + regularisation()
                    hist_passes.append(k)
                    hist_loss.append(loss)
                    if not math.isfinite(loss) and stopped is None and not last:
                        stopped = "diverged"
                        last = True
                if on_progress is not None and (due or last):
                    on_progress(self._progress(k, out, hist_passes[sent:], hist_loss[sent:]))
                    sent = len(hist_passes)
                    due = False
                if last:
                    break
                if stepwise is None:
                    backward()
                    update()
                    k += 1
                else:  # a long pass: stoppable inside, and undone if stopped half-way
                    try:
                        backward(stepwise)
                    except Stop as stop:
                        stopped = stop.reason  # the forward pass of pass k is whole
                        continue
                    before = list(values)
                    update(fresh=True)
                    k += 1
                    try:
                        out = forward(stepwise)
                    except Stop as stop:
                        values[:] = before
                        for u in self.updates:
                            u.value = values[u.node]
                        k -= 1
                        out, stopped = values[output], stop.reason
                        continue
                if every is not None and k % every == 0:
                    due = True
                began, now = now, clock()
                if now >= next_check:
                    next_check = now + CHECK_SECONDS
                    stopped = guard.reason(now)
                    if every is None and now >= next_progress:
                        due = True
                        next_progress = now + bounds.PROGRESS_SECONDS
                if stepwise is None:
                    if now - began >= SLOW_PASS_SECONDS:
                        stepwise = guard.check  # passes got long (a busy machine): from the next
                    out = forward()
        seconds = clock() - start
        if stopped is None or stopped == "diverged":
            final = Guard(should_stop, guard.deadline, clock)
        else:  # stopped: a boundary only if it is quick
            final = Guard(None, clock() + FINISH_SECONDS, clock)
        drawn, boundary = self._drawn
        if drawn != k or boundary is None:  # (the last progress event's, if it drew this one)
            boundary = self.boundary(guard=final)
        return {
            "history": {"passes": hist_passes, "loss": hist_loss},
            "loss": hist_loss[-1],
            "params": self.parameters(),
            "accuracy": self.accuracy(),
            "passes_done": k,
            "passes": passes,
            "cancelled": stopped == "cancelled",
            "stopped": stopped,
            "seconds": seconds,
            "data": self.data(),
            "boundary": boundary,
        }

    def _progress(self, k: int, out: Any, passes: list[int], loss: list[float]) -> dict[str, Any]:
        """A progress event. Its extras stay cheap next to training: the parameters only
        when they are at most PROGRESS_MAX_PARAMS numbers, the decision boundary only when
        the time since the last one is four times what that one took, and only if it takes
        at most PROGRESS_BOUNDARY_SECONDS (else null: the page keeps the last)."""
        size = sum(u.value.size for u in self.updates)
        boundary = None
        now = time.perf_counter()
        if now - self._boundary_at >= 4 * self._boundary_cost:
            run = self._guard
            limit = PROGRESS_BOUNDARY_SECONDS
            if run is not None:
                limit = min(limit, run.left())
            guard = Guard(None if run is None else run.should_stop,
                          time.perf_counter() + limit)
            self._boundary_estimate = 0.0
            boundary = self.boundary(guard=guard)
            self._drawn = (k, boundary)
            self._boundary_at = time.perf_counter()
            self._boundary_cost = max(self._boundary_at - now, self._boundary_estimate)
        return {
            "pass": k,
            "loss": float(out) + self.regularisation(),
            "accuracy": self.accuracy(),
            "params": self.parameters() if size <= bounds.PROGRESS_MAX_PARAMS else None,
            "boundary": boundary,
            "history": {"passes": passes, "loss": loss},
        }

    def data(self) -> dict[str, Any]:
        """The points and labels, for drawing."""
        return {"X": self.X, "y": self.y.tolist(), "classes": self.classes}


def train(spec: TrainSpec, **options: Any) -> dict[str, Any]:
    """Compile and run: `Training(spec).run(**options)`."""
    return Training(spec).run(**options)
