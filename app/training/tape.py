"""A lean compiled executor for training: one call per op per pass, nothing else.

`app/engine` evaluates a program once and keeps everything a learner may look
at (every edge's local derivative, the step trace, the layout). Training runs
the same program thousands of times and needs only the loss and the
parameters' gradients, so `Tape.compile` turns the graph, once the inputs'
shapes are known, into two flat lists over a list of numpy values:

- forward: `(node, forward function, first input, second input)` for every
  gate the output depends on and that changes between passes (gates fed only
  by constants are computed once, here);
- backward: for every gate between a parameter and the output, in reverse,
  either its elementwise partials (one per input that needs a gradient, a
  constant partial such as add's 1 folded in, numpy's broadcasting summed
  away only where the shapes differ) or its vector-Jacobian product.

The functions are the op registry's own (`Op.forward`, `Op.partials`,
`Op.vjp`, with an op's params bound once), so training computes exactly what
`/api/graph` shows, and an op is defined in one place. Gradients nobody needs
are not computed where the registry allows it: nothing flows into the data
(`X`, the labels) or into an input an op does not differentiate (class
labels); an op with a vjp returns all its inputs' gradients, and the tape
keeps only the ones it needs.

`Tape.evaluate(node, {input: value})` runs the forward pass of one node on
other input values (the decision boundary's grid instead of the data),
without touching the training values; `evaluate_many` does it for several nodes
at once (the boundary's scores and the hidden layers of the neuron maps).

Compiling, both passes and `evaluate` take an optional `check`, called before
every step: a run's guard (app/training/guard.py) raises there to stop a long
one in the middle. `forward_seconds` is what the first forward pass took, for
the trainer to decide whether a pass is long enough to need it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from app.engine.analysis import Analysis, depends, reaches
from app.engine.shapes import Shape, value_error
from app.graph import Graph
from app.ops import REGISTRY
from app.ops.registry import OpValueError, unbroadcast

# A forward step: (node, function, first input, second input or -1).
Forward = tuple[int, Callable[..., Any], int, int]
Check = Callable[[], None] | None  # called before each step; raises to stop


class Tape:
    """A compiled program: the forward steps, the backward steps, and the values they use."""

    def __init__(self, graph: Graph, shapes: Sequence[Shape], values: list[Any],
                 params: list[int], forward: list[Forward], backward: list[tuple],
                 needs: list[bool]) -> None:
        self.graph = graph
        self.shapes = list(shapes)
        self.values = values
        self.params = params
        self.grads: list[Any] = [None] * len(graph)
        self._forward = forward
        self._backward = backward
        self._needs = needs
        self._varying = {o for o, *_ in forward}
        self._plans: dict[tuple[tuple[int, ...], frozenset[int]], list[Forward]] = {}
        self.forward_seconds = 0.0  # the first forward pass's time (compile measures it)

    @classmethod
    def compile(cls, graph: Graph, shapes: Sequence[Shape], inputs: dict[int, np.ndarray],
                params: Sequence[int], data: Sequence[int] = (), check: Check = None) -> Tape:
        """The tape of `graph` for input values `inputs` (by node id, every input node).

        `params` are the inputs that get gradients and change between passes;
        `data` are inputs that may change between passes but get no gradient.
        The parameters' arrays are copied: the tape owns them and the trainer
        updates them in place. `check` is called between the steps of the work done
        here (constants folded, the first forward pass).
        """
        n = len(graph)
        ops, ins_of, defaults = graph.ops, graph.inputs, graph.defaults
        param_set = set(params)
        values: list[Any] = [None] * n
        for i in range(n):
            if ops[i] == "input":
                values[i] = (np.array(inputs[i], dtype=float) if i in param_set
                             else inputs[i])
            elif ops[i] == "const":
                values[i] = defaults[i]
        facts = Analysis(graph, params, data)  # which nodes matter (app/engine/analysis.py)
        reached, varying, needs = facts.reached, facts.varying, facts.needs

        forward: list[Forward] = []
        for o in range(n):
            if not (ins_of[o] and reached[o]):
                continue
            fn = _bound(graph, o, "forward")
            ins = ins_of[o]
            step = (o, fn, ins[0], ins[1] if len(ins) == 2 else -1)
            if len(ins) > 2:
                raise ValueError(f"op {ops[o]} takes {len(ins)} inputs; the tape runs 1 or 2")
            if varying[o]:
                forward.append(step)
            else:
                _run([step], values, graph, check)  # fed by constants only: once is enough
        tape = cls(graph, shapes, values, list(params), forward, [], needs)
        began = time.perf_counter()
        tape.forward(check)  # the values the backward steps are specialised with
        tape.forward_seconds = time.perf_counter() - began
        tape._backward = _backward_steps(graph, shapes, values, needs)
        return tape

    # -- the passes --------------------------------------------------------------------

    def forward(self, check: Check = None) -> Any:
        """Run every forward step; the output's value."""
        values = self.values
        try:
            if check is None:
                for o, fn, a, b in self._forward:
                    values[o] = fn(values[a]) if b < 0 else fn(values[a], values[b])
            else:
                for o, fn, a, b in self._forward:
                    check()
                    values[o] = fn(values[a]) if b < 0 else fn(values[a], values[b])
        except OpValueError as err:
            raise value_error(self.graph, self.graph.nodes[o], err) from None
        return values[self.graph.output]

    def backward(self, check: Check = None) -> list[Any]:
        """Every needed gradient from the output (seeded with 1) back; `self.grads`."""
        values, grads = self.values, self.grads
        grads[self.graph.output] = np.float64(1.0)
        for step in self._backward:
            if check is not None:
                check()
            if step[0]:  # a vjp: (True, node, function, inputs, [(position, input, add)])
                _, o, fn, ins, targets = step
                contribs = fn(grads[o], values[o], *[values[i] for i in ins])
                for j, i, add in targets:
                    grads[i] = grads[i] + contribs[j] if add else contribs[j]
                continue
            # a partial: (False, node, input, partial, constant, other inputs, reduce, add)
            _, o, i, fn, const, ins, shape, add = step
            if const is None:
                c = grads[o] * fn(values[o], *[values[k] for k in ins])
            elif const == 1.0:
                c = grads[o]
            else:
                c = grads[o] * const
            if shape is not None:
                c = shape(c)
            grads[i] = grads[i] + c if add else c
        return grads

    def gradient(self, node: int) -> Any:
        """The gradient of a node after `backward` (zeros where none flows)."""
        g = self.grads[node] if self._needs[node] else None
        return np.zeros(self.shapes[node]) if g is None else g

    # -- other inputs --------------------------------------------------------------------

    def evaluate(self, node: int, inputs: dict[int, np.ndarray], check: Check = None) -> Any:
        """The value of `node` with some inputs replaced, the training values untouched."""
        return self.evaluate_many((node,), inputs, check)[0]

    def evaluate_many(self, nodes: Sequence[int], inputs: dict[int, np.ndarray],
                      check: Check = None) -> list[Any]:
        """The values of `nodes` with some inputs replaced, the training values untouched."""
        key = (tuple(nodes), frozenset(inputs))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan(nodes, set(inputs))
            self._plans[key] = plan
        values = list(self.values)
        for i, v in inputs.items():
            values[i] = v
        _run(plan, values, self.graph, check)
        return [values[node] for node in nodes]

    def _plan(self, nodes: Sequence[int], changed: set[int]) -> list[Forward]:
        """The forward steps `nodes` need that depend on the `changed` inputs."""
        needed = [False] * len(self.graph)
        for node in nodes:
            needed = [a or b for a, b in zip(needed, reaches(self.graph, node), strict=True)]
        changes = depends(self.graph, changed)
        return [step for step in self._forward if needed[step[0]] and changes[step[0]]]


def _bound(graph: Graph, o: int, what: str) -> Callable[..., Any]:
    """The registry function of node `o`'s op, with the node's params (axis, k) bound."""
    node_params = graph.nodes[o].param_dict()
    fn = getattr(REGISTRY[graph.ops[o]], what)
    return partial(fn, **node_params) if node_params else fn


def _run(steps: list[Forward], values: list[Any], graph: Graph, check: Check = None) -> None:
    try:
        with np.errstate(all="ignore"):
            for o, fn, a, b in steps:
                if check is not None:
                    check()
                values[o] = fn(values[a]) if b < 0 else fn(values[a], values[b])
    except OpValueError as err:
        raise value_error(graph, graph.nodes[o], err) from None


def _backward_steps(graph: Graph, shapes: Sequence[Shape], values: list[Any],
                    needs: list[bool]) -> list[tuple]:
    """The backward steps, in reverse order, for the gates between parameters and output."""
    ops, ins_of = graph.ops, graph.inputs
    seen = [False] * len(graph)
    seen[graph.output] = True
    steps: list[tuple] = []
    for o in range(len(graph) - 1, -1, -1):
        ins = ins_of[o]
        if not (ins and needs[o]):
            continue
        op = REGISTRY[ops[o]]
        wanted = [(j, i) for j, i in enumerate(ins) if needs[i] and j not in op.nondiff]
        # The first contribution to a node's gradient sets it, the others add to it
        # (x * x contributes twice to x).
        adds = []
        for _, i in wanted:
            adds.append(seen[i])
            seen[i] = True
        if op.partials is None:
            fn = _bound(graph, o, "vjp")
            targets = [(j, i, add) for (j, i), add in zip(wanted, adds, strict=True)]
            steps.append((True, o, fn, ins, targets))
        else:
            out_shape = shapes[o]
            for (j, i), add in zip(wanted, adds, strict=True):
                part = op.partials[j]
                const = _constant(part, values[o], [values[k] for k in ins])
                reduce = _reducer(out_shape, shapes[i]) if shapes[i] != out_shape else None
                steps.append((False, o, i, part, const, ins, reduce, add))
    return steps


def _reducer(out: Shape, shape: Shape) -> Callable[[Any], Any]:
    """Sum a gradient of shape `out` back to the `shape` numpy broadcast to `out`.

    The registry's `unbroadcast`; for the common case, a bias added to every row
    ((3,) or (1, 3) against (N, 3)), one reduction over the leading axes, prepared here.
    """
    lead = len(out) - len(shape)
    if lead > 0 and tuple(out[lead:]) == tuple(shape):
        return partial(np.add.reduce, axis=tuple(range(lead)))
    return partial(unbroadcast, shape=shape)


def _constant(part: Callable[..., Any], y: Any, xs: list[Any]) -> float | None:
    """A partial that returns a plain Python number (add's 1, sub's −1) whatever its inputs:
    multiply by it once here, not every pass (and by 1 not at all)."""
    with np.errstate(all="ignore"):
        value = part(y, *xs)
    return value if type(value) is float else None
