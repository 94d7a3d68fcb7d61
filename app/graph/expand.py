"""Gate granularity: redraw composite gates as the primitives they are made of.

A composite op's registry entry has an `expansion`, the same function written
in the circuit language with inputs a and b (sigmoid is `1 / (exp(a * -1) + 1)`).
`expand(graph, which)` is a graph-to-graph rewrite: each chosen composite gate
is replaced, in place, by its expansion's gates (parsed and built by the
project's own parser and builder, and themselves fully expanded when an
expansion uses another composite), wired to the composite's inputs. The
rewritten graph is in topological order by construction, the way the builder
makes graphs, and stays under the node limit.

Every node of the result remembers its `origin`: the node of the collapsed
graph it comes from (itself, for a node left alone; the composite, for the
primitives and constants that replace it), and those primitives remember the
op they were `expanded_from`. The gate at the top of an expansion keeps the
composite's name; all of them keep its span, so the page can still link them
to the line that wrote the composite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import cast

from app.errors import LabError
from app.graph.build import build
from app.graph.ir import Graph, Node, validate
from app.lang import parse
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import REGISTRY

NODE_ID = re.compile(r"n(0|[1-9][0-9]*)")


@dataclass(frozen=True)
class Expanded:
    """The rewritten graph; per node, its collapsed node's id and the composite it came from."""

    graph: Graph
    origin: list[int]
    expanded_from: list[str | None]


def composite(op: str) -> bool:
    entry = REGISTRY.get(op)
    return entry is not None and entry.expansion is not None


@cache
def template(op_name: str) -> Graph:
    """An op's expansion as a graph of primitives only, its inputs named a and b."""
    op = REGISTRY[op_name]
    assert op.expansion is not None, f"{op_name} has no expansion"
    graph = build(parse(op.expansion))
    names = {n.name for n in graph.nodes if n.op == "input"}
    assert names <= set("ab"[:op.arity]), \
        f"{op_name}: expansion uses inputs {sorted(map(str, names))}"
    assert op_name not in graph.ops, f"{op_name}: expansion uses {op_name} itself"
    if any(composite(o) for o in graph.ops):
        graph = expand(graph).graph
    return graph


def resolve(graph: Graph, keys: Iterable[str]) -> list[int]:
    """Node ids ("n3") of composite gates to expand; LabError(`value`) for any other."""
    ids = []
    for key in keys:
        m = NODE_ID.fullmatch(key)
        if m is None or int(m.group(1)) >= len(graph):
            raise LabError("value", f"expand names '{key}', which is not a node of this circuit "
                           f"(its nodes are n0 to n{len(graph) - 1})", key="expand_unknown",
                           info={"id": key})
        node = graph.nodes[int(m.group(1))]
        if not composite(node.op):
            raise LabError("value", f"expand names '{key}', {_a(node.op)} {node.op} "
                           "node, which has no expansion into primitives",
                           key="expand_not_composite", info={"id": key, "op": node.op})
        ids.append(node.id)
    return ids


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def expand(graph: Graph, which: Iterable[int] | None = None,
           limits: Limits = DEFAULT_LIMITS) -> Expanded:
    """Replace the composite gates `which` (default: all of them) by their primitives."""
    nodes = graph.nodes
    targets = ({n.id for n in nodes if composite(n.op)} if which is None else set(which))
    out: list[Node] = []
    origin: list[int] = []
    expanded_from: list[str | None] = []
    new_id: list[int] = []

    def add(node: Node, source: int, op: str | None) -> int:
        if len(out) >= limits.max_nodes:
            raise LabError("too_large", f"expanded, the circuit has more than "
                           f"{limits.max_nodes:,} nodes", key="too_many_nodes",
                           info={"limit": limits.max_nodes})
        out.append(node._replace(id=len(out)))
        origin.append(source)
        expanded_from.append(op)
        return len(out) - 1

    for node in nodes:
        if node.id not in targets:
            new_id.append(add(node._replace(inputs=tuple(new_id[i] for i in node.inputs)),
                              node.id, None))
            continue
        parts = template(node.op)
        local: list[int] = []
        for part in parts.nodes:
            if part.op == "input":
                local.append(new_id[node.inputs["ab".index(cast(str, part.name))]])
                continue
            top = part.id == parts.output
            local.append(add(Node(0, part.op, tuple(local[i] for i in part.inputs),
                                  node.name if top else None, part.label, node.span, node.at,
                                  part.params, part.default), node.id, node.op))
        top_id = local[parts.output]
        if parts.ops[parts.output] == "input":  # an expansion that is just `a`: keep a gate
            top_id = add(Node(0, "identity", (top_id,), node.name, "=", node.span, node.at),
                         node.id, node.op)
        new_id.append(top_id)
    result = Graph.from_nodes(out, new_id[graph.output], graph.source)
    validate(result)
    return Expanded(result, origin, expanded_from)
