"""Static shape inference: every node's shape before any number is computed.

Knowing shapes first lets a mismatch be reported at the operator that
causes it (`W @ x: (2, 3) @ (2,) — inner sizes 3 and 2 differ`) and lets a
program that would build a huge tensor be refused before memory is spent.
Values an op cannot take (a class label out of range) are only known when it
runs; `value_error` words them the same way, at the call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.errors import LabError, span_text
from app.graph import Graph, Node
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import REGISTRY, ShapeError
from app.ops.registry import OpValueError

Shape = tuple[int, ...]


def describe_call(op_name: str, shapes: list[Shape]) -> str:
    """How the shapes met: `(2, 3) @ (2,)` for an operator, `sum((3,))` for a function."""
    op = REGISTRY[op_name]
    if op.operator and op.arity == 2:
        return f"{shapes[0]} {op.operator} {shapes[1]}"
    if op.operator:
        return f"{op.operator}{shapes[0]}"
    return f"{op.function or op.name}({', '.join(map(str, shapes))})"


def infer_shapes(graph: Graph, bound: dict[int, np.ndarray],
                 limits: Limits = DEFAULT_LIMITS) -> list[Shape]:
    """The shape of every node; raises LabError(`shape` or `too_large`) at the node at fault."""
    elementwise = {name: op.partials is not None for name, op in REGISTRY.items()}
    n = len(graph)
    if (n <= limits.max_total_elements
            and all(v.shape == () for v in bound.values())
            and all(elementwise.get(op, True) for op in set(graph.ops))
            and all(d is None or d.shape == () for d in graph.defaults)):
        return [()] * n  # scalars in, elementwise gates: scalars throughout
    shapes: list[Shape] = []
    total = 0
    defaults: list[Any] = graph.defaults  # a constant always has its value
    for i, (op, ins) in enumerate(zip(graph.ops, graph.inputs, strict=True)):
        if not ins:
            shape = bound[i].shape if op == "input" else defaults[i].shape
        else:
            first = shapes[ins[0]]
            if elementwise[op] and (len(ins) == 1 or shapes[ins[1]] == first):
                shape = first  # the common case, scalars above all: no broadcasting to do
            else:
                shape = _op_shape(graph, graph.nodes[i], [shapes[j] for j in ins])
        total += 1
        if shape:
            size = int(np.prod(shape))
            if size > limits.max_tensor_elements:
                raise LabError("too_large", f"this gate would make a tensor of shape {shape} "
                               f"({size:,} numbers, over the limit of "
                               f"{limits.max_tensor_elements:,})", graph.nodes[i].at,
                               key="tensor_too_large",
                               info={"limit": limits.max_tensor_elements}, source=graph.source)
            total += size - 1
        if total > limits.max_total_elements:
            raise LabError("too_large", "the circuit holds more than "
                           f"{limits.max_total_elements:,} numbers in all", graph.nodes[i].at,
                           key="total_too_large", info={"limit": limits.max_total_elements},
                           source=graph.source)
        shapes.append(shape)
    return shapes


def _op_shape(graph: Graph, node: Node, ins: list[Shape]) -> Shape:
    try:
        return REGISTRY[node.op].shape(*ins, **node.param_dict())
    except ShapeError as err:
        text = span_text(graph.source, node.span)
        raise LabError(
            "shape", f"{text}: {describe_call(node.op, ins)} — {err}", node.at,
            key="shape", info={"op": node.op, "shapes": [list(s) for s in ins],
                               "reason": str(err)},
            source=graph.source) from None


def value_error(graph: Graph, node: Node, err: OpValueError) -> LabError:
    """A value an op cannot take (a bad class label), as a 400 `value` error at the call."""
    text = span_text(graph.source, node.span)
    return LabError("value", f"{text}: {err.reason}", node.at, key=err.key,
                    info={"op": node.op, **err.info}, source=graph.source)

