"""The gate graph: an explicit, checked intermediate representation.

Nodes are listed in a topological order by construction (every input of a
node comes before it), so no pass ever needs to sort or recurse. A node is
an input (a name the request or a default gives a value), a constant, or a
gate applying one registry op to earlier nodes.
"""

from __future__ import annotations

from itertools import chain, repeat
from typing import Any, NamedTuple

import numpy as np

from app.errors import Span
from app.ops import REGISTRY


class Node(NamedTuple):
    id: int
    op: str  # "input", "const", or a registry op name
    inputs: tuple[int, ...]
    name: str | None
    label: str
    span: Span | None  # the source text the node computes
    at: Span | None  # where an error about this node points: its operator or function name
    params: tuple[int, ...] = ()
    default: np.ndarray | None = None  # an input's default, a constant's value

    @property
    def key(self) -> str:
        """The node's id in the JSON contract."""
        return f"n{self.id}"

    def param_dict(self) -> dict[str, Any]:
        if not self.params:
            return {}
        op = REGISTRY[self.op]
        return {p.name: v for p, v in zip(op.params, self.params, strict=False)}


class Graph:
    """Nodes in topological order, stored as columns (what the engine reads per node).

    `nodes` gives the same graph as `Node` records, built on first use: the
    engine's hot loops read the columns, everything else reads the records.
    """

    __slots__ = ("ops", "inputs", "defaults", "output", "source", "_nodes")

    def __init__(self, ops: list[str], inputs: list[tuple[int, ...]],
                 defaults: list[np.ndarray | None], output: int, source: str = "",
                 nodes: list[Node] | None = None) -> None:
        self.ops = ops
        self.inputs = inputs
        self.defaults = defaults
        self.output = output
        self.source = source
        self._nodes = nodes

    @classmethod
    def from_nodes(cls, nodes: list[Node], output: int, source: str = "") -> Graph:
        return cls([n.op for n in nodes], [n.inputs for n in nodes],
                   [n.default for n in nodes], output, source, nodes)

    def __len__(self) -> int:
        return len(self.ops)

    @property
    def nodes(self) -> list[Node]:
        if self._nodes is None:
            self._nodes = _records(self)
        return self._nodes

    @property
    def input_ids(self) -> dict[str, int]:
        return {n.name: n.id for n in self.nodes if n.op == "input" and n.name}


def _records(graph: Graph) -> list[Node]:
    """Node records for a graph built from columns: inputs named x0, x1, … in order."""
    symbols = {name: op.symbol for name, op in REGISTRY.items()}
    nodes = []
    n_inputs = 0
    defaults: list[Any] = graph.defaults  # a constant always has its value
    for i, (op, ins, default) in enumerate(zip(graph.ops, graph.inputs, defaults,
                                               strict=True)):
        if op == "input":
            name = f"x{n_inputs}"
            n_inputs += 1
            nodes.append(Node(i, op, (), name, name, None, None, (), default))
        elif op == "const":
            nodes.append(Node(i, op, (), None, f"{float(default):g}" if default.shape == ()
                              else "[" + "×".join(map(str, default.shape)) + "]",
                              None, None, (), default))
        else:
            nodes.append(Node(i, op, ins, None, symbols[op], None, None))
    return nodes


def validate(graph: Graph) -> None:
    """Check the invariants every later pass relies on; raise AssertionError if broken."""
    arity = {name: op.arity for name, op in REGISTRY.items()}
    arity["input"] = arity["const"] = 0
    ops, inputs = graph.ops, graph.inputs
    n = len(ops)
    assert len(inputs) == n and len(graph.defaults) == n, "columns differ in length"
    counts = np.fromiter(map(len, inputs), np.intp, n)
    expected = np.fromiter(map(arity.get, ops, repeat(-1, n)), np.intp, n)
    bad = np.flatnonzero(counts != expected)
    assert not len(bad), f"node {bad[0]}: op {ops[bad[0]]!r} is unknown or has wrong arity"
    used = np.fromiter(chain.from_iterable(inputs), np.intp, int(counts.sum()))
    user = np.repeat(np.arange(n), counts)
    bad = np.flatnonzero((used >= user) | (used < 0))
    assert not len(bad), f"node {user[bad[0]]} uses a node that does not come before it"
    for i in np.flatnonzero(counts == 0).tolist():
        assert ops[i] == "input" or graph.defaults[i] is not None, f"node {i}: no value"
    if graph._nodes is not None:
        names: set[str] = set()
        n_params = {name: len(op.params) for name, op in REGISTRY.items()}
        for i, node in enumerate(graph._nodes):
            assert node.id == i, f"node {i} has id {node.id}"
            assert not node.params or len(node.params) <= n_params[node.op], f"node {i} params"
            if node.name is not None:
                assert node.name not in names, f"name {node.name} on two nodes"
                names.add(node.name)
    assert 0 <= graph.output < n, "output out of range"


def from_description(items: list[tuple[str, tuple[int, ...], float | None]],
                     output: int | None = None) -> Graph:
    """A graph from (op, input indices, value) triples, for programs built by code.

    `op` is "input" (value is its default), "const" or a registry op name.
    Inputs are named x0, x1, … in order; gates get their op's symbol as label.
    """
    ops = [item[0] for item in items]
    inputs = [item[1] for item in items]
    defaults: list[Any] = [None if item[2] is None else np.float64(item[2]) for item in items]
    graph = Graph(ops, inputs, defaults, len(items) - 1 if output is None else output)
    validate(graph)
    return graph
