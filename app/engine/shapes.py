"""Static shape inference: every node's shape before any number is computed.

Knowing shapes first lets a mismatch be reported at the operator that
causes it (`W @ x: (2, 3) @ (2,) — inner sizes 3 and 2 differ`) and lets a
program that would build a huge tensor be refused before memory is spent.
"""

from __future__ import annotations

import numpy as np

from app.errors import LabError, span_text
from app.graph import Graph
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import REGISTRY, ShapeError

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
    shapes: list[Shape] = []
    total = 0
    for node in graph.nodes:
        if node.op == "input":
            shape = bound[node.id].shape
        elif node.op == "const":
            shape = node.default.shape
        else:
            op = REGISTRY[node.op]
            ins = [shapes[i] for i in node.inputs]
            try:
                shape = op.shape(*ins, **node.param_dict())
            except ShapeError as err:
                text = span_text(graph.source, node.span)
                raise LabError(
                    "shape", f"{text}: {describe_call(node.op, ins)} — {err}", node.at,
                    key="shape", info={"op": node.op, "shapes": [list(s) for s in ins],
                                       "reason": str(err)},
                    source=graph.source) from None
        size = int(np.prod(shape)) if shape else 1
        if size > limits.max_tensor_elements:
            raise LabError("too_large", f"this gate would make a tensor of shape {shape} "
                           f"({size:,} numbers, over the limit of "
                           f"{limits.max_tensor_elements:,})", node.at,
                           key="tensor_too_large", info={"limit": limits.max_tensor_elements},
                           source=graph.source)
        total += size
        if total > limits.max_total_elements:
            raise LabError("too_large", "the circuit holds more than "
                           f"{limits.max_total_elements:,} numbers in all", node.at,
                           key="total_too_large", info={"limit": limits.max_total_elements},
                           source=graph.source)
        shapes.append(shape)
    return shapes
