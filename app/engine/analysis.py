"""Which nodes matter: the one analysis behind every executor.

Three executors run a graph: the engine's evaluation (app/engine/run.py, which
schedules gates by level and skips the backward pass where no gradient flows),
the batched sweep (app/engine/batch.py, which runs only the gates downstream of
the stacked inputs) and the training tape (app/training/tape.py, which compiles
only the gates that change between passes and the gradients that are needed).
Each asks the same few questions of the graph, and they are answered here, once:

- `reached`: the output depends on the node (the target's ancestors, itself included);
- `differentiable`: a gradient flows from the output to the node — it is reached through
  inputs that take a gradient (not an op's `nondiff` input, such as cross_entropy's
  class labels);
- `requires`: the node depends on an input that takes a gradient (a parameter; in the
  engine every input), so it has a gradient at all;
- `varying`: the node depends on an input that changes between runs (parameters and
  data); every other gate is a constant that can be computed once;
- `labels`: the node's value feeds an input that takes no gradient, maybe through other
  gates, so it must stay a whole number (never nudged, never trained);
- `level`: the longest distance from an input or a constant (gates on one level do not
  depend on each other).

The graph is in topological order (every input of a node comes before it), so each
answer is one plain loop: forward for what depends on the inputs, backward for what
the output depends on. The engine's hot path (an unrolled network of 50,000 scalar
gates) pays for `level`, `requires` and `reached` only, in two loops; the rest is
computed on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property

from app.graph import Graph
from app.ops import REGISTRY

# Per op with inputs that take no gradient: their positions (cross_entropy's labels).
NONDIFF = {name: op.nondiff for name, op in REGISTRY.items() if op.nondiff}


def depends(graph: Graph, sources: Iterable[int]) -> list[bool]:
    """Per node: it is one of `sources` or depends on one, through any gate."""
    flags = [False] * len(graph)
    first = len(graph)
    for i in sources:
        flags[i] = True
        first = min(first, i)
    inputs = graph.inputs
    for o in range(first + 1, len(graph)):
        ins = inputs[o]
        if ins and not flags[o]:
            flags[o] = any(flags[i] for i in ins)
    return flags


def reaches(graph: Graph, target: int | None = None, gradient: bool = False) -> list[bool]:
    """Per node: `target` (default the output) depends on it, or is it. With `gradient`,
    only through inputs that take a gradient: the nodes a gradient from `target` reaches."""
    target = graph.output if target is None else target
    inputs = graph.inputs
    flags = [False] * len(graph)
    flags[target] = True
    nondiff = NONDIFF.keys() & set(graph.ops) if gradient else ()
    if not nondiff:
        for o in range(target, -1, -1):
            if flags[o]:
                for i in inputs[o]:
                    flags[i] = True
        return flags
    ops = graph.ops
    for o in range(target, -1, -1):
        if flags[o]:
            skip = NONDIFF.get(ops[o], ())
            for j, i in enumerate(inputs[o]):
                if j not in skip:
                    flags[i] = True
    return flags


def discrete(graph: Graph) -> list[bool]:
    """Per node: its value feeds an input that takes no gradient (class labels), maybe
    through other gates, so it must not be nudged: a label of 1.000001 is no label at all."""
    flags = [False] * len(graph)
    if not NONDIFF.keys() & set(graph.ops):
        return flags
    ops, inputs = graph.ops, graph.inputs
    for o in range(len(graph) - 1, -1, -1):
        skip = NONDIFF.get(ops[o], ())
        for j, i in enumerate(inputs[o]):
            if flags[o] or j in skip:
                flags[i] = True
    return flags


class Analysis:
    """What every executor needs to know of a graph, given which inputs take a gradient
    (`params`; None: every input) and which others change between runs (`data`).

    `level`, `requires`, `varying` and `reached` are computed here; `differentiable`,
    `needs` and `labels` when first read.
    """

    def __init__(self, graph: Graph, params: Sequence[int] | None = None,
                 data: Sequence[int] = ()) -> None:
        self.graph = graph
        n = len(graph)
        inputs = graph.inputs
        if params is None:
            requires = [op == "input" for op in graph.ops]
        else:
            requires = [False] * n
            for i in params:
                requires[i] = True
        level = [0] * n
        for o, ins in enumerate(inputs):  # one forward loop: level and requires together
            if not ins:
                continue
            if len(ins) == 2:
                a, b = ins
                la, lb = level[a], level[b]
                level[o] = (la if la > lb else lb) + 1
                requires[o] = requires[a] or requires[b]
            elif len(ins) == 1:
                a = ins[0]
                level[o] = level[a] + 1
                requires[o] = requires[a]
            else:
                level[o] = 1 + max(level[i] for i in ins)
                requires[o] = any(requires[i] for i in ins)
        self.level = level
        self.requires = requires  # depends on an input that takes a gradient
        # depends on an input that changes between runs: the parameters and the data
        self.varying = requires if not data else [
            r or v for r, v in zip(requires, depends(graph, data), strict=True)]
        self.reached = reaches(graph)  # the output depends on it

    @cached_property
    def differentiable(self) -> list[bool]:
        """A gradient from the output reaches it (through inputs that take one)."""
        return reaches(self.graph, gradient=True)

    @cached_property
    def needs(self) -> list[bool]:
        """Its gradient is computed: a gradient reaches it, and it depends on a parameter."""
        return [d and r for d, r in zip(self.differentiable, self.requires, strict=True)]

    @cached_property
    def labels(self) -> list[bool]:
        """It feeds an input that takes no gradient (see `discrete`)."""
        return discrete(self.graph)
