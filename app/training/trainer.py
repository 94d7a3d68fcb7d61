"""The training loop: a program's output is the loss, an optimiser steps its parameters.

What it learns from (app/training/data.py): a data set bound to two of the program's
inputs (`x`, default `X`: the points; `y`, default `y`: their labels or targets) —
generated, or points the request gives — or no data set at all, the program's own
inputs being its data (Mazur's network: minimise E over w1 … w8). Any default the data
inputs have in the program is replaced by the data set.

Which inputs are trained (`trainable`): the ones named, or by default, with a data
set, every input but the data's, and without one the inputs named like weights and
biases (w1, W2, b, theta …) if there are any, else every input; class labels never.
Parameters start either from the program's own values (`init="program"`, the default
without a data set) or from seed 004's scheme (`init="seed004"`, the default with one):
one `RandomState(init_seed)` draws, in program order, `randn(*shape) / sqrt(shape[0])`
for every weight matrix (a parameter with two or more axes) and biases (fewer axes)
start at zero — for seed 004's 2-3-2 network exactly its `np.random.seed(0); W1 =
np.random.randn(2, 3) / np.sqrt(2); …`. Values in `params` replace the starting value
of those parameters.

The gradient each step uses (`mode`), L2 on the weight matrices only, as the seed:

- "seed004", what seed 004's code does: the program's output is the *mean* data loss,
  but the seed's gradient is that of the *summed* loss (its `delta3` is not divided by
  N) plus λW, so the gradient is N·∇mean + λW for weights and N·∇mean for biases, while
  the loss it prints is mean + λ/(2N)·Σ‖W‖².
- "mean", the consistent form: loss = mean + λ/2·Σ‖W‖², gradient ∇mean + λW.

Without a data set N is 1 and the two are the same. The optimiser (app/engine/
optimizers.py: sgd, momentum, adam) then steps each parameter down that gradient —
with sgd, W ← W − lr·(N·∇mean + λW), written in the seed's order of operations.

The history holds the loss after 0, s, 2s, … updates and after the last one
(s = ⌈passes / 1,000⌉), so at most about 1,000 points, first and last kept; the flight
recorder (app/training/recorder.py) keeps about 200 snapshots of the parameters. A
classifier (a program with a cross_entropy gate) also gets its accuracy, the argmax of
that gate's scores against the labels; on two-dimensional points the run draws the
decision boundary and what each hidden unit learned (app/training/pictures.py).

A run goes as fast as it can, or at a pace, or one pass at a time (app/training/
pacing.py). Every long phase can be stopped (app/training/guard.py): compiling, a pass
(checked between its steps once passes take SLOW_PASS_SECONDS or more; a pass stopped
half-way is undone, so the answer is always the parameters after whole passes with
their loss), and the pictures (checked between chunks, and given up at once when the
first chunk shows they cannot finish in their time: null, the page keeps the last).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engine.analysis import discrete
from app.engine.bind import bind, to_array
from app.engine.optimizers import NAMES as OPTIMIZERS
from app.engine.optimizers import Stepper, choose
from app.engine.shapes import infer_shapes
from app.engine.update import PARAMETER_NAME
from app.errors import LabError
from app.graph import Graph, build
from app.lang import parse
from app.lang.names import normalize
from app.limits import DEFAULT_LIMITS, Limits
from app.training import data as datas
from app.training import datasets
from app.training import limits as bounds
from app.training.data import AUTO, Data, DataSpec
from app.training.guard import CHECK_SECONDS, Guard, ShouldStop, Stop
from app.training.pacing import Pacer
from app.training.pictures import Pictures, hidden_layers
from app.training.recorder import Recorder
from app.training.tape import Check, Tape

__all__ = ["DataSpec", "TrainSpec", "Training", "check", "history_stride", "train"]

MODES = ("seed004", "mean")
INITS = ("seed004", "program")
STOPPED = ("cancelled", "shutdown", "time_limit", "diverged", "idle")
SLOW_PASS_SECONDS = 0.2  # passes this long are checked between steps, not only between passes
FINISH_SECONDS = 0.5  # after a stop, the final pictures' time; else they are null
PROGRESS_BOUNDARY_SECONDS = 1.0  # a progress event's pictures that would take longer are null


@dataclass(frozen=True)
class TrainSpec:
    """Everything a run depends on: the same spec always trains to the same numbers.

    `data` None trains with no data set; the default (AUTO) is moons, 200 points, for a
    program that has the input X, and no data set for one that has not. `init` None is
    seed004 with a data set and program without."""

    source: str
    data: DataSpec | None = AUTO
    lr: float = 0.01
    l2: float = 0.0
    mode: str = "seed004"
    init: str | None = None
    init_seed: int = 0
    passes: int = 20_000
    params: dict[str, Any] | None = None
    progress_every: int | None = None
    trainable: tuple[str, ...] | None = None
    optimizer: str = "sgd"
    hyper: dict[str, float] | None = field(default=None)


def check(spec: TrainSpec) -> None:
    """The bounds of app/training/limits.py; a LabError (400 `value`/`too_large`) naming the field.

    The API's schema refuses the same things with a 422 before a request gets here;
    this is for the CLI and for code that builds a spec itself.
    """
    fail = datas.fail
    d = spec.data
    if d is not None and d.generated:
        if d.name not in datasets.DATASETS:
            raise fail("value", "dataset.name", f"no data set called {d.name!r}; there are "
                       + ", ".join(datasets.DATASETS))
        if not bounds.MIN_POINTS <= d.n <= bounds.MAX_POINTS:
            raise fail("too_large", "dataset.n", f"a data set has {bounds.MIN_POINTS} to "
                       f"{bounds.MAX_POINTS:,} points, not {d.n:,}")
        if d.noise is not None and not 0 <= d.noise <= bounds.MAX_NOISE:
            raise fail("value", "dataset.noise", "the noise is between 0 and "
                       f"{bounds.MAX_NOISE:g}")
    seeds = [("init_seed", spec.init_seed)] + ([("dataset.seed", d.seed)] if d else [])
    for where, seed in seeds:
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
    if spec.init is not None and spec.init not in INITS:
        raise fail("value", "init", f"init is one of {', '.join(INITS)}")
    if spec.optimizer not in OPTIMIZERS:
        raise fail("value", "optimizer", f"the optimizer is one of {', '.join(OPTIMIZERS)}")
    if spec.progress_every is not None and spec.progress_every < 1:
        raise fail("value", "progress_every", "progress_every is a whole number of passes, 1 "
                   "or more")


def history_stride(passes: int) -> int:
    """Record every s-th pass: s = ⌈passes / HISTORY_POINTS⌉."""
    return max(1, -(-passes // bounds.HISTORY_POINTS))


@dataclass
class Update:
    """One parameter: its node, its array, weight matrix or not, its optimiser state."""

    name: str
    node: int
    value: np.ndarray
    weight: bool
    state: dict[str, np.ndarray]


class Training:
    """One network being trained: the compiled tape, the data, the parameters and the rule."""

    def __init__(self, spec: TrainSpec, limits: Limits = DEFAULT_LIMITS,
                 stop: Check = None) -> None:
        """Compile `spec`; `stop` is called between the steps of the compiled work (a guard's
        check) and may raise to stop it."""
        check(spec)
        self.spec = spec
        graph = build(parse(spec.source, limits), limits)
        self.graph = graph
        ids = graph.input_ids
        self.data_spec = self._data_spec(spec.data, ids)
        self.data_set: Data | None = None
        bindings: dict[str, str] = {}  # the data: input name -> "x" or "y"
        if self.data_spec is not None:
            self.data_set = datas.load(self.data_spec)
            bindings = self._bindings(self.data_spec, self.data_set, ids)
        names = self._trainable(graph, bindings)
        self.entry, self.hyper = choose(spec.optimizer, spec.hyper)
        self.stepper = Stepper(self.entry, self.hyper, spec.lr)
        values = self._initial(graph, names, limits)
        data_set = self.data_set
        if data_set is not None:
            for name, role in bindings.items():
                array = data_set.X if role == "x" else data_set.y
                if array is not None:
                    values[name] = array.tolist()
        bound, _ = bind(graph, values, limits)
        shapes = infer_shapes(graph, bound, limits)
        out_shape = shapes[graph.output]
        if out_shape != ():
            raise LabError("shape", "training makes the program's output (its last line) "
                           f"smaller, so it must be one number, a loss; it has shape {out_shape}",
                           graph.nodes[graph.output].at, key="train_output_shape",
                           info={"shape": list(out_shape)}, source=graph.source)
        for name, role in bindings.items():
            if role == "y" and data_set is not None and data_set.y is not None and (
                    data_set.classes is not None):
                bound[ids[name]] = data_set.y  # labels as integers: what class_index wants
        data_ids = [ids[name] for name in bindings]
        param_ids = [ids[name] for name in names]
        with np.errstate(all="ignore"):
            self.tape = Tape.compile(graph, shapes, bound, param_ids, data_ids, check=stop)
        self.updates = [Update(name, ids[name], self.tape.values[ids[name]],
                               np.ndim(self.tape.values[ids[name]]) >= 2,
                               self.stepper.fresh(self.tape.values[ids[name]]))
                        for name in names]
        self.t = 0  # updates done
        self.scores, self.labels = self._classifier()
        x_name = next((name for name, role in bindings.items() if role == "x"), None)
        self.x_node = ids[x_name] if x_name is not None else None
        self.n = data_set.n if data_set is not None else 1
        self.X = data_set.X if data_set is not None else np.zeros((0, 0))
        self.y = data_set.y if data_set is not None else None
        self.classes = data_set.classes if data_set is not None else None
        self._scale = float(self.n) if spec.mode == "seed004" else 1.0
        layers = [] if self.x_node is None else hidden_layers(
            graph, shapes, self.tape, self.x_node, param_ids, self.n)
        self.pictures_of = Pictures(graph, self.tape, self.X, self.x_node or 0,
                                    self.scores if self.x_node is not None else None, layers)
        self._drawn_at = self._drawing_cost = 0.0
        self._guard: Guard | None = None  # the run's, while it runs
        self._drawn: tuple[int, Any] = (-1, (None, None))  # progress's last pictures

    # -- set up ------------------------------------------------------------------------

    @staticmethod
    def _data_spec(spec: DataSpec | None, ids: dict[str, int]) -> DataSpec | None:
        """The data set this program trains on: none where asked, or where the default
        meets a program without its `x` input."""
        if spec is None or (spec.auto and spec.x_name not in ids):
            return None
        return spec

    @staticmethod
    def _bindings(spec: DataSpec, data_set: Data, ids: dict[str, int]) -> dict[str, str]:
        """The inputs the data goes to: {name of x: "x", name of y: "y"}."""
        x = normalize(spec.x_name)
        if x not in ids:
            raise LabError("value", f"training reads the data's points as the input {x} (and "
                           "the labels as y): this program has no input called " + x,
                           key="train_no_x", info={"name": x})
        bindings = {x: "x"}
        y = normalize(spec.y) if spec.y else ("y" if "y" in ids else None)
        if y is not None and y == x:
            raise LabError("value", f"the points and their labels go to two different inputs, "
                           f"not both to {x}", key="train_same_input", info={"name": x})
        if y is not None and y not in ids:
            raise LabError("value", f"the labels are to go to the input {y}, and this program "
                           f"has no input called {y}", key="train_no_y", info={"name": y})
        if y is not None and data_set.y is None:
            raise LabError("value", f"the program reads labels as {y}, and these points have "
                           "none: give labels or targets with them", key="train_no_labels",
                           info={"name": y})
        if y is not None:
            bindings[y] = "y"
        return bindings

    def _trainable(self, graph: Graph, bindings: dict[str, str]) -> list[str]:
        """The inputs to train: `trainable`, or the default (see the module's text)."""
        ids = graph.input_ids
        labels = discrete(graph)
        candidates = [name for name in ids if name not in bindings and not labels[ids[name]]]
        if self.spec.trainable is not None:
            names = list(dict.fromkeys(normalize(name) for name in self.spec.trainable))
            for name in names:
                if name not in ids:
                    raise LabError("value", f"'{name}' in trainable is not an input of this "
                                   "program (its inputs: " + ", ".join(ids) + ")",
                                   key="train_unknown_trainable", info={"name": name})
                if name in bindings or labels[ids[name]]:
                    raise LabError("value", f"'{name}' is data (the data set's, or class "
                                   "labels), not a parameter", key="train_data_trainable",
                                   info={"name": name})
        elif self.data_spec is not None:
            names = candidates
        else:
            names = [n for n in candidates if PARAMETER_NAME.fullmatch(n)] or candidates
        if not names:
            raise LabError("value", "this program has nothing to train: every input but the "
                           "data is a parameter, and there is none", key="train_no_params")
        return names

    def _initial(self, graph: Graph, names: list[str], limits: Limits) -> dict[str, Any]:
        """The parameters' starting values: the program's, or seed 004's scheme; then `params`."""
        spec = self.spec
        given = dict(spec.params or {})
        unknown = [name for name in given if name not in names]
        if unknown:
            raise LabError("value", f"'{unknown[0]}' in params is not a parameter of this "
                           "program (its parameters: " + ", ".join(names) + ")",
                           key="train_unknown_param", info={"name": unknown[0]})
        values: dict[str, Any] = {}
        init = spec.init or ("seed004" if self.data_spec is not None else "program")
        if init == "seed004":
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

    def _update(self) -> None:
        """Each parameter steps by the optimiser down g = s·∇ + λp (weight matrices) or s·∇
        (the rest), s = N (seed004: the summed loss's gradient) or 1 (mean), into new
        arrays (the old ones can be put back).

        Written in the seed's order of operations (its `dW += reg * W; W += -eps * dW`):
        seed 004's run amplifies differences in the last bit a hundred-billion-fold
        between passes 1,000 and 2,000 before it settles, so the order decides whether
        the two runs end in the same place.
        """
        l2, scale = self.spec.l2, self._scale
        grads, values, new = self.tape.grads, self.tape.values, self.stepper.new
        t = self.t + 1
        for u in self.updates:
            g = grads[u.node]
            if g is None:  # a parameter the loss does not depend on
                continue
            if scale != 1.0:
                g = scale * g
            if u.weight and l2:
                g = g + l2 * u.value
            u.value, u.state = new(u.value, g, u.state, t)
            values[u.node] = u.value
        self.t = t

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

    def state(self) -> dict[str, dict[str, np.ndarray]]:
        """The optimiser's state before the next step, by parameter (empty for sgd)."""
        if not self.stepper.slots:
            return {}
        return {u.name: {slot: np.array(v) for slot, v in u.state.items()}
                for u in self.updates}

    def pictures(self, guard: Guard | None = None) -> tuple[Any, Any]:
        """(boundary, neurons) at the current parameters (app/training/pictures.py)."""
        return self.pictures_of.draw(guard, self._slow())

    def boundary(self, size: int = bounds.BOUNDARY_SIZE,
                 guard: Guard | None = None) -> dict[str, Any] | None:
        """The classifier's prediction over the data's bounding box + 0.5, on size × size cells
        (None for a program that is not a classifier of 2-D points, or when `guard` stops
        it)."""
        return self.pictures_of.draw(guard, self._slow(), size)[0]

    def _slow(self) -> bool:
        """Whether a pass is long enough to be checked between its steps."""
        return 3 * self.tape.forward_seconds >= SLOW_PASS_SECONDS

    def _recorder(self) -> Recorder:
        per = sum(u.value.size for u in self.updates) * (1 + len(self.stepper.slots))
        return Recorder(self.spec.passes, per)

    def run(self, on_progress: Callable[[dict[str, Any]], None] | None = None,
            should_stop: ShouldStop | None = None,
            time_limit: float | None = None,
            clock: Callable[[], float] = time.perf_counter,
            pacer: Pacer | None = None) -> dict[str, Any]:
        """Train for spec.passes passes, or until stopped; the result (numpy values inside).

        `on_progress(event)` gets a progress event every spec.progress_every passes
        (at least passes / 1,000), or every PROGRESS_SECONDS without it, and after every
        pass while `pacer` is slow enough to watch; a paused run's events always carry the
        pictures, and a run that comes to rest (paused, waiting for a step or a resume)
        first sends the pass it rests at, pictures included, unless its last event did;
        `should_stop()` (True, or a reason:
        "cancelled", "shutdown") is asked every CHECK_SECONDS, inside long passes and
        long pictures too; past `time_limit` seconds of training (time a pacer waits does
        not count) the run stops. A stopped run still answers: its history, parameters
        and accuracy where it got to, the pictures if they can be drawn within
        FINISH_SECONDS.
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
        recorder = self._recorder()
        tape = self.tape
        values, output = tape.values, self.graph.output
        forward, backward, update = tape.forward, tape.backward, self._update
        regularisation = self.regularisation
        start = clock()
        guard = Guard(should_stop, None if time_limit is None else start + time_limit, clock)
        self._guard = guard
        self._drawn = (-1, (None, None))
        slow = self._slow()
        stepwise = guard.check if slow else None  # long passes: checked step by step
        next_check = start + CHECK_SECONDS
        next_progress = start + bounds.PROGRESS_SECONDS
        stopped: str | None = None
        due = pacer is not None and pacer.watched  # a watched run shows its start
        k = 0
        now = start
        shown = -1  # the pass of the last progress event

        def rest() -> None:
            """The run comes to rest at pass k (the pacer calls this when it starts to wait
            for a step or a resume): the page is to show that pass, pictures included, for
            as long as it rests — the last event may have been an earlier pass (a fast run
            sends one every PROGRESS_SECONDS) or may have gone without its pictures."""
            nonlocal sent, shown
            if on_progress is None or (shown == k and (
                    self._drawn[0] == k or not self.pictures_of.drawable)):
                return
            on_progress(self._progress(k, out, hist_passes[sent:], hist_loss[sent:],
                                       recorder.fresh(), draw=True))
            sent, shown = len(hist_passes), k

        if pacer is not None:
            pacer.on_rest = rest
        with np.errstate(all="ignore"):
            before = list(values)
            try:
                out = forward(stepwise)
            except Stop as stop:  # back to the values before it, whole
                values[:] = before
                out, stopped = values[output], stop.reason
            while True:
                last = k == passes or stopped is not None
                loss = None
                if (k % stride == 0 or last) and (not hist_passes or hist_passes[-1] != k):
                    loss = float(out) + regularisation()
                    hist_passes.append(k)
                    hist_loss.append(loss)
                    if not math.isfinite(loss) and stopped is None and not last:
                        stopped = "diverged"
                        last = True
                watched = pacer is not None and pacer.watched
                if recorder.due(k, watched) or (last and recorder.on):
                    if loss is None:
                        loss = float(out) + regularisation()
                    recorder.take(k, loss, self.parameters(), self.state())
                if on_progress is not None and (due or last):
                    # paused, the next pass waits for a click: its pictures cost nothing
                    paused = pacer is not None and pacer.control.paused
                    on_progress(self._progress(k, out, hist_passes[sent:], hist_loss[sent:],
                                               recorder.fresh(), draw=paused))
                    sent, shown = len(hist_passes), k
                    due = False
                if last:
                    break
                if pacer is not None:
                    try:
                        waited = pacer.before_pass(guard)
                    except Stop as stop:
                        stopped = stop.reason
                        continue
                    if waited and guard.deadline is not None:
                        guard.deadline += waited  # waiting is not training
                        now += waited
                    if pacer.watched:
                        due = True
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
                    kept = [(u.value, u.state) for u in self.updates]
                    update()
                    k += 1
                    try:
                        out = forward(stepwise)
                    except Stop as stop:
                        values[:] = before
                        for u, (value, state) in zip(self.updates, kept, strict=True):
                            u.value, u.state = value, state
                        self.t -= 1
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
        seconds = clock() - start - (pacer.waited if pacer is not None else 0.0)
        if stopped is None or stopped == "diverged":
            final = Guard(should_stop, guard.deadline, clock)
        else:  # stopped: pictures only if they are quick
            final = Guard(None, clock() + FINISH_SECONDS, clock)
        drawn, pictures = self._drawn
        if drawn != k or pictures == (None, None):  # (the last progress event's, if it drew)
            pictures = self.pictures(final)
        boundary, neurons = pictures
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
            "neurons": neurons,
            "trainable": [u.name for u in self.updates],
            "optimizer": {"name": self.entry.name, **self.hyper},
            "state": self.state(),
            "snapshots": recorder.snapshots,
        }

    def _progress(self, k: int, out: Any, passes: list[int], loss: list[float],
                  snapshots: list[dict[str, Any]], draw: bool = False) -> dict[str, Any]:
        """A progress event. Its extras stay cheap next to training: the parameters only
        when they are at most PROGRESS_MAX_PARAMS numbers, the pictures only when the time
        since the last is four times what those took (or `draw`: the run waits for a person
        anyway), and only if they take at most PROGRESS_BOUNDARY_SECONDS (else null: the
        page keeps the last)."""
        size = sum(u.value.size for u in self.updates)
        pictures: tuple[Any, Any] = (None, None)
        now = time.perf_counter()
        if self.pictures_of.drawable and (draw or now - self._drawn_at
                                          >= 4 * self._drawing_cost):
            run = self._guard
            limit = PROGRESS_BOUNDARY_SECONDS
            if run is not None:
                limit = min(limit, run.left())
            guard = Guard(None if run is None else run.should_stop,
                          time.perf_counter() + limit)
            self.pictures_of.estimate = 0.0
            pictures = self.pictures(guard)
            self._drawn = (k, pictures)
            self._drawn_at = time.perf_counter()
            self._drawing_cost = max(self._drawn_at - now, self.pictures_of.estimate)
        small = size <= bounds.PROGRESS_MAX_PARAMS
        return {
            "pass": k,
            "loss": float(out) + self.regularisation(),
            "accuracy": self.accuracy(),
            "params": self.parameters() if small else None,
            "state": self.state() if small else None,
            "boundary": pictures[0],
            "neurons": pictures[1],
            "history": {"passes": passes, "loss": loss},
            "snapshots": snapshots,
        }

    def data(self) -> dict[str, Any] | None:
        """The points and labels, for drawing (None without a data set)."""
        return None if self.data_set is None else self.data_set.to_json()


def train(spec: TrainSpec, **options: Any) -> dict[str, Any]:
    """Compile and run: `Training(spec).run(**options)`."""
    return Training(spec).run(**options)
