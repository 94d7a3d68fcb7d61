"""The gate graph: an explicit, checked intermediate representation.

Nodes are listed in a topological order by construction (every input of a
node comes before it), so no pass ever needs to sort or recurse. A node is
an input (a name the request or a default gives a value), a constant, or a
gate applying one registry op to earlier nodes.
"""

from __future__ import annotations

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


class Graph(NamedTuple):
    nodes: list[Node]
    output: int
    source: str = ""

    @property
    def input_ids(self) -> dict[str, int]:
        return {n.name: n.id for n in self.nodes if n.op == "input" and n.name}


def validate(graph: Graph) -> None:
    """Check the invariants every later pass relies on; raise AssertionError if broken."""
    names: set[str] = set()
    for i, node in enumerate(graph.nodes):
        assert node.id == i, f"node {i} has id {node.id}"
        if node.op in ("input", "const"):
            assert not node.inputs, f"{node.op} node {i} has inputs"
            if node.op == "const":
                assert node.default is not None, f"const node {i} has no value"
        else:
            op = REGISTRY.get(node.op)
            assert op is not None, f"node {i}: unknown op {node.op}"
            assert len(node.inputs) == op.arity, f"node {i}: {node.op} arity"
            assert len(node.params) <= len(op.params), f"node {i}: too many params"
        for j in node.inputs:
            assert 0 <= j < i, f"node {i} uses node {j}, which does not come before it"
        if node.name is not None:
            assert node.name not in names, f"name {node.name} on two nodes"
            names.add(node.name)
    assert 0 <= graph.output < len(graph.nodes), "output out of range"
