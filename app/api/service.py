"""From a request to the JSON the page draws: the one pipeline the API and the CLI share.

source ──lang──▶ program ──graph──▶ gates ──engine──▶ values, gradients, trace ──▶ JSON

The teaching tools are optional steps of the same pipeline (`Options`):
`expand` rewrites the graph before it is evaluated (app/graph/expand.py);
`check`, `code` and `sweep` read the evaluation afterwards
(app/engine/gradcheck.py, staged.py, sweep.py). A request without them runs
exactly the plain pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.api.jsonify import deep, tensor
from app.engine import Evaluation, evaluate
from app.engine.diagnose import node_warnings
from app.engine.gradcheck import gradcheck
from app.engine.staged import staged
from app.engine.sweep import sweep
from app.engine.trace import steps
from app.engine.update import update
from app.graph import Graph, build
from app.graph.expand import Expanded, expand, resolve
from app.lang import parse
from app.layout import layout
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import REGISTRY


@dataclass(frozen=True)
class Sweep:
    """The nudge plot's request: which input, over what range, at how many points."""

    input: str
    lo: float | None = None
    hi: float | None = None
    points: int | None = None


@dataclass(frozen=True)
class Options:
    """The teaching tools a request asks for; the default asks for none."""

    expand: bool | list[str] = False  # True: every composite gate; a list: those node ids
    check: bool = False
    code: bool = False
    sweep: Sweep | None = None
    lr: float | None = None  # a learning rate: add one step of gradient descent
    params: list[str] | None = None  # the inputs it updates (None: weights and biases)

    @property
    def plain(self) -> bool:
        return (self.expand is False and not self.check and not self.code and self.sweep is None
                and self.lr is None)


def run(source: str, values: dict[str, Any] | None = None, seed: Any = None,
        limits: Limits = DEFAULT_LIMITS) -> Evaluation:
    """Parse, build and evaluate a program; raises LabError for anything the user can fix."""
    graph = build(parse(source, limits), limits)
    return evaluate(graph, values, seed, limits)


def _node_json(ev: Evaluation, node_id: int, warnings: list[str],
               expanded: Expanded | None = None) -> dict[str, Any]:
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
    if expanded is not None:
        body["origin"] = f"n{expanded.origin[node_id]}"
        if expanded.expanded_from[node_id] is not None:
            body["expanded_from"] = expanded.expanded_from[node_id]
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


def graph_json(ev: Evaluation, expanded: Expanded | None = None) -> dict[str, Any]:
    """The JSON contract of POST /api/graph for an evaluated program."""
    warnings = node_warnings(ev)
    nodes = [_node_json(ev, n.id, warnings.get(n.id, []), expanded) for n in ev.graph.nodes]
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
        "layout": layout(ev.graph, ev.shapes),
    }


def graph_response(source: str, values: dict[str, Any] | None = None, seed: Any = None,
                   limits: Limits = DEFAULT_LIMITS, options: Options | None = None
                   ) -> dict[str, Any]:
    """The body of POST /api/graph (and `eval --json`); raises LabError for user mistakes."""
    if options is None or options.plain:
        return graph_json(run(source, values, seed, limits))
    graph = build(parse(source, limits), limits)
    expanded = None
    if options.expand is not False:
        which = None if options.expand is True else resolve(graph, options.expand)
        expanded = expand(graph, which, limits)
        graph = expanded.graph
    ev = evaluate(graph, values, seed, limits)
    body = graph_json(ev, expanded)
    if options.check:
        body["gradcheck"] = deep(gradcheck(ev))
    if options.code:
        program = staged(ev)
        body["code"] = {"python": program.python, "variant": program.variant,
                        "grads": program.grads, "names": program.names, "lines": program.lines}
    if options.lr is not None:
        body["update"] = deep(update(ev, options.lr, options.params))
    if options.sweep is not None:
        plot = sweep(ev, options.sweep.input, options.sweep.lo, options.sweep.hi,
                     options.sweep.points)
        body["sweep"] = deep(plot)
        if plot["reduced"]:
            body["warnings"].append(f"the nudge plot has {plot['points']} points, fewer than "
                                    "asked, to keep the work of this large circuit bounded")
    return body
