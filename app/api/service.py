"""From a request to the JSON the page draws: the one pipeline the API and the CLI share.

source ──lang──▶ program ──graph──▶ gates ──engine──▶ values, gradients, trace ──▶ JSON
"""

from __future__ import annotations

from typing import Any

from app.api.jsonify import tensor
from app.engine import Evaluation, evaluate
from app.engine.diagnose import node_warnings
from app.engine.trace import steps
from app.graph import Graph, build
from app.lang import parse
from app.layout import layout
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import REGISTRY


def run(source: str, values: dict[str, Any] | None = None, seed: Any = None,
        limits: Limits = DEFAULT_LIMITS) -> Evaluation:
    """Parse, build and evaluate a program; raises LabError for anything the user can fix."""
    graph = build(parse(source, limits), limits)
    return evaluate(graph, values, seed, limits)


def _node_json(ev: Evaluation, node_id: int, warnings: list[str]) -> dict[str, Any]:
    graph: Graph = ev.graph
    node = graph.nodes[node_id]
    body: dict[str, Any] = {
        "id": node.key,
        "op": node.op,
        "name": node.name,
        "label": node.label,
        "inputs": [graph.nodes[i].key for i in node.inputs],
        "value": tensor(ev.value(node_id)),
        "grad": tensor(ev.grad(node_id)),
        "shape": list(ev.shapes[node_id]),
        "span": node.span.to_json() if node.span else None,
        "requires_grad": ev.plan.requires[node_id],
        "warnings": warnings,
    }
    if node.op not in ("input", "const"):
        op = REGISTRY[node.op]
        body["formulas"] = list(op.formulas)
        body["params"] = node.param_dict()
        body["composite"] = op.expansion is not None
    return body


def _steps_json(ev: Evaluation) -> list[dict[str, Any]]:
    out = []
    for step in steps(ev):
        if step["phase"] == "backward":
            step["grad"] = tensor(step["grad"])
            for edge in step["edges"]:
                for key in ("upstream", "local", "product", "sum"):
                    edge[key] = tensor(edge[key])
        out.append(step)
    return out


def graph_json(ev: Evaluation) -> dict[str, Any]:
    """The JSON contract of POST /api/graph for an evaluated program."""
    warnings = node_warnings(ev)
    nodes = [_node_json(ev, n.id, warnings.get(n.id, [])) for n in ev.graph.nodes]
    messages = list(ev.warnings)
    for node_id, texts in sorted(warnings.items()):
        node = ev.graph.nodes[node_id]
        who = node.name or node.label
        messages.extend(f"{who}: {t}" for t in texts)
    return {
        "output": ev.graph.nodes[ev.graph.output].key,
        "nodes": nodes,
        "steps": _steps_json(ev),
        "inputs": list(ev.graph.input_ids),
        "warnings": messages,
        "layout": layout(ev.graph),
    }


def graph_response(source: str, values: dict[str, Any] | None = None, seed: Any = None,
                   limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    return graph_json(run(source, values, seed, limits))
